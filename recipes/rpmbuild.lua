-- rpmbuild: the default recipe. Rebuilds one src.rpm with `rpmbuild -ba` in a
-- fresh, sealed root made from the policy's base set, installs the package's
-- BuildRequires (evaluated inside the root with the target distribution's
-- macros), and copies the results out safely. See doc/recipes.md for the
-- recipe format and the `b` table each step gets.
local bs = require "bs"
local errors = require "bsrun.errors"
local installopts = require "bsrun.installopts"

local recipe = {
  description = "rebuild a src.rpm with rpmbuild -ba in a fresh, sealed root",
  -- the primitive families this recipe composes; bsrun refuses to start it
  -- (exit 4) when the running version lacks one
  needs = { "ctx", "fs", "rpm", "results", "image" },
}

local TOPDIR = "/builddir/build"
local ERRNO = { EINVAL = 22, ENOEXEC = 8 }

-- The macros every rpm command in the root gets: the build tree, then the
-- policy's and the user's (b.macros, in that order).
local function macro_args(b)
  local argv = { "--define", "_topdir " .. TOPDIR }
  for _, m in ipairs(b.macros) do
    argv[#argv + 1] = "--define"
    argv[#argv + 1] = m.name .. " " .. m.value
  end
  return argv
end

-- The rpmbuild command line run inside the context.
local function rpmbuild_argv(b)
  local argv = { "rpmbuild", "-ba", "--nodeps" }
  for _, a in ipairs(macro_args(b)) do argv[#argv + 1] = a end
  argv[#argv + 1] = TOPDIR .. "/SPECS/" .. (b.header and b.header.specfile or "PACKAGE.spec")
  return argv
end

local function shell_words(argv)
  local out = {}
  for i, a in ipairs(argv) do
    out[i] = a:match("^[%w%%%-%./_=:{}]+$") and a or ("'" .. a:gsub("'", "'\\''") .. "'")
  end
  return table.concat(out, " ")
end

-- Raises a bsrun error from a `nil, message, errno` system failure.
local function infra(ok, msg, ...)
  if ok == nil then errors.raise(errors.INFRA, "%s", msg) end
  return ok, msg, ...
end

-- Downloads and installs the packages `pkgs` (solver results) into ctx,
-- logging to root.log and installed_pkgs.log, with a progress line.
local function install_pkgs(b, ctx, pkgs, what)
  b.logs.root:write(string.format("%s: %d packages to install\n", what, #pkgs))
  for _, p in ipairs(pkgs) do b.logs.root:write("  ", p.nevra, " (", p.repo, ")\n") end
  if #pkgs == 0 then return end
  local files = infra(bs.rpm.download(b.repos, pkgs, { cachedir = b.job.cachedir .. "/packages" }))
  local opts = installopts.options(b.policy)
  opts.log, opts.installed_log = b.logs.root, b.logs.installed
  opts.progress = function(ev)
    if ev.what == "done" then
      bs.log.progress("%s: %s, %d/%d packages installed, %ds", b.package.file, what, ev.index, ev.total,
        math.floor(bs.time() - b.started))
    end
  end
  local ok, msg = bs.rpm.install(ctx, files, opts)
  bs.log.progress()
  if not ok then errors.raise(errors.INFRA, "installing the %s failed: %s", what, msg) end
end

-- Solves `requires` against the policy's repositories and installs what the
-- root does not have yet; returns the solver's packages.
local function install(b, requires, what)
  local pkgs = bs.rpm.solve(b.repos, requires, { conflicts = b.header and b.header.buildconflicts })
  local todo = {}
  for _, p in ipairs(pkgs) do
    if not b.installed[p.nevra] then todo[#todo + 1] = p end
  end
  install_pkgs(b, b.ctx, todo, what)
  for _, p in ipairs(todo) do b.installed[p.nevra] = p end
  return pkgs
end

-- The base image of the policy's base set: read-only, verified, shared by
-- every build that resolves to the same packages; made once (here, in a
-- context of its own) when no build made it before.
local function base_image(b)
  local pkgs = bs.rpm.solve(b.base_repos, b.policy.base)
  local repos, nevras = {}, {}
  for _, r in ipairs(b.base_repos:list()) do repos[#repos + 1] = r.name .. "=" .. tostring(r.cookie) end
  for _, p in ipairs(pkgs) do nevras[#nevras + 1] = p.nevra end
  local img, state = infra(bs.image.acquire({ policy = b.policy.name, repos = repos, packages = nevras,
                                              extra = installopts.image_key(b.policy) },
                                            { store = b.job.cachedir .. "/images" }))
  if state == "build" then
    bs.log.info("making the base image of %s (%d packages); later builds start from it at once",
      b.policy.name, #pkgs)
    local ctx = infra(bs.ctx.create { root = img:tree(), own_root = true })
    install_pkgs(b, ctx, pkgs, "base set")
    local info = ctx:info()
    ctx:kill()
    infra(img:commit(info))
    -- the cache grew: keep it under the policy's size cap (least recently used go)
    local cap = b.policy.cache and b.policy.cache.max_size
    if cap then
      local gone = infra(bs.image.prune { max_size = cap, keep = img, store = b.job.cachedir .. "/images" })
      for _, key in ipairs(gone) do
        bs.log.info("the image cache is over its cap (%d bytes): removed image %s", cap, key:sub(1, 12))
      end
    end
  else
    b.logs.root:write(string.format("base set: %d packages from the cached image %s\n", #pkgs, img:key()))
    for _, p in ipairs(pkgs) do b.logs.installed:write(p.nevra, "\n") end
  end
  for _, p in ipairs(pkgs) do b.installed[p.nevra] = p end
  return img
end

-- An empty image (no packages): the lower layer of a root whose packages
-- are all installed by the build itself (BSRUN_BENCH_NO_IMAGE=1).
local function empty_image(b)
  local img, state = infra(bs.image.acquire({ policy = b.policy.name, repos = {}, packages = {},
                                              extra = { "empty" } },
                                            { store = b.job.cachedir .. "/images" }))
  if state == "build" then
    local ctx = infra(bs.ctx.create { root = img:tree(), own_root = true })
    local info = ctx:info()
    ctx:kill()
    infra(img:commit(info))
  end
  return img
end

-- What the packages built are and hold, asked of rpm *inside* the context
-- (their headers are the build's: never parsed on the host): NEVRA per file,
-- and warnings for setuid/setgid files and files outside the FHS tree.
local FHS = { "/usr/", "/etc/", "/var/", "/opt/", "/boot/", "/srv/", "/run/", "/bin/", "/sbin/",
              "/lib/", "/lib64/", "/dev/" }
local QUERY = [[cd /builddir/build || exit 1
for f in RPMS/*/*.rpm SRPMS/*.rpm; do
  [ -f "$f" ] || continue
  rpm -qp --nosignature --nodigest --qf "P ${f##*/} %{NAME}-%|EPOCH?{%{EPOCH}:}:{}|%{VERSION}-%{RELEASE}.%|SOURCERPM?{%{ARCH}}:{src}|\n[F %{FILEMODES:octal} %{FILENAMES}\n]" "$f"
done > /builddir/pkginfo.txt 2>/dev/null]]

local function inspect(b)
  local how, code = b.ctx:exec({ "/bin/sh", "-c", QUERY }, { cwd = "/builddir", timeout = 300 })
  if how ~= "exit" or code ~= 0 then
    b.warnings[#b.warnings + 1] = "could not list the packages built (rpm -qp failed)"
    return
  end
  local text = bs.fs.read(b.root, "/builddir/pkginfo.txt", { max = 16 << 20 })
  if not text then return end
  local pkg
  b.nevra = {}
  for line in text:gmatch("[^\n]+") do
    local file, nevra = line:match("^P (%S+) (%S+)$")
    if file then
      pkg = nevra
      b.nevra[file] = nevra
    else
      local mode, path = line:match("^F (%d+) (.+)$")
      mode = mode and tonumber(mode, 8)
      if mode and pkg and not pkg:match("%.src$") then
        if mode & 0x800 ~= 0 or mode & 0x400 ~= 0 then
          b.warnings[#b.warnings + 1] = string.format("%s: %s is set%sid (mode %o)", pkg, path,
            mode & 0x800 ~= 0 and "u" or "g", mode & 0xfff)
        end
        local fhs = false
        for _, prefix in ipairs(FHS) do fhs = fhs or path:sub(1, #prefix) == prefix end
        if not fhs then
          b.warnings[#b.warnings + 1] = string.format("%s: %s is outside the FHS tree", pkg, path)
        end
      end
    end
  end
end

recipe.steps = {
  {
    name = "root",
    does = "a fresh root: the policy's base set (a cached read-only image) + a private upper layer",
    run = function(b)
      b.installed, b.started = {}, bs.time()
      b.logs.installed = infra(b.results:open("installed_pkgs.log"))
      local ropts = { cachedir = b.job.cachedir .. "/repos", arch = b.policy.arch }
      b.base_repos = infra(bs.rpm.repos(b.policy.repos, ropts))
      b.repos = b.base_repos
      if b.job.chain_repo then
        -- --chain-repo: a chain's own repository first (BuildRequires only;
        -- the base set and its image come from the policy's alone)
        local all = { b.job.chain_repo }
        for _, r in ipairs(b.policy.repos) do all[#all + 1] = r end
        b.repos = infra(bs.rpm.repos(all, ropts))
      end
      local no_image = os.getenv("BSRUN_BENCH_NO_IMAGE")
      if no_image == "disk" then
        -- the base set installed into a plain directory on the host's disk
        b.root = infra(bs.fs.mkroot())
        b.ctx = infra(bs.ctx.create { root = b.root, own_root = true })
        install(b, b.policy.base, "base set")
      elseif no_image == "1" then
        -- bench/install.sh and bench/rebuild.sh's "before base images"
        -- figure: the base set installed into every fresh root (over an
        -- empty image: the root's own storage, where BuildRequires go)
        b.image = empty_image(b)
        b.root = infra(bs.image.root(b.image, { disk = b.policy.isolation.disk }))
        b.ctx = infra(bs.ctx.create { root = b.root })
        install(b, b.policy.base, "base set")
      else
        b.image = base_image(b)
        b.root = infra(bs.image.root(b.image, { disk = b.policy.isolation.disk }))
        b.ctx = infra(bs.ctx.create { root = b.root })
      end
    end,
  },
  {
    name = "buildrequires",
    does = "install the src.rpm, evaluate BuildRequires with the target's macros, install them",
    run = function(b)
      local seen, base = {}, {}
      for nevra in pairs(b.installed) do base[nevra] = true end
      -- %generate_buildrequires: evaluate again until nothing new is asked for
      for round = 1, 10 do
        local reqs, msg, errno = bs.rpm.buildrequires(b.ctx, b.package.path, b.macros, { log = b.logs.root })
        if not reqs then
          -- ENOEXEC: rpmbuild -br failed on the spec (its output is in root.log)
          errors.raise(errno == ERRNO.ENOEXEC and errors.BUILD or errno == ERRNO.EINVAL and errors.USAGE
            or errors.INFRA, "evaluating the BuildRequires: %s", msg)
        end
        local new = {}
        for _, r in ipairs(reqs) do
          if not seen[r] then
            seen[r] = true
            new[#new + 1] = r
            b.buildrequires.written[#b.buildrequires.written + 1] = r
          end
        end
        if #new == 0 then break end
        if round == 10 then errors.raise(errors.BUILD, "%%generate_buildrequires keeps asking for more") end
        for _, p in ipairs(install(b, new, "BuildRequires")) do
          if not base[p.nevra] then
            base[p.nevra] = true
            b.buildrequires.resolved[#b.buildrequires.resolved + 1] = p.nevra
          end
        end
      end
    end,
  },
  {
    name = "build",
    does = "run rpmbuild inside the context",
    plan = function(b) return shell_words(rpmbuild_argv(b)) end,
    run = function(b)
      local how, code = infra(b.ctx:exec(rpmbuild_argv(b), {
        cwd = TOPDIR, stdout = b.logs.build, stderr = b.logs.build,
      }))
      local hit = b.ctx:info().limits
      for _, l in ipairs { "memory", "pids", "time" } do
        if hit[l] then b.limits_hit[#b.limits_hit + 1] = l end
      end
      if #b.limits_hit > 0 then
        errors.raise(errors.LIMIT, "the build hit the %s limit of the policy", table.concat(b.limits_hit, " and "))
      end
      if how ~= "exit" or code ~= 0 then
        errors.raise(errors.BUILD, "rpmbuild -ba failed (%s %s)", how, tostring(code))
      end
      inspect(b)
    end,
  },
  {
    name = "shell",
    does = "with --shell: an interactive shell in the build's context (after the build or at its failure)",
    always = true,
    run = function(b)
      if not b.options.shell or not b.ctx then return end
      bs.log.info("a shell in the build's context (same isolation; the build tree is %s); exit it to go on",
        TOPDIR)
      b.ctx:exec({ "/bin/bash", "-i" }, {
        cwd = TOPDIR, stdin = "terminal", stdout = "terminal", stderr = "terminal",
        env = { PATH = "/usr/bin:/bin:/usr/sbin:/sbin", HOME = "/root", TERM = os.getenv("TERM") or "dumb",
                PS1 = "[bsrun " .. b.package.file .. "] \\w# " },
      })
    end,
  },
  {
    name = "collect",
    does = "end the context, copy RPMs out (regular files only, size-capped)",
    run = function(b)
      b.ctx:kill()   -- nothing of the build runs while its results are read
      for _, dir in ipairs { "RPMS", "SRPMS" } do
        local report = infra(b.results:copy_out(b.root, TOPDIR .. "/" .. dir, b.policy.results))
        for _, f in ipairs(report.files) do
          f.nevra = b.nevra and b.nevra[f.name]
          b.built[#b.built + 1] = f
        end
        for _, w in ipairs(report.warnings) do b.warnings[#b.warnings + 1] = w end
      end
    end,
  },
  {
    name = "teardown",
    does = "kill every process of the context and drop the root",
    always = true,
    run = function(b)
      if b.ctx then b.ctx:kill() end
      if b.repos then b.repos:close() end
      if b.base_repos and b.base_repos ~= b.repos then b.base_repos:close() end
      if b.root and b.options.keep then
        -- marked, so that the next bsrun does not take it for a killed build's leftover
        local path = b.root.path
        if b.image then infra(b.root:keep()) else infra(bs.fs.keep_root(path)) end
        bs.log.info("the build root is kept, mounted at %s (umount it when done)", path)
      elseif b.root and b.image then
        infra(b.root:release())
      elseif b.root then
        infra(bs.fs.remove_tree(b.root))
      end
      if b.image then b.image:close() end
    end,
  },
}

return recipe
