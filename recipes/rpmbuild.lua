-- rpmbuild: the default recipe. Rebuilds one src.rpm with `rpmbuild -ba` in a
-- fresh, sealed root made from the policy's base set, installs the package's
-- BuildRequires (evaluated with the target distribution's macros), and copies
-- the results out safely. See doc/recipes.md for the recipe format.
local bs = require "bs"

local recipe = {
  description = "rebuild a src.rpm with rpmbuild -ba in a fresh, sealed root",
  -- the primitive families this recipe composes; bsrun refuses to start it
  -- (exit 4) when the running version lacks one
  needs = { "ctx", "fs", "rpm" },
}

-- The rpmbuild command line run inside the context.
local function rpmbuild_argv(b)
  local argv = { "rpmbuild", "-ba", "--nodeps" }
  for _, m in ipairs(b.macros) do
    argv[#argv + 1] = "--define"
    argv[#argv + 1] = m.name .. " " .. m.value
  end
  argv[#argv + 1] = "/builddir/build/SPECS/" .. (b.header and b.header.specfile or "PACKAGE.spec")
  return argv
end

local function shell_words(argv)
  local out = {}
  for i, a in ipairs(argv) do
    out[i] = a:match("^[%w%%%-%./_=:{}]+$") and a or ("'" .. a:gsub("'", "'\\''") .. "'")
  end
  return table.concat(out, " ")
end

recipe.steps = {
  {
    name = "header",
    does = "read the src.rpm header in a throwaway sandbox",
    run = function(b) b.header = bs.rpm.header(b.package.path) end,
  },
  {
    name = "root",
    does = "make a fresh root: cached read-only base image + private upper layer",
    run = function(b) b.root = bs.rpm.base_root(b.policy, { disk = b.policy.isolation.disk }) end,
  },
  {
    name = "context",
    does = "create the sealed build context (namespaces, caps, seccomp, limits)",
    run = function(b)
      b.ctx = bs.ctx.create { root = b.root, isolation = b.policy.isolation }
    end,
  },
  {
    name = "buildrequires",
    does = "install the src.rpm, evaluate BuildRequires with the target's macros, install them",
    run = function(b)
      local reqs = bs.rpm.buildrequires(b.ctx, b.package.path, b.macros)
      bs.rpm.install(b.ctx, bs.rpm.solve(b.policy.repos, reqs))
    end,
  },
  {
    name = "build",
    does = "run rpmbuild inside the context",
    plan = function(b) return shell_words(rpmbuild_argv(b)) end,
    run = function(b)
      local st = b.ctx:exec(rpmbuild_argv(b), { cwd = "/builddir", env = b.policy.isolation.env })
      b.build_status = st
    end,
  },
  {
    name = "collect",
    does = "copy RPMs and logs out (regular files only, size-capped), write results.json",
    run = function(b)
      bs.fs.copy_out(b.root, "/builddir/build/RPMS", b.resultdir, b.policy.results)
      bs.fs.copy_out(b.root, "/builddir/build/SRPMS", b.resultdir, b.policy.results)
    end,
  },
  {
    name = "teardown",
    does = "kill every process of the context and remove the root",
    always = true,
    run = function(b)
      if b.ctx then b.ctx:kill() end
      if b.root then bs.fs.remove_tree(b.root) end
    end,
  },
}

return recipe
