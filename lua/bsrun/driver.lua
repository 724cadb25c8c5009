-- bsrun.driver: runs a recipe inside the recipe sandbox. It checks the shape
-- of the table a recipe returns, prints the plan (--dry-run) or runs the
-- steps for each package, and turns failures into bsrun's exit codes.
local bs = require "bs"
local errors = require "bsrun.errors"
local json = require "bsrun.json"

local M = {}

local function shape_error(file, path, fmt, ...)
  errors.raise(errors.USAGE, "%s: %s: " .. fmt, file, path, ...)
end

local function expect(file, path, value, kind)
  if type(value) ~= kind then
    shape_error(file, path, "expected a %s, got %s", kind, type(value))
  end
end

local RECIPE_KEYS = { description = "string", needs = "table", steps = "table" }
local STEP_KEYS = { name = "string", does = "string", run = "function", plan = "function", always = "boolean" }

--- Checks the table a recipe file returned; raises exit 2 with FILE: KEY: MESSAGE.
function M.check_recipe(recipe, file)
  if type(recipe) ~= "table" then
    errors.raise(errors.USAGE, "%s: a recipe must return a table, got %s", file, type(recipe))
  end
  for k, v in pairs(recipe) do
    local kind = RECIPE_KEYS[k]
    if not kind then shape_error(file, tostring(k), "unknown key") end
    expect(file, k, v, kind)
  end
  expect(file, "description", recipe.description, "string")
  expect(file, "steps", recipe.steps, "table")
  if #recipe.steps == 0 then shape_error(file, "steps", "a recipe needs at least one step") end
  local names = {}
  for i, step in ipairs(recipe.steps) do
    local at = string.format("steps[%d]", i)
    expect(file, at, step, "table")
    for k, v in pairs(step) do
      local kind = STEP_KEYS[k]
      if not kind then shape_error(file, at .. "." .. tostring(k), "unknown key") end
      expect(file, at .. "." .. k, v, kind)
    end
    expect(file, at .. ".name", step.name, "string")
    expect(file, at .. ".does", step.does, "string")
    expect(file, at .. ".run", step.run, "function")
    if names[step.name] then shape_error(file, at .. ".name", "duplicate step name %q", step.name) end
    names[step.name] = true
  end
  for i, need in ipairs(recipe.needs or {}) do
    expect(file, string.format("needs[%d]", i), need, "string")
    local ok, err = pcall(bs.has, need)
    if not ok then shape_error(file, string.format("needs[%d]", i), "%s", err) end
  end
end

