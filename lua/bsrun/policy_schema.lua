-- bsrun.policy_schema: the schema of a policy file (see doc/policies.md).
-- Returns the top-level record node.  Every field is optional in a single
-- file; defaults are applied once the inheritance chain has been merged.
local s = require "bsrun.schema"

local str, integer, size, duration = s.string, s.integer, s.size, s.duration
local boolean, enum, list, map, record, oneof = s.boolean, s.enum, s.list, s.map, s.record, s.oneof

---------------------------------------------------------------------------
-- Predicates for strings
---------------------------------------------------------------------------

local function is_url(v)
  if v:find("[%s%c]") then return false end
  return v:find("^file:///") ~= nil or v:find("^https?://[^/]") ~= nil
end

local function is_abs_path(v)
  return v:sub(1, 1) == "/" and not v:find("%c")
end

-- An absolute path none of whose components is "..".
local function is_clean_abs_path(v)
  if not is_abs_path(v) then return false end
  for part in v:gmatch("[^/]+") do
    if part == ".." then return false end
  end
  return true
end

-- RFC 1123-ish host name: letters, digits, "-" and "."; starts and ends
-- with a letter or digit.
local function is_hostname(v)
  return v:find("^%w[%w.-]*$") ~= nil and v:find("%w$") ~= nil and not v:find("%.%.")
end

---------------------------------------------------------------------------
-- Reusable nodes
---------------------------------------------------------------------------

local URL_EXPECT = "a file://, http:// or https:// URL"

local function url(spec)
  spec = spec or {}
  spec.expect, spec.valid = URL_EXPECT, is_url
  return str(spec)
end

local function abs_path(spec)
  spec = spec or {}
  spec.expect, spec.valid = "an absolute path", is_abs_path
  return str(spec)
end

-- A package name or capability as rpm and apt spell them (no blanks).
local function pkgname()
  return str{ pattern = "^[^%s%c]+$", expect = "a package name" }
end

local function pkglist(spec)
  return list(pkgname(), spec or { expect = "a list of package names" })
end

---------------------------------------------------------------------------
-- Capabilities, devices
---------------------------------------------------------------------------

local CAPS = {
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL",
  "SETGID", "SETUID", "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE",
  "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
  "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
  "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME",
  "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL",
  "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM",
  "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
}

local DEFAULT_CAPS = {
  "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "SETUID", "SETGID",
  "SETFCAP", "KILL", "SYS_CHROOT", "AUDIT_WRITE",
}

local DEVICES = { "null", "zero", "full", "random", "urandom", "tty", "ptmx", "shm", "fuse" }
local DEFAULT_DEVICES = { "null", "zero", "full", "random", "urandom", "tty", "ptmx", "shm" }

---------------------------------------------------------------------------
-- Sections
---------------------------------------------------------------------------

local repo = record{
  required = { "name", "url" },
  name = str{ pattern = "^[%w._-]+$",
                 expect = 'a repository name (letters, digits, ".", "_" and "-")' },
  url = url(),
  kind = enum{ "rpm-md", "dir", "auto", default = "auto" },
  enabled = boolean{ default = true },
  priority = integer{ min = 1, max = 99, default = 50 },
  exclude = list(str{}, { default = {} }),
}

local repos = list(repo, {
  default = {},
  -- repository names are unique; the error names the second one
  check = function(rs)
    local seen = {}
    for i, r in ipairs(rs) do
      if seen[r.name] then
        return string.format("duplicate repository name %s", s.show(r.name)), { i, "name" }
      end
      seen[r.name] = true
    end
  end,
})

-- A mount target: a clean absolute path that is not the root itself.
local function is_mount_target(v)
  return is_clean_abs_path(v) and v:find("[^/]") ~= nil
end

local mount = record{
  required = { "source", "target" },
  source = str{ expect = 'an absolute path without ".." components', valid = is_clean_abs_path },
  target = str{ expect = 'an absolute path without ".." components, not "/"', valid = is_mount_target },
  ro = boolean{ default = true },
  nosuid = boolean{ default = true },
  nodev = boolean{ default = true },
  noexec = boolean{ default = false },
  recursive = boolean{ default = false },
}

local UID_MAX = 4294967294          -- (uid_t)-1 is not a valid id

