-- bsrun.sched_local: the local scheduler backend of a chain (trusted side).
-- Runs each job's bsrun command line as a child process
-- (bsrun_host.spawn), up to opts.jobs at once, each once all its deps
-- built; a failed job's dependants are "skipped", independent ones go on.
--
-- The backend interface (bsrun.sched_slurm has the same):
--   run(jobs, opts, events) → { [id] = { status =, exitcode =, seconds =, ... } }
--   jobs: in a dependency order, each { id =, srpm =, deps = { ids },
--         argv = { full bsrun command line }, resultdir =, log = path }
--   opts: { jobs = N, chaindir =, repo =, verbosity = }
--   events: started(job), finished(job, status, exitcode) with status
--           "built" | "failed" | "skipped", and optional tick() (about once
--           a second while builds run)
local bs = require "bs"

local M = {}

function M.run(jobs, opts, events)
  local results, pending, running = {}, {}, {}
  for _, j in ipairs(jobs) do pending[#pending + 1] = j end
  local max = math.max(1, opts.jobs or 1)

  local function finish(j, status, exitcode, seconds, t0)
    local r = { status = status, exitcode = exitcode, seconds = seconds }
    if t0 then
      -- wall-clock start and end (epoch seconds): chain.json shows the overlap
      r.started = math.floor(t0 * 1000 + 0.5) / 1000
      r.ended = math.floor((t0 + seconds) * 1000 + 0.5) / 1000
    end
    results[j.id] = r
    if events.finished then events.finished(j, status, exitcode) end
  end

  -- pending jobs whose dependency failed or was skipped: skipped (repeated
  -- until nothing changes, so that skips propagate down the chain)
  local function skip_dependants()
    local changed = true
    while changed do
      changed = false
      for i = #pending, 1, -1 do
        local j = pending[i]
        for _, d in ipairs(j.deps) do
          local r = results[d]
          if r and r.status ~= "built" then
            table.remove(pending, i)
            finish(j, "skipped", nil, nil)
            changed = true
            break
          end
        end
      end
    end
  end

  local function ready(j)
    for _, d in ipairs(j.deps) do
      if not (results[d] and results[d].status == "built") then return false end
    end
    return true
  end

  local function start_ready()
    local i = 1
    while i <= #pending and #running < max do
      local j = pending[i]
      if ready(j) then
        table.remove(pending, i)
        local p, msg = bsrun_host.spawn(j.argv, { stdout = j.log, stderr = j.log })
        if not p then
          bs.log.error("%s: %s", j.id, msg)
          finish(j, "failed", nil, 0)
        else
          running[#running + 1] = { job = j, proc = p, t0 = bs.time() }
          if events.started then events.started(j) end
        end
      else
        i = i + 1
      end
    end
  end

  local function loop()
    while true do
      skip_dependants()
      start_ready()
      if #running == 0 then
        -- nothing runs and nothing can start: what is left waits for a
        -- job that is not in the list (cannot happen with a planner's list)
        for _, j in ipairs(pending) do finish(j, "skipped", nil, nil) end
        return
      end
      local procs = {}
      for i, r in ipairs(running) do procs[i] = r.proc end
      local _, idx = bsrun_host.wait_any(procs, 1)
      if idx then
        local r = table.remove(running, idx)
        local how, code = r.proc:poll()
        local ok = how == "exit" and code == 0
        finish(r.job, ok and "built" or "failed", how == "exit" and code or 128 + code, bs.time() - r.t0, r.t0)
      elseif events.tick then
        events.tick()
      end
    end
  end

  local ok, err = pcall(loop)
  if not ok then
    -- interrupted (or a bug): every running build is told to stop (each
    -- bsrun tears its context down) and waited for
    for _, r in ipairs(running) do r.proc:kill() end
    for _, r in ipairs(running) do r.proc:wait() end
    error(err, 0)
  end
  return results
end

return M