--- The macros of a build, in the order rpm gets them: the policy's, then
--- --with/--without, then --define (the user's last word wins).
function M.macros(job)
  local list, names = {}, {}
  for name in pairs(job.policy.macros or {}) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    list[#list + 1] = { name = name, value = job.policy.macros[name] }
  end
  for _, f in ipairs(job.options.with) do
    list[#list + 1] = { name = "_with_" .. f, value = "--with-" .. f }
  end
  for _, f in ipairs(job.options.without) do
    list[#list + 1] = { name = "_without_" .. f, value = "--without-" .. f }
  end
  for _, d in ipairs(job.defines) do list[#list + 1] = d end
  return list
end

local function human_size(n)
  for _, u in ipairs { { 2 ^ 40, "T" }, { 2 ^ 30, "G" }, { 2 ^ 20, "M" }, { 2 ^ 10, "K" } } do
    if n >= u[1] and n % u[1] == 0 then return string.format("%d%s", n // u[1], u[2]) end
  end
  return tostring(n)
end

local function human_time(s)
  for _, u in ipairs { { 86400, "d" }, { 3600, "h" }, { 60, "m" } } do
    if s >= u[1] and s % u[1] == 0 then return string.format("%d%s", s // u[1], u[2]) end
  end
  return s .. "s"
end

--- One line summing up the isolation a build gets.
function M.isolation_summary(iso)
  return string.format("memory %s, pids %d, disk %s, timeout %s, network %s, hostname %s",
    human_size(iso.memory), iso.pids, human_size(iso.disk), human_time(iso.timeout),
    iso.network == "host" and "host" or "none", iso.hostname)
end

local function print_plan(recipe, job, b)
  local pol = job.policy
  print(string.format("plan for %s", b.package.file))
  print(string.format("  recipe     %s (%s)", job.recipe_name, job.recipe_file))
  print(string.format("  policy     %s (%s)", pol.name, pol.file))
  print(string.format("  target     arch %s, dist %q", pol.arch, pol.dist))
  print(string.format("  resultdir  %s", b.resultdir))
  print(string.format("  isolation  %s", M.isolation_summary(pol.isolation)))
  print(string.format("  base set   %d packages from %d repositories", #(pol.base or {}), #(pol.repos or {})))
  print("  steps")
  for i, step in ipairs(recipe.steps) do
    print(string.format("    %d. %-14s %s", i, step.name, step.does))
    if step.plan then
      local detail = step.plan(b)
      if detail then print(string.format("       %-14s %s", "", detail)) end
    end
  end
end

local function missing_needs(recipe)
  local missing = {}
  for _, need in ipairs(recipe.needs or {}) do
    if not bs.has(need) then missing[#missing + 1] = "bs." .. need end
  end
  return missing
end

local function open_or_raise(r, name, opts)
  local f, msg = r:open(name, opts)
  if not f then errors.raise(errors.INFRA, "result directory %s: %s", r:path(), msg) end
  return f
end

local function iso_time(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

-- Runs the steps for one build, recording each phase in state.log and
-- b.phases; steps marked `always` run even after a failure. Returns the
-- first failure (an error value) and the failed step's name, or nil.
local function run_steps(recipe, b, state)
  local failure, failed_step, interrupted
  for i, step in ipairs(recipe.steps) do
    if not failure or step.always then
      bs.log.info("[%d/%d] %s: %s", i, #recipe.steps, step.name, step.does)
      b.phase = step.name
      local t0 = bs.time()
      state:write(string.format("%s start %s\n", iso_time(t0), step.name))
      local ok, err = pcall(step.run, b)
      local sig = bs.interrupted()   -- after Ctrl-C: this step failed, cleanup steps still run
      if sig and not interrupted then
        interrupted = true
        ok, err = false, errors.is(err, errors.INTR) and err or errors.new(errors.INTR, "interrupted by %s", sig)
      end
      local secs = bs.time() - t0
      bs.log.progress()
      state:write(string.format("%s %s %s %.3fs\n", iso_time(t0 + secs), ok and "done" or "FAILED",
        step.name, secs))
      b.phases[#b.phases + 1] = { name = step.name, start = iso_time(t0), ok = ok,
                                  seconds = math.floor(secs * 1000 + 0.5) / 1000 }
      if not ok and (not failure or (interrupted and not errors.is(failure, errors.INTR))) then
        failure, failed_step = err, step.name
      end
    end
  end
  return failure, failed_step
end

-- The exit code and message of a failure value.
local function describe_failure(err)
  if errors.is(err) then return err.exit, err.message end
  return errors.USAGE, tostring(err)
end

-- The results.json document of one build.
local function results_doc(job, b, code, message, failed_step, t0)
  local hdr = b.header or {}
  return {
    bsrun = bs.version,
    status = code == errors.OK and "ok" or "failed",
    exit_code = code,
    message = message,
    failed_phase = failed_step,
    package = {
      file = b.package.file, name = hdr.name, epoch = hdr.epoch, version = hdr.version,
      release = hdr.release, nevr = hdr.nevr,
    },
    policy = job.policy.name,
    recipe = job.recipe_name,
    started = iso_time(t0),
    seconds = math.floor((bs.time() - t0) * 1000 + 0.5) / 1000,
    phases = json.array(b.phases),
    packages = json.array(b.built),
    buildrequires = { written = json.array(b.buildrequires.written),
                      resolved = json.array(b.buildrequires.resolved) },
    limits_hit = json.array(b.limits_hit),
    warnings = json.array(b.warnings),
    resultdir = b.resultdir,
  }
end

-- Prints the last lines of build.log after a failure (sanitized by bs.results).
local function show_tail(r, lines)
  local text = r:tail("build.log", 8192)
  if not text or text == "" then return end
  local all = {}
  for line in text:gmatch("[^\n]*") do all[#all + 1] = line end
  while #all > 0 and all[#all] == "" do all[#all] = nil end
  local from = math.max(1, #all - lines + 1)
  local out = { "last lines of build.log:" }
  for i = from, #all do out[#out + 1] = "  " .. all[i] end
  bs.log.block(table.concat(out, "\n") .. "\n")
end

-- One build: result directory staged, steps run, results.json written, the
-- directory put in place. Returns the build's exit code.
local function run_build(recipe, job, b)
  local t0 = bs.time()
  local r, msg = bs.results.begin(b.resultdir)
  if not r then errors.raise(errors.INFRA, "%s", msg) end
  b.results = r
  -- the build writes these two: each is bounded like any other file the
  -- build leaves on the host (results.max_file, and the root's disk limit)
  local pol = job.policy
  local cap = math.min(pol.results and pol.results.max_file or math.huge,
                       pol.isolation and pol.isolation.disk or math.huge)
  if cap == math.huge then cap = nil end
  b.logs = {
    build = open_or_raise(r, "build.log", { tee = (job.options.verbosity or 0) >= 1, max = cap }),
    root = open_or_raise(r, "root.log", { max = cap }),
  }
  local state = open_or_raise(r, "state.log")
  local failure, failed_step = run_steps(recipe, b, state)
  local code, message = errors.OK, nil
  if failure then code, message = describe_failure(failure) end
  if code == errors.INTR then
    r:abort()                  -- an interrupted build leaves nothing behind
    error(failure, 0)
  end
  local ok, err = r:write("results.json", json.encode(results_doc(job, b, code, message, failed_step, t0), true) .. "\n")
  if not ok then
    -- a result without its results.json (a full disk) is not kept
    r:abort()
    errors.raise(errors.INFRA, "result directory %s: %s; nothing kept%s", b.resultdir, err,
      failure and string.format(" (the build failed in phase '%s': %s)", failed_step, message) or "")
  end
  if failure and failed_step ~= "header" then show_tail(r, 20) end
  local final, aside = r:commit()
  if not final then errors.raise(errors.INFRA, "%s", aside) end
  if aside then bs.log.info("the earlier result was moved to %s", aside) end
  if failure then
    bs.log.error("%s: %s failed in phase '%s': %s (logs in %s)", b.package.file,
      b.header and b.header.nevr or "build", failed_step, message, final)
  else
    print(string.format("%s: built in %.1fs, results in %s", b.package.file, bs.time() - t0, final))
    for _, p in ipairs(b.built) do print("  " .. p.file) end
    for _, w in ipairs(b.warnings) do bs.log.warn("%s", w) end
  end
  return code
end

--- Runs the recipe chunk for every package of the job; returns the exit code
--- (the first failed build's, 0 when all built).
function M.run(chunk, job)
  local recipe = chunk()
  M.check_recipe(recipe, job.recipe_file)
  local macros = M.macros(job)
  local worst = errors.OK
  for _, pkg in ipairs(job.packages) do
    local b = {
      job = job, package = pkg, policy = job.policy, options = job.options, header = pkg.header,
      resultdir = pkg.resultdir, macros = macros, phases = {}, built = {}, warnings = {},
      limits_hit = {}, buildrequires = { written = {}, resolved = {} },
    }
    if job.options.dry_run then
      print_plan(recipe, job, b)
    else
      local missing = missing_needs(recipe)
      if #missing > 0 then
        errors.raise(errors.INFRA,
          "recipe %s needs %s, which this version of bsrun (%s) does not provide yet; " ..
          "--dry-run checks the inputs and prints the plan", job.recipe_name, table.concat(missing, ", "),
          bs.version)
      end
      local code = run_build(recipe, job, b)
      if worst == errors.OK then worst = code end
    end
  end
  return worst
end

return M