local isolation = record{
  memory = size{ min = "16M", default = "4G" },
  pids = integer{ min = 16, max = 4194304, default = 4096 },
  cpu_weight = integer{ min = 1, max = 10000, default = 100 },
  nofile = integer{ min = 64, max = 1048576, default = 4096 },
  fsize = size{ default = "16G" },
  disk = size{ min = "16M", default = "8G" },
  timeout = duration{ min = "1s", max = "30d", default = "4h" },
  network = enum{ false, "host", default = false },
  hostname = str{ maxlen = 64, valid = is_hostname, default = "bsrun",
    expect = 'a host name (letters, digits, "-" and ".", starting and ending with a letter or digit)' },
  domainname = str{ maxlen = 64, pattern = "^[%w._-]*$", default = "localdomain",
    expect = 'a domain name (letters, digits, ".", "_" and "-")' },
  caps = list(str{ values = CAPS, expect = 'a capability name without CAP_, like "CHOWN"',
                   suggest_from = function(v) return (v:upper():gsub("^CAP_", "")) end },
              { default = DEFAULT_CAPS, expect = "a list of capability names" }),
  seccomp = record{
    allow = list(str{ pattern = "^[%l%d_]+$", expect = 'a system call name like "ptrace"' },
                 { default = {}, expect = "a list of system call names" }),
    deny = list(str{ pattern = "^[%l%d_]+$", expect = 'a system call name like "ptrace"' },
                { default = {}, expect = "a list of system call names" }),
  },
  mounts = list(mount, {
    default = {},
    -- one mount per target (ctx:mount and binds look an entry up by source
    -- and target); the error names the second one
    check = function(ms)
      local seen = {}
      for i, m in ipairs(ms) do
        local t = m.target:gsub("/+", "/"):gsub("(.)/$", "%1")
        if seen[t] then
          return string.format("a second mount on %s", s.show(m.target)), { i, "target" }
        end
        seen[t] = true
      end
    end,
  }),
  devices = list(enum(DEVICES), { default = DEFAULT_DEVICES, expect = "a list of device names" }),
  env = map(str{ pattern = "^[%a_][%w_]*$",
                    expect = 'an environment variable name (letters, digits and "_")' },
            str{},
            { default = { PATH = "/usr/bin:/bin:/usr/sbin:/sbin", HOME = "/builddir",
                          LANG = "C", TERM = "dumb" } }),
  single_id_map = boolean{ default = false },
  allow_unenforced_limits = boolean{ default = false },
  uid_pool = record{
    first = integer{ min = 65536, max = 4000000000, default = 200000000 },
    count = integer{ min = 65536, max = 1 << 31, default = 67108864 },
    check = function(p)
      if p.first and p.count and p.first + p.count - 1 > UID_MAX then
        return string.format("the pool ends at %d, past the largest id %d",
          p.first + p.count - 1, UID_MAX), { "first" }
      end
    end,
  },
}

-- How packages are installed into build roots: speed settings a throwaway
-- root can afford (see doc/policies.md).  A language is what rpm's
-- %_install_langs takes: "C", "en", "de_DE", "sr@latin", "pt_BR.UTF-8".
local install = record{
  docs = boolean{ default = true },
  fsync = boolean{ default = false },
  langs = oneof(enum{ "all" },
                list(str{ pattern = "^[%a][%w_@.-]*$", maxlen = 32,
                          expect = 'a language like "C", "en" or "pt_BR"' },
                     { min = 1, expect = 'a list of languages like { "C", "en" }' })),
  verify = enum{ "rpm", "cache", default = "rpm" },
}
install.fields.langs.default = "all"

return record{
  description = str{},
  inherit = str{ pattern = "^[^%c]+$", expect = "a policy name or a path to a .lua file" },
  name = str{ pattern = "^[%w][%w._-]*$",
                 expect = 'a policy name (letters, digits, ".", "_" and "-")' },
  arch = str{ pattern = "^[%w_]+$", default = "x86_64",
                 expect = 'an architecture name like "x86_64"' },
  dist = str{ pattern = "^[%w._+-]*$", default = "",
                 expect = 'a dist tag like ".fc1" (letters, digits, ".", "_", "+" and "-")' },
  mirror = str{ expect = URL_EXPECT .. " or an absolute path",
                   valid = function(v) return is_url(v) or (is_abs_path(v) and not v:find("%s")) end },
  repos = repos,
  macros = map(str{ pattern = "^[%a_][%w_]*$",
                       expect = 'a macro name (letters, digits and "_", without the leading "%")' },
               str{ numbers = true }, { default = {} }),
  base = pkglist{ default = {}, expect = "a list of package names" },
  universe = pkglist{ default = {}, expect = "a list of package names" },
  names = map(pkgname(), oneof(pkgname(), pkglist{ min = 1, expect = "a list of package names" }),
              { default = {} }),
  isolation = isolation,
  results = record{
    max_file = size{ default = "2G" },
    max_total = size{ default = "8G" },
    max_files = integer{ min = 1, max = 1000000, default = 10000 },
    max_depth = integer{ min = 1, max = 256, default = 32 },
  },
  cache = record{
    max_size = size{},
  },
  install = install,
}
