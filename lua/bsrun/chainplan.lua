-- bsrun.chainplan: what each src.rpm of a chain produces and BuildRequires,
-- and the DAG between them (trusted side; see doc/chains.md).
--
-- Spec files are untrusted: they are only ever parsed inside one throwaway
-- planning context made from the policy's base image (the same root a build
-- starts from), with the target's macros: `rpmbuild -br` through
-- bs.rpm.buildrequires for the BuildRequires, `rpmspec -q --builtrpms` for
-- the binary packages and their Provides, `rpmspec -P` for the %files paths.
-- What comes back is only text used to order the builds: a lying spec can
-- at worst misorder the chain (its own build, and every other, still runs
-- in a sealed context of its own).
local bs = require "bs"
local errors = require "bsrun.errors"

local M = {}

local MAX_OUT = 8 << 20
local QUERY = [[out=$1; spec=$2; shift 2
rpmspec -q --builtrpms "$@" --qf "N %{NAME}\n[P %{PROVIDENEVRS}\n]" "$spec" > "$out.q" || exit 1
rpmspec -P "$@" "$spec" > "$out.p" || exit 1]]

local function infra(ok, msg, ...)
  if ok == nil then errors.raise(errors.INFRA, "planning the chain: %s", msg) end
  return ok, msg, ...
end

