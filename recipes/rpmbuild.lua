-- rpmbuild: the default recipe. Rebuilds one src.rpm with `rpmbuild -ba` in a
-- fresh, sealed root made from the policy's base set, installs the package's
-- BuildRequires (evaluated inside the root with the target distribution's
-- macros), and copies the results out safely. See doc/recipes.md for the
-- recipe format and the `b` table each step gets.
local bs = require "bs"
local errors = require "bsrun.errors"

local recipe = {
  description = "rebuild a src.rpm with rpmbuild -ba in a fresh, sealed root",
  -- the primitive families this recipe composes; bsrun refuses to start it
  -- (exit 4) when the running version lacks one
  needs = { "ctx", "fs", "rpm", "results" },
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

-- Solves `requires` against the policy's repositories and installs what is
-- not installed yet into the context, logging to root.log.
local function install(b, requires, what)
  local pkgs = bs.rpm.solve(b.repos, requires, { conflicts = b.header and b.header.buildconflicts })
  local todo = {}
  for _, p in ipairs(pkgs) do
    if not b.installed[p.nevra] then todo[#todo + 1] = p end
  end
  b.logs.root:write(string.format("%s: %d packages to install\n", what, #todo))
  for _, p in ipairs(todo) do b.logs.root:write("  ", p.nevra, " (", p.repo, ")\n") end
  if #todo == 0 then return pkgs end
  local files = infra(bs.rpm.download(b.repos, todo, { cachedir = b.job.cachedir .. "/packages" }))
  local ok, msg = bs.rpm.install(b.ctx, files, {
    log = b.logs.root, installed_log = b.logs.installed,
    progress = function(ev)
      if ev.what == "done" then
        bs.log.progress("%s: %s, %d/%d packages installed, %ds", b.package.file, what, ev.index, ev.total,
          math.floor(bs.time() - b.started))
      end
    end,
  })
  if not ok then errors.raise(errors.INFRA, "installing the %s failed: %s", what, msg) end
  for _, p in ipairs(todo) do b.installed[p.nevra] = p end
  return pkgs
end

recipe.steps = {
  {
    name = "root",
    does = "make a fresh root and install the policy's base set into it",
    run = function(b)
      b.installed, b.started = {}, bs.time()
      b.logs.installed = infra(b.results:open("installed_pkgs.log"))
      b.root = infra(bs.fs.mkroot())
      b.ctx = infra(bs.ctx.create { root = b.root.path, own_root = true })
      b.repos = infra(bs.rpm.repos(b.policy.repos, { cachedir = b.job.cachedir .. "/repos",
                                                     arch = b.policy.arch }))
      install(b, b.policy.base, "base set")
    end,
  },
  {
    name = "buildrequires",
    does = "install the src.rpm, evaluate BuildRequires with the target's macros, install them",
    run = function(b)
      b.buildrequires.written = b.header.buildrequires or {}
      local seen = {}
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
          if not seen[r] then seen[r] = true; new[#new + 1] = r end
        end
        if #new == 0 then break end
        if round == 10 then errors.raise(errors.BUILD, "%%generate_buildrequires keeps asking for more") end
        local pkgs = install(b, new, "BuildRequires")
        for _, p in ipairs(pkgs) do b.buildrequires.resolved[#b.buildrequires.resolved + 1] = p.nevra end
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
    end,
  },
  {
    name = "collect",
    does = "copy RPMs out (regular files only, size-capped)",
    run = function(b)
      for _, dir in ipairs { "RPMS", "SRPMS" } do
        local report = infra(b.results:copy_out(b.root, TOPDIR .. "/" .. dir, b.policy.results))
        for _, f in ipairs(report.files) do b.built[#b.built + 1] = f end
        for _, w in ipairs(report.warnings) do b.warnings[#b.warnings + 1] = w end
      end
    end,
  },
  {
    name = "teardown",
    does = "kill every process of the context and remove the root",
    always = true,
    run = function(b)
      if b.ctx then b.ctx:kill() end
      if b.repos then b.repos:close() end
      if b.root and not b.options.keep then bs.fs.remove_tree(b.root) end
      if b.root and b.options.keep then bs.log.info("the build root is kept in %s", b.root.path) end
    end,
  },
}

return recipe
