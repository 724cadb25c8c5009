-- bsrun.driver: runs a recipe inside the recipe sandbox. It checks the shape
-- of the table a recipe returns, prints the plan (--dry-run) or runs the
-- steps for each package, and turns failures into bsrun's exit codes.
local bs = require "bs"
local errors = require "bsrun.errors"

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

-- Runs the steps for one build; steps marked `always` run even after a failure.
local function run_steps(recipe, b)
  local failure
  for i, step in ipairs(recipe.steps) do
    if not failure or step.always then
      bs.log.info("[%d/%d] %s: %s", i, #recipe.steps, step.name, step.does)
      local t0 = os.time()
      local ok, err = pcall(step.run, b)
      b.phases[#b.phases + 1] = { name = step.name, seconds = os.time() - t0, ok = ok }
      if not ok and not failure then failure = err end
    end
  end
  if failure then error(failure, 0) end
end

--- Runs the recipe chunk for every package of the job; returns the exit code.
function M.run(chunk, job)
  local recipe = chunk()
  M.check_recipe(recipe, job.recipe_file)
  local macros = M.macros(job)
  for _, pkg in ipairs(job.packages) do
    local b = {
      job = job, package = pkg, policy = job.policy, options = job.options,
      resultdir = pkg.resultdir, macros = macros, phases = {},
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
      run_steps(recipe, b)
    end
  end
  return errors.OK
end

return M