-- The planning context: a root from the policy's base image (made here
-- when no build made it yet, as the rpmbuild recipe does).
local function planning_context(job)
  local pol = job.policy
  local repos = infra(bs.rpm.repos(pol.repos, { cachedir = job.cachedir .. "/repos", arch = pol.arch }))
  local pkgs = bs.rpm.solve(repos, pol.base)
  local keyrepos, nevras = {}, {}
  for _, r in ipairs(repos:list()) do keyrepos[#keyrepos + 1] = r.name .. "=" .. tostring(r.cookie) end
  for _, p in ipairs(pkgs) do nevras[#nevras + 1] = p.nevra end
  local img, state = infra(bs.image.acquire({ policy = pol.name, repos = keyrepos, packages = nevras },
                                            { store = job.cachedir .. "/images" }))
  if state == "build" then
    bs.log.info("making the base image of %s (%d packages)", pol.name, #pkgs)
    local ctx = infra(bs.ctx.create { root = img:tree(), own_root = true, isolation = pol.isolation })
    local files = infra(bs.rpm.download(repos, pkgs, { cachedir = job.cachedir .. "/packages" }))
    infra(bs.rpm.install(ctx, files, {}))
    local info = ctx:info()
    ctx:kill()
    infra(img:commit(info))
  end
  repos:close()
  local root = infra(bs.image.root(img, { disk = pol.isolation.disk }))
  local ctx = infra(bs.ctx.create { root = root, isolation = pol.isolation })
  return { img = img, root = root, ctx = ctx }
end

local function close_context(pc)
  if pc.ctx then pc.ctx:kill() end
  if pc.root then pc.root:release() end
  if pc.img then pc.img:close() end
end

-- Turns a %files glob into an anchored Lua pattern.
local function glob_pattern(g)
  local out = { "^" }
  local i = 1
  while i <= #g do
    local c = g:sub(i, i)
    if c == "*" then out[#out + 1] = "[^/]*"
    elseif c == "?" then out[#out + 1] = "[^/]"
    elseif c == "[" and g:find("]", i + 1, true) then
      local j = g:find("]", i + 1, true)
      out[#out + 1] = "[" .. g:sub(i + 1, j - 1):gsub("^!", "^"):gsub("%%", "%%%%") .. "]"
      i = j
    elseif c:match("%p") then out[#out + 1] = "%" .. c
    else out[#out + 1] = c end
    i = i + 1
  end
  out[#out + 1] = "$"
  return table.concat(out)
end

local SECTIONS = {
  package = 1, description = 1, prep = 1, build = 1, install = 1, check = 1, clean = 1, files = 1,
  changelog = 1, pre = 1, post = 1, preun = 1, postun = 1, pretrans = 1, posttrans = 1,
  triggerin = 1, triggerun = 1, triggerpostun = 1, triggerprein = 1, verifyscript = 1,
  filetriggerin = 1, filetriggerun = 1, filetriggerpostun = 1, transfiletriggerin = 1,
  transfiletriggerun = 1, transfiletriggerpostun = 1, generate_buildrequires = 1, conf = 1,
  sourcelist = 1, patchlist = 1,
}

--- The absolute paths (globs allowed) listed in the %files sections of a
--- parsed spec (rpmspec -P output).
function M.files_of(text)
  local files, in_files = {}, false
  for line in text:gmatch("[^\n]*") do
    local sect = line:match("^%%([%w_]+)")
    if sect and SECTIONS[sect] then
      in_files = sect == "files"
    elseif in_files then
      local rest = line
      repeat
        local before = rest
        rest = rest:gsub("^%s+", ""):gsub("^%%[%w_]+%b()", ""):gsub("^%%[%w_]+", "")
      until rest == before
      local pos = 1
      while true do
        local s, e, word = rest:find('^%s*"([^"]*)"', pos)
        if not s then s, e, word = rest:find("^%s*(%S+)", pos) end
        if not s then break end
        if word:sub(1, 1) == "/" then files[#files + 1] = word end
        pos = e + 1
      end
    end
  end
  return files
end

--- The package names a requirement may be satisfied by: a plain name
--- ("foo", "foo >= 1"), a path, or every name in a rich dependency.
function M.req_names(req)
  if req:sub(1, 1) ~= "(" then return { req:match("^(%S+)") } end
  local names, skip = {}, false
  local KEYWORDS = { ["and"] = 1, ["or"] = 1, ["if"] = 1, ["else"] = 1, with = 1, without = 1, unless = 1 }
  for tok in req:gmatch("[^%s()]+") do
    if skip then skip = false
    elseif tok:match("^[<>=]+$") then skip = true
    elseif not KEYWORDS[tok] then names[#names + 1] = tok end
  end
  return names
end

-- Plans one package in the planning context; fills node.requires,
-- node.produces, node.provides, node.files.
local function plan_one(pc, job, node, i, macros, log)
  local topdir = "/builddir/plan/" .. i
  local reqs, info = bs.rpm.buildrequires(pc.ctx, node.pkg.path, macros, { topdir = topdir, log = log,
                                                                          timeout = 600 })
  if not reqs then error(info, 0) end
  node.requires = reqs
  local argv = { "/bin/sh", "-c", QUERY, "sh", topdir .. "/out", info.spec, "--define", "_topdir " .. topdir }
  for _, m in ipairs(macros) do
    argv[#argv + 1] = "--define"
    argv[#argv + 1] = m.name .. " " .. m.value
  end
  local how, code = pc.ctx:exec(argv, { cwd = topdir, timeout = 600, stdout = log, stderr = log })
  if how ~= "exit" or code ~= 0 then error("rpmspec cannot query the spec (see the planning log)", 0) end
  local q = bs.fs.read(pc.root, topdir .. "/out.q", { max = MAX_OUT }) or ""
  local p = bs.fs.read(pc.root, topdir .. "/out.p", { max = MAX_OUT }) or ""
  for line in q:gmatch("[^\n]+") do
    local name = line:match("^N (%S+)$")
    if name then
      node.produces[#node.produces + 1] = name
      node.provides[name] = true
    else
      local prov = line:match("^P (%S+)")
      if prov then node.provides[prov] = true end
    end
  end
  node.files = M.files_of(p)
end

--- Plans job.packages: returns nodes (id → {id, pkg, nvr, requires,
--- produces, provides, files, deps, why}) and the ids in the given order.
--- The id is the package's name; two packages of one name raise exit 2.
function M.plan(job)
  local nodes, order = {}, {}
  for _, pkg in ipairs(job.packages) do
    local id = pkg.header and pkg.header.name or pkg.stem
    local nvr = pkg.header and pkg.header.nvr or pkg.stem
    -- the header is untrusted: its name becomes file names of the chain
    if not id:match("^[%w][%w._+-]*$") or not nvr:match("^[%w][%w._+~^:-]*$") or #nvr > 200 then
      errors.raise(errors.USAGE, "%s: package name %q is not a plain name (letters, digits, . _ + -)",
        pkg.path, nvr)
    end
    if nodes[id] then
      errors.raise(errors.USAGE, "%s and %s are both package %s: a chain builds each name once",
        nodes[id].pkg.path, pkg.path, id)
    end
    nodes[id] = { id = id, pkg = pkg, nvr = nvr, requires = {},
                  produces = {}, provides = {}, files = {}, deps = {}, why = {} }
    order[#order + 1] = id
  end
  local macros = require("bsrun.driver").macros(job)
  local log = io.open(job.chaindir .. "/logs/plan.log", "w")
  bs.log.info("planning the chain of %d packages (BuildRequires and Provides with the macros of %s)",
    #order, job.policy.name)
  local pc = planning_context(job)
  local ok, err = pcall(function()
    for i, id in ipairs(order) do
      bs.log.progress("planning %d/%d: %s", i, #order, id)
      local pok, perr = pcall(plan_one, pc, job, nodes[id], i, macros, log)
      if not pok then
        if errors.is(perr, errors.INTR) then error(perr, 0) end
        nodes[id].plan_error = tostring(perr)
        bs.log.warn("%s: cannot plan it (%s); it is built without chain dependencies", id, tostring(perr))
      end
    end
  end)
  bs.log.progress()
  close_context(pc)
  if log then log:close() end
  if not ok then error(err, 0) end
  M.link(nodes, order)
  return nodes, order
end

--- Adds node.deps (ids) and node.why (id → the requirement) from each
--- node's requires: a name or Provide another node produces, or a path in
--- its %files (exact, glob, or below a directory listed). Versions are not
--- compared (an edge too many only orders builds); a package's own
--- products are not a dependency.
function M.link(nodes, order)
  local by_provide = {}
  for _, id in ipairs(order) do
    for prov in pairs(nodes[id].provides) do
      by_provide[prov] = by_provide[prov] or {}
      table.insert(by_provide[prov], id)
    end
  end
  local function file_producers(path)
    local out = {}
    for _, id in ipairs(order) do
      for _, f in ipairs(nodes[id].files) do
        if f == path or path:sub(1, #f + 1) == f .. "/" or
           (f:find("[*?[]") and path:match(glob_pattern(f))) then
          out[#out + 1] = id
          break
        end
      end
    end
    return out
  end
  for _, id in ipairs(order) do
    local n, seen = nodes[id], {}
    for _, req in ipairs(n.requires) do
      for _, name in ipairs(M.req_names(req)) do
        local producers = name:sub(1, 1) == "/" and file_producers(name) or by_provide[name] or {}
        for _, p in ipairs(producers) do
          if p ~= id and not seen[p] then
            seen[p] = true
            n.deps[#n.deps + 1] = p
            n.why[p] = req
          end
        end
      end
    end
  end
end

--- Returns the ids in an order where each comes after its deps (stable:
--- otherwise the given order); a cycle raises exit 2 naming it.
function M.toposort(nodes, order)
  local state, out, stack = {}, {}, {}
  local function visit(id)
    if state[id] == "done" then return end
    if state[id] == "open" then
      local from
      for i, s in ipairs(stack) do
        if s == id then from = i break end
      end
      local parts = {}
      for i = from, #stack do
        local a, b = stack[i], stack[i + 1] or id
        parts[#parts + 1] = string.format("%s (BuildRequires %s)", a, nodes[a].why[b])
      end
      parts[#parts + 1] = id
      errors.raise(errors.USAGE, "dependency cycle: %s", table.concat(parts, " -> "))
    end
    state[id] = "open"
    stack[#stack + 1] = id
    for _, d in ipairs(nodes[id].deps) do visit(d) end
    stack[#stack] = nil
    state[id] = "done"
    out[#out + 1] = id
  end
  for _, id in ipairs(order) do visit(id) end
  return out
end

--- One line: "a, b (after a), c (after a, b)".
function M.describe(nodes, order)
  local parts = {}
  for _, id in ipairs(order) do
    local d = nodes[id].deps
    parts[#parts + 1] = #d > 0 and string.format("%s (after %s)", id, table.concat(d, ", ")) or id
  end
  return table.concat(parts, ", ")
end

return M
