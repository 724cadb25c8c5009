-- bsrun.main: the trusted half of a bsrun run. It checks the command line's
-- inputs, loads and validates the policy, and hands the recipe sandbox a job
-- made only of plain data (see doc/recipes.md for its fields).
local errors = require "bsrun.errors"
local policy = require "bsrun.policy"
local srpm = require "bsrun.srpm"

local M = {}

M.DEFAULT_POLICY = "hostdist"
M.DEFAULT_RESULTS = "results"

local function is_path(s)
  return s:find("/", 1, true) ~= nil or s:sub(-4) == ".lua"
end

-- Returns true when path is a readable regular file, else nil and the reason
-- (never blocks on a FIFO: bsrun_host.readfile opens non-blocking).
local function check_readable(path)
  local ok, err = bsrun_host.readfile(path, 0)
  if not ok then return nil, (err:sub(1, #path + 2) == path .. ": " and err:sub(#path + 3) or err) end
  return true
end

-- The names of the *.lua files in dir (sorted; none when dir is unreadable).
local function lua_names(dir)
  local names = {}
  for _, f in ipairs(bsrun_host.listdir(dir) or {}) do
    local n = f:match("^(.+)%.lua$")
    if n then names[#names + 1] = n end
  end
  return names
end

local function available(dir)
  local names = lua_names(dir)
  return #names > 0 and table.concat(names, ", ") or "none"
end

--- Resolves RECIPE (a path, or a name in DATADIR/recipes) to a readable file.
function M.find_recipe(recipe, datadir)
  local dir = datadir .. "/recipes"
  if is_path(recipe) then
    local ok, err = check_readable(recipe)
    if not ok then
      errors.raise(errors.USAGE, "cannot read recipe %s: %s", recipe, err)
    end
    return recipe, recipe:match("([^/]+)%.lua$") or recipe:match("([^/]+)$")
  end
  if not recipe:match("^[%w][%w._-]*$") then
    errors.raise(errors.USAGE, "recipe '%s': not a recipe name (letters, digits, . _ -) or a file", recipe)
  end
  local path = dir .. "/" .. recipe .. ".lua"
  if not check_readable(path) then
    errors.raise(errors.USAGE, "recipe '%s' not found in %s (available: %s)", recipe, dir, available(dir))
  end
  return path, recipe
end

--- Where each package's results go: -r DIR itself for one package, DIR/NVR
--- for several; ./results/NVR by default (NAME-VERSION-RELEASE from the
--- header, the file name's stem when no header was read).
local function resultdir_for(options, pkg, count)
  local leaf = pkg.header and pkg.header.nvr or pkg.stem
  if options.resultdir then
    return count == 1 and options.resultdir or (options.resultdir .. "/" .. leaf)
  end
  return M.DEFAULT_RESULTS .. "/" .. leaf
end

--- Reads the header of a src.rpm in bsrun's throwaway sandbox (bs.rpm.header)
--- when this version has it; a bad file raises exit 2 naming it.
local function read_header(pkg)
  local rpm = require("bs").rpm
  if not rpm.header then return nil end
  local h = rpm.header(pkg.path)
  -- NAME-VERSION-RELEASE becomes a directory name (./results/NVR, DIR/NVR):
  -- only what rpmbuild itself accepts there, never "/", ".." or control bytes
  for _, tag in ipairs { "name", "version", "release" } do
    local v = h[tag]
    if type(v) ~= "string" or not v:find("^[%w_+][%w._+~^-]*$") then
      errors.raise(errors.USAGE, "%s: the header's %s '%s' is not a valid package %s", pkg.path, tag,
        tostring(v), tag)
    end
  end
  h.nvr = string.format("%s-%s-%s", h.name, h.version, h.release)
  return h
end

--- Splits the normalized "NAME VALUE" defines into {name=, value=} records.
local function parse_defines(defines)
  local out = {}
  for i, d in ipairs(defines) do
    local name, value = d:match("^(%S+)%s(.*)$")
    out[i] = { name = name, value = value }
  end
  return out
end

--- Where bsrun keeps repository metadata and downloaded packages:
--- $BSRUN_CACHEDIR, else /var/cache/bsrun for root, else
--- $XDG_CACHE_HOME/bsrun (~/.cache/bsrun).
function M.cachedir()
  local env = os.getenv("BSRUN_CACHEDIR")
  if env and env:sub(1, 1) == "/" then return env end
  if bsrun_host.uid() == 0 then return "/var/cache/bsrun" end
  local xdg = os.getenv("XDG_CACHE_HOME")
  if xdg and xdg:sub(1, 1) == "/" then return xdg .. "/bsrun" end
  return (os.getenv("HOME") or "/tmp") .. "/.cache/bsrun"
end

--- The package arguments with each directory replaced by its *.src.rpm
--- files (sorted) and each @LIST by the files it names, one a line (blank
--- lines and # comments skipped; relative names are relative to the list's
--- directory). A directory whose name ends in .rpm stays an argument (and
--- is refused as a package).
function M.expand_args(args)
  local out = {}
  for _, a in ipairs(args) do
    if a:sub(1, 1) == "@" and #a > 1 then
      local file = a:sub(2)
      local f, err = io.open(file, "r")
      if not f then errors.raise(errors.USAGE, "cannot read the list %s: %s", file, (err:gsub("^[^:]*: ", ""))) end
      local base = file:match("^(.*)/[^/]*$")
      local n = 0
      for line in f:lines() do
        line = line:match("^%s*(.-)%s*$")
        if line ~= "" and line:sub(1, 1) ~= "#" then
          if line:find("[%c]") then errors.raise(errors.USAGE, "%s: a line with control characters", file) end
          out[#out + 1] = (line:sub(1, 1) == "/" or not base) and line or (base .. "/" .. line)
          n = n + 1
        end
      end
      f:close()
      if n == 0 then errors.raise(errors.USAGE, "the list %s names no package", file) end
    else
      local names = a:sub(-4) ~= ".rpm" and bsrun_host.listdir(a)
      if names then
        local n = 0
        for _, name in ipairs(names) do
          if name:sub(-8) == ".src.rpm" then
            out[#out + 1] = (a:sub(-1) == "/" and a or a .. "/") .. name
            n = n + 1
          end
        end
        if n == 0 then errors.raise(errors.USAGE, "the directory %s holds no *.src.rpm", a) end
      else
        out[#out + 1] = a
      end
    end
  end
  return out
end

--- Checks every input and returns the job: plain data for the recipe sandbox.
function M.prepare(options, datadir)
  local recipe_file, recipe_name = M.find_recipe(options.recipe, datadir)
  local packages, seen = {}, {}
  options.args = M.expand_args(options.args)
  for i, path in ipairs(options.args) do
    local pkg = srpm.check(path)
    if seen[pkg.stem] then
      errors.raise(errors.USAGE, "%s and %s are the same package", seen[pkg.stem], path)
    end
    seen[pkg.stem] = path
    packages[i] = pkg
  end
  for _, pkg in ipairs(packages) do
    pkg.header = read_header(pkg)
  end
  for _, pkg in ipairs(packages) do
    pkg.resultdir = resultdir_for(options, pkg, #packages)
  end
  local pol = policy.load(options.policy or M.DEFAULT_POLICY, datadir .. "/policies")
  -- several packages (or --scheduler): a chain, planned and scheduled on
  -- the trusted side (bsrun.chain); one package with --chain-repo: an extra
  -- repository before the policy's, the RPMs built published into it
  local chain = not options.dry_run and (#packages > 1 or options.scheduler ~= nil)
  local chain_repo
  if options.chain_repo and not chain then
    local chainmod = require "bsrun.chain"
    chain_repo = chainmod.repo_spec(options.dry_run and chainmod.abspath(options.chain_repo)
                                    or chainmod.ensure_repo(options.chain_repo, pol.isolation))
  end
  return {
    chain = chain or nil,
    chain_repo = chain_repo,
    version = require("bs").version,
    datadir = datadir,
    cachedir = M.cachedir(),
    recipe_file = recipe_file,
    recipe_name = recipe_name,
    policy = pol,
    packages = packages,
    defines = parse_defines(options.defines),
    options = options,
  }
end

local function policy_check(names, datadir)
  local dir = datadir .. "/policies"
  if #names == 0 then names = lua_names(dir) end
  local failed = 0
  for _, name in ipairs(names) do
    local ok, res = pcall(policy.load, name, dir)
    if ok then
      print(string.format("%s: ok (%s)", res.name, res.file))
    elseif errors.is(res) then
      failed = failed + 1
      io.stderr:write("bsrun: error: ", res.message, "\n")
    else
      error(res, 0)
    end
  end
  return failed == 0 and errors.OK or errors.USAGE
end

--- The value at a dotted KEY path (e.g. "repos.1.url") of a policy.
local function lookup(pol, key)
  local v = pol
  for part in key:gmatch("[^.]+") do
    if type(v) ~= "table" then v = nil break end
    local k = tonumber(part)
    v = v[k ~= nil and math.tointeger(k) or part]
    if v == nil then break end
  end
  if v == nil or key == "" then
    errors.raise(errors.USAGE, "policy %s has no key '%s'", pol.name, key)
  end
  return v
end

--- Prints a policy value for scripts: a scalar on one line, a list one
--- element a line, a map as "KEY<TAB>VALUE[<TAB>VALUE...]" lines sorted by
--- key (a list value's elements separated by tabs).  Deeper tables are
--- refused (use `policy show`).
local function policy_get(pol, key)
  local v = lookup(pol, key)
  local function flat(x)
    if type(x) ~= "table" then return tostring(x) end
    local out = {}
    for i, e in ipairs(x) do
      if type(e) == "table" then return nil end
      out[i] = tostring(e)
    end
    if #out == 0 and next(x) ~= nil then return nil end
    return table.concat(out, "\t")
  end
  if type(v) ~= "table" then
    print(tostring(v))
    return
  end
  local lines = {}
  if #v > 0 or next(v) == nil then
    for _, e in ipairs(v) do
      local s = type(e) ~= "table" and tostring(e) or nil
      if not s then
        errors.raise(errors.USAGE, "policy %s: '%s' is not a plain list (use bsrun policy show)", pol.name, key)
      end
      lines[#lines + 1] = s
    end
  else
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = tostring(k) end
    table.sort(keys)
    for _, k in ipairs(keys) do
      local s = flat(v[k])
      if not s then
        errors.raise(errors.USAGE, "policy %s: '%s.%s' is nested too deep (use bsrun policy show)", pol.name, key, k)
      end
      lines[#lines + 1] = k .. "\t" .. s
    end
  end
  if #lines > 0 then io.stdout:write(table.concat(lines, "\n"), "\n") end
end

--- `bsrun policy check [POLICY...]`, `bsrun policy show POLICY` and
--- `bsrun policy get POLICY KEY`.
function M.policy_command(options, datadir)
  local words = options.args
  local verb = table.remove(words, 1)
  if verb == "check" then
    return policy_check(words, datadir)
  elseif verb == "show" then
    if #words ~= 1 then
      errors.raise(errors.USAGE, "usage: bsrun policy show POLICY")
    end
    io.stdout:write(policy.dump(policy.load(words[1], datadir .. "/policies")), "\n")
    return errors.OK
  elseif verb == "get" then
    if #words ~= 2 then
      errors.raise(errors.USAGE, "usage: bsrun policy get POLICY KEY")
    end
    policy_get(policy.load(words[1], datadir .. "/policies"), words[2])
    return errors.OK
  elseif verb == nil then
    errors.raise(errors.USAGE, "usage: bsrun policy check|show|get [POLICY...] (see bsrun --help)")
  end
  errors.raise(errors.USAGE, "unknown policy command '%s' (expected check, show or get)", verb)
end

return M
