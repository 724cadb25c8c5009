-- bsrun.chain: chain builds on the trusted side (never given to recipes).
-- Plans a set of src.rpms (what each produces and BuildRequires, evaluated
-- inside one throwaway planning context with the target's macros), finds the
-- DAG, refuses cycles, and hands a scheduler backend (bsrun.sched_local,
-- bsrun.sched_slurm) one job per package: a full `bsrun ... --chain-repo`
-- command line. Also publishes one build's RPMs into a chain repository
-- (`--chain-repo`). See doc/chains.md.
local bs = require "bs"
local errors = require "bsrun.errors"
local json = require "bsrun.json"
local plan = require "bsrun.chainplan"

local M = {}

M.KEY_FILE = ".chain-key"
local abspath

--- path made absolute (relative to the current directory).
function M.abspath(path)
  if path:sub(1, 1) == "/" then return path end
  local cwd = os.getenv("PWD")
  local real = bsrun_host.realpath(".")
  return (real or cwd) .. "/" .. path
end
abspath = M.abspath

-- The metadata files repodata/repomd.xml names, as a set.
local function repomd_files(repodata)
  local names = {}
  local f = io.open(repodata .. "/repomd.xml", "r")
  if not f then return names end
  local text = f:read(1 << 20) or ""
  f:close()
  for n in text:gmatch('href="repodata/([^"/]+)"') do names[n] = true end
  return names
end

-- Moves the metadata made in new (a directory beside dir/repodata) into
-- dir/repodata: the data files first, repomd.xml last, so that a reader
-- sees the old metadata or the new, whole; files neither the new nor the
-- previous repomd.xml names go (a build that read the previous one still
-- finds what it names, as createrepo_c's --retain-old-md would keep it).
local function install_metadata(dir, new)
  local md = dir .. "/repodata"
  local keep = repomd_files(md)
  local ok, msg = bsrun_host.mkdirs(md)
  if not ok then return nil, msg end
  local names = bsrun_host.listdir(new) or {}
  table.sort(names, function(a, b) return b == "repomd.xml" or (a ~= "repomd.xml" and a < b) end)
  for _, name in ipairs(names) do
    keep[name] = true
    local rok, rmsg = os.rename(new .. "/" .. name, md .. "/" .. name)
    if not rok then return nil, rmsg end
  end
  for _, name in ipairs(bsrun_host.listdir(md) or {}) do
    if not keep[name] then os.remove(md .. "/" .. name) end
  end
  return bs.fs.remove_tree(new)
end

-- createrepo_c over dir, run in a throwaway context: the RPMs there come
-- from hostile builds, and their headers are parsed only in there (bsrun
-- never parses a built RPM on the host). dir is bound read-only at /repo
-- (the old metadata reused with --update); the new metadata is made in the
-- context's own root and copied out (regular files only, bounded) beside
-- dir/repodata, then moved in. The caller holds the lock.
local function createrepo(dir, isolation)
  local root, msg = bs.fs.mkroot()
  if not root then return nil, "a root for createrepo_c: " .. tostring(msg) end
  local ctx
  local ok, res, rmsg = pcall(function()
    local binds = { { "/usr", "/usr", ro = true, recursive = true } }
    for _, d in ipairs { "bin", "sbin", "lib", "lib64" } do
      local real = bsrun_host.realpath("/" .. d)
      if real and real:sub(1, 5) == "/usr/" then binds[#binds + 1] = { real, "/" .. d, ro = true } end
    end
    local cmsg
    ctx, cmsg = bs.ctx.create { root = root.path, own_root = true, binds = binds, isolation = isolation }
    if not ctx then return nil, "a context for createrepo_c: " .. tostring(cmsg) end
    -- bound from the host side (dir may be out of the context's reach by path)
    local mok, mmsg = bsrun_host.mkdirs(root.path .. "/repo")
    if mok then mok, mmsg = ctx:mount(dir, "/repo", { ro = true, noexec = true }) end
    if not mok then return nil, "the repository in createrepo_c's context: " .. tostring(mmsg) end
    -- /out in the context's own root (writable only from inside), then createrepo_c
    local argv = { "/bin/sh", "-c", 'mkdir /out && exec "$@"', "sh", "createrepo_c", "-q", "--no-database",
                   "-o", "/out" }
    local old = io.open(dir .. "/repodata/repomd.xml", "r")
    if old then
      old:close()
      for _, a in ipairs { "--update", "--update-md-path", "/repo" } do argv[#argv + 1] = a end
    end
    argv[#argv + 1] = "/repo"
    local log = dir .. "/.createrepo.log"
    local lf = io.open(log, "w")
    if not lf then return nil, "cannot write " .. log end
    local how, code = ctx:exec(argv, { cwd = "/", stdout = lf, stderr = lf, timeout = 3600 })
    lf:close()
    if how ~= "exit" or code ~= 0 then
      local f = io.open(log, "r")
      local text = f and f:read(4096) or ""
      if f then f:close() end
      return nil, string.format("createrepo_c failed (%s %s): %s", tostring(how), tostring(code),
        (text:gsub("%s+$", ""):gsub("\n", " | ")))
    end
    ctx:kill()
    local new = dir .. "/.repodata.new"
    bs.fs.remove_tree(new)
    local out, omsg = bs.fs.copy_out(root, "/out/repodata", new,
                                     { max_file = 1 << 30, max_total = 4 << 30, max_files = 64, max_depth = 1 })
    if not out then return nil, "copying the metadata out: " .. tostring(omsg) end
    return install_metadata(dir, new)
  end)
  if ctx then ctx:kill() end
  bs.fs.remove_tree(root)
  if not ok then return nil, tostring(res) end
  return res, rmsg
end

--- Makes the chain repository dir (absolute path returned) with empty
--- metadata when it has none; raises exit 4 when it cannot.
function M.ensure_repo(dir, isolation)
  dir = abspath(dir)
  local ok, msg = bsrun_host.mkdirs(dir)
  if not ok then errors.raise(errors.INFRA, "chain repository: %s", msg) end
  local f = io.open(dir .. "/repodata/repomd.xml", "r")
  if f then
    f:close()
    return dir
  end
  local lock, lmsg = bsrun_host.lock(dir .. "/.lock")
  if not lock then errors.raise(errors.INFRA, "chain repository: %s", lmsg) end
  ok, msg = createrepo(dir, isolation)
  lock:unlock()
  if not ok then errors.raise(errors.INFRA, "chain repository %s: %s", dir, msg) end
  return dir
end

--- The policy repository entry of the chain repository at absolute dir:
--- before every policy repository (priority 1), named after its path.
function M.repo_spec(dir)
  return { name = "chain-" .. bsrun_host.sha256(dir):sub(1, 12), url = "file://" .. dir,
           kind = "rpm-md", priority = 1 }
end

-- The binary RPMs (not .src.rpm) of a result directory.
local function binary_rpms(resultdir)
  local out = {}
  for _, name in ipairs(bsrun_host.listdir(resultdir) or {}) do
    if name:sub(-4) == ".rpm" and name:sub(-8) ~= ".src.rpm" and name:sub(1, 1) ~= "." then
      out[#out + 1] = name
    end
  end
  return out
end

--- Copies the binary RPMs of resultdirs (regular files only, no symlink
--- followed) into the repository at dir and updates its metadata, all under
--- an exclusive lock on dir/.lock (only_missing: only RPMs dir lacks, and
--- no metadata update when there are none). Returns true, or nil and a message.
function M.publish_dirs(dir, resultdirs, only_missing, isolation)
  local lock, msg = bsrun_host.lock(dir .. "/.lock")
  if not lock then return nil, msg end
  local copied = 0
  for _, rd in ipairs(resultdirs) do
    for _, name in ipairs(binary_rpms(rd)) do
      local there = only_missing and io.open(dir .. "/" .. name, "r")
      if there then
        there:close()
      else
        local ok, cmsg = bsrun_host.copyfile(rd .. "/" .. name, dir .. "/" .. name)
        if not ok then
          lock:unlock()
          return nil, cmsg
        end
        copied = copied + 1
      end
    end
  end
  if copied == 0 and only_missing then
    lock:unlock()
    return true
  end
  local ok, cmsg = createrepo(dir, isolation)
  lock:unlock()
  return ok, cmsg
end

--- After a successful build with --chain-repo: its RPMs into the repository.
--- Returns an exit code (4 when publishing failed).
function M.publish(job)
  if job.options.dry_run then return errors.OK end
  local dir = job.chain_repo.url:gsub("^file://", "")
  local dirs = {}
  for _, pkg in ipairs(job.packages) do dirs[#dirs + 1] = pkg.resultdir end
  local ok, msg = M.publish_dirs(dir, dirs, false, job.policy.isolation)
  if not ok then
    bs.log.error("publishing into the chain repository %s failed: %s", dir, msg)
    return errors.INFRA
  end
  bs.log.info("published into the chain repository %s", dir)
  return errors.OK
end

-- The key of a build: its src.rpm, the policy, the options and the keys
-- of the chain packages it depends on.
local function build_key(node, job, policy_hash, keys)
  local parts = { "bsrun-chain-1", node.sha256, job.policy.name, policy_hash, job.recipe_name,
                  bsrun_host.sha256file(job.recipe_file) or "" }
  for _, d in ipairs(job.defines) do parts[#parts + 1] = "D" .. d.name .. " " .. d.value end
  for _, w in ipairs(job.options.with) do parts[#parts + 1] = "W" .. w end
  for _, w in ipairs(job.options.without) do parts[#parts + 1] = "N" .. w end
  local deps = {}
  for _, d in ipairs(node.deps) do deps[#deps + 1] = keys[d] end
  table.sort(deps)
  for _, k in ipairs(deps) do parts[#parts + 1] = "K" .. k end
  return bsrun_host.sha256(table.concat(parts, "\n"))
end

local function read_small(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local s = f:read(200)
  f:close()
  return s and s:match("^(%x+)")
end

-- The bsrun command line building one package of the chain.
local function job_argv(job, node, repo)
  local o = job.options
  local argv = { bsrun_host.exe() or "bsrun" }
  if o.verbosity > 0 then argv[#argv + 1] = "-v" end
  local pol = o.policy or "hostdist"
  if pol:find("/", 1, true) then pol = abspath(pol) end
  for _, a in ipairs { "-p", pol, "-r", node.resultdir, "--chain-repo", repo } do argv[#argv + 1] = a end
  for _, d in ipairs(o.defines) do argv[#argv + 1] = "--define=" .. d end
  for _, w in ipairs(o.with) do argv[#argv + 1] = "--with=" .. w end
  for _, w in ipairs(o.without) do argv[#argv + 1] = "--without=" .. w end
  local r = o.recipe
  argv[#argv + 1] = (r:find("/", 1, true) or r:sub(-4) == ".lua") and abspath(r) or r
  argv[#argv + 1] = node.path
  return argv
end

local function fmt_time(s)
  if not s then return "-" end
  if s >= 60 then return string.format("%dm%02ds", math.floor(s / 60), math.floor(s % 60)) end
  return string.format("%.1fs", s)
end

-- The TTY display: one line per running build and a totals line, redrawn
-- in place on stderr; nothing when stderr is not a terminal or with -q.
local function progress(enabled)
  local P = { lines = 0 }
  -- the phase a build's log shows last ("[3/6] build"; the log is bsrun's
  -- own output, control characters already escaped)
  function P.phase(log)
    local f = log and io.open(log, "r")
    if not f then return "" end
    local size = f:seek("end")
    f:seek("set", math.max(0, size - 4096))
    local text = f:read("a") or ""
    f:close()
    local last = ""
    for a, b in text:gmatch("%[(%d+/%d+)%] ([%w_-]+):") do last = "[" .. a .. "] " .. b end
    return last:sub(1, 16)
  end
  function P.clear()
    if enabled and P.lines > 0 then
      io.stderr:write(string.format("\27[%dA\27[J", P.lines))
      P.lines = 0
    end
  end
  function P.draw(running, totals)
    if not enabled then return end
    P.clear()
    local out = {}
    for _, r in ipairs(running) do
      out[#out + 1] = string.format("  building %-28s %-16s %5ds", r.id, P.phase(r.log),
        math.floor(bs.time() - r.t0))
    end
    out[#out + 1] = totals
    io.stderr:write(table.concat(out, "\n"), "\n")
    P.lines = #out
  end
  return P
end

-- The summary table and chain.json.
local function report(job, chaindir, repo, order, nodes, results, t0)
  local rows, doc = {}, {}
  local counts = { built = 0, failed = 0, skipped = 0 }
  local w = 7
  for _, id in ipairs(order) do w = math.max(w, #id) end
  print(string.format("%-" .. w .. "s  %-7s  %8s  %s", "PACKAGE", "STATUS", "TIME", "RESULTS"))
  for _, id in ipairs(order) do
    local n, r = nodes[id], results[id] or { status = "skipped" }
    counts[r.status] = (counts[r.status] or 0) + 1
    local status = r.status .. (r.cached and "*" or "")
    print(string.format("%-" .. w .. "s  %-7s  %8s  %s", id, status, fmt_time(r.seconds), n.resultdir))
    local entry = {
      id = id, srpm = n.path, nvr = n.nvr, status = r.status, cached = r.cached or false,
      exitcode = r.exitcode, seconds = r.seconds and math.floor(r.seconds * 1000 + 0.5) / 1000,
      resultdir = n.resultdir, log = n.log, key = n.key, deps = json.array(n.deps),
      produces = json.array(n.produces),
    }
    for k, v in pairs(r) do
      if entry[k] == nil and type(v) ~= "table" and type(v) ~= "function" and type(v) ~= "userdata" then
        entry[k] = v
      end
    end
    rows[#rows + 1] = entry
  end
  doc = {
    bsrun = bs.version, policy = job.policy.name, recipe = job.recipe_name,
    scheduler = job.options.scheduler or "local", jobs = job.options.jobs, chaindir = chaindir,
    repo = repo, started = os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t0)),
    seconds = math.floor((bs.time() - t0) * 1000 + 0.5) / 1000,
    built = counts.built, failed = counts.failed, skipped = counts.skipped,
    packages = json.array(rows),
  }
  local tmp = chaindir .. "/.chain.json.tmp"
  local f = io.open(tmp, "w")
  if f then
    f:write(json.encode(doc, true), "\n")
    f:close()
    os.rename(tmp, chaindir .. "/chain.json")
  end
  print(string.format("%d built, %d failed, %d skipped in %s (* = already built from the same inputs); %s",
    counts.built, counts.failed, counts.skipped, fmt_time(bs.time() - t0), chaindir .. "/chain.json"))
  return counts
end

--- Loads the scheduler backend NAME (bsrun.sched_NAME).
function M.backend(name)
  local ok, mod = pcall(require, "bsrun.sched_" .. name)
  if not ok then
    errors.raise(errors.USAGE, "--scheduler %s: this bsrun has no such scheduler (%s)", name,
      tostring(mod):match("[^\n]*"))
  end
  return mod
end

--- Plans and builds the chain of job.packages; returns the exit code: 0
--- all built, 1 some failed or skipped, 2 a cycle or bad input.
function M.run(job)
  local t0 = bs.time()
  local o = job.options
  local backend = M.backend(o.scheduler or "local")
  local chaindir = abspath(o.resultdir or require("bsrun.main").DEFAULT_RESULTS)
  local ok, msg = bsrun_host.mkdirs(chaindir .. "/logs")
  if not ok then errors.raise(errors.INFRA, "chain directory: %s", msg) end
  local repo = M.ensure_repo(o.chain_repo or (chaindir .. "/repo"), job.policy.isolation)
  job.chaindir = chaindir

  -- 1. what each package produces and needs
  local nodes, order = plan.plan(job)
  for _, id in ipairs(order) do
    local n = nodes[id]
    n.resultdir = abspath(n.pkg.resultdir)
    n.path = abspath(n.pkg.path)
    n.log = chaindir .. "/logs/" .. id .. ".log"
  end
  -- 2. the DAG (raises exit 2 on a cycle) in a dependency order
  order = plan.toposort(nodes, order)
  bs.log.info("chain of %d packages: %s", #order, plan.describe(nodes, order))

  -- 3. keys; what is already built from the same inputs is not built again
  local policy_hash = bsrun_host.sha256(require("bsrun.policy").dump(job.policy))
  local keys, results, cached_dirs = {}, {}, {}
  for _, id in ipairs(order) do
    local n = nodes[id]
    n.sha256 = assert(bsrun_host.sha256file(n.path))
    n.key = build_key(n, job, policy_hash, keys)
    keys[id] = n.key
    if read_small(n.resultdir .. "/" .. M.KEY_FILE) == n.key then
      results[id] = { status = "built", cached = true, exitcode = 0, seconds = 0 }
      cached_dirs[#cached_dirs + 1] = n.resultdir
    end
  end
  if #cached_dirs > 0 then
    bs.log.info("%d packages already built from the same inputs: not built again", #cached_dirs)
    local pok, pmsg = M.publish_dirs(repo, cached_dirs, true, job.policy.isolation)
    if not pok then errors.raise(errors.INFRA, "chain repository %s: %s", repo, pmsg) end
  end

  -- 4. the jobs for the backend
  local jobs = {}
  for _, id in ipairs(order) do
    local n = nodes[id]
    if not results[id] then
      local deps = {}
      for _, d in ipairs(n.deps) do
        if not results[d] then deps[#deps + 1] = d end
      end
      -- a stale key would let a re-run skip a failed rebuild
      os.remove(n.resultdir .. "/" .. M.KEY_FILE)
      jobs[#jobs + 1] = { id = id, srpm = n.path, deps = deps, argv = job_argv(job, n, repo),
                          resultdir = n.resultdir, log = n.log }
    end
  end

  -- 5. run them
  local P = progress(bsrun_host.isatty(2) and o.verbosity >= 0)
  local running, done = {}, { built = 0, failed = 0, skipped = 0 }
  for _, r in pairs(results) do done[r.status] = done[r.status] + 1 end
  local function totals()
    return string.format("chain: %d/%d built, %d failed, %d skipped, %d running", done.built, #order,
      done.failed, done.skipped, #running)
  end
  local events = {
    started = function(j)
      running[#running + 1] = { id = j.id, t0 = bs.time(), log = j.log }
      P.draw(running, totals())
    end,
    finished = function(j, status, exitcode)
      for i, r in ipairs(running) do
        if r.id == j.id then table.remove(running, i) break end
      end
      done[status] = (done[status] or 0) + 1
      if status == "built" then
        local f = io.open(j.resultdir .. "/" .. M.KEY_FILE, "w")
        if f then
          f:write(nodes[j.id].key, "\n")
          f:close()
        end
      end
      P.clear()
      if status == "failed" then
        bs.log.warn("%s failed (exit %s); log %s, results %s", j.id, tostring(exitcode), j.log, j.resultdir)
      elseif status == "skipped" then
        bs.log.warn("%s skipped: a package it needs did not build", j.id)
      else
        bs.log.info("%s built", j.id)
      end
      P.draw(running, totals())
    end,
    tick = function() P.draw(running, totals()) end,
  }
  local got = {}
  if #jobs > 0 then
    got = backend.run(jobs, { jobs = o.jobs, chaindir = chaindir, repo = repo, verbosity = o.verbosity }, events)
  end
  P.clear()
  for _, j in ipairs(jobs) do results[j.id] = got[j.id] or { status = "skipped" } end

  -- 6. the summary and chain.json
  local counts = report(job, chaindir, repo, order, nodes, results, t0)
  if counts.failed > 0 or counts.skipped > 0 then return errors.BUILD end
  return errors.OK
end

return M
