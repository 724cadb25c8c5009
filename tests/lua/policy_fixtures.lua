-- Check the policy fixtures and the shipped policies in pure Lua.
-- Run from the project root:  lua5.4 tests/lua/policy_fixtures.lua
--
-- tests/data/policies/good/*.lua must load; their "-- check: EXPR" lines are
-- Lua expressions over the loaded policy `p` that must be true.
-- tests/data/policies/bad/*.lua must fail; the first line of each is
-- "-- expect: MESSAGE" where FILE stands for the fixture's own path and DIR
-- for tests/data/policies/bad.  Prints ok/FAIL per fixture and a final
-- "N passed, N failed" line; exits non-zero on any failure.
package.path = "lua/?.lua;tests/lua/?.lua"

local policy = require "bsrun.policy"
local errors = require "bsrun.errors"

local POLICYDIR = "policies"
local GOOD, BAD = "tests/data/policies/good", "tests/data/policies/bad"

local tap = require "tap"
local result = tap.check

local function list(dir)
  local p = assert(io.popen("ls -1 '" .. dir .. "'"))
  local files = {}
  for f in p:lines() do
    if f:match("%.lua$") then files[#files + 1] = dir .. "/" .. f end
  end
  p:close()
  table.sort(files)
  return files
end

local function read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end

local function message(e)
  if errors.is(e) then return e.message, e.exit end
  return "(not a bsrun error) " .. tostring(e), nil
end

-- good fixtures and shipped policies --------------------------------------
local function check_good(path)
  local ok, p = pcall(policy.load, path, POLICYDIR)
  if not ok then return result(false, path, message(p)) end
  local env = setmetatable({ p = p }, { __index = _G })
  for expr in read(path):gmatch("%-%- check: ([^\n]*)") do
    local fn, err = load("return " .. expr, "=check", "t", env)
    if not fn then return result(false, path, "bad check: " .. err) end
    local cok, v = pcall(fn)
    if not cok or not v then
      return result(false, path, "check failed: " .. expr .. (cok and "" or ("\n" .. tostring(v))))
    end
  end
  -- the dump must be deterministic and valid Lua
  local d1, d2 = policy.dump(p), policy.dump(policy.load(path, POLICYDIR))
  if d1 ~= d2 then return result(false, path, "dump is not deterministic") end
  if not load(d1, "=dump", "t", {}) then return result(false, path, "dump is not valid Lua") end
  result(true, path)
end

for _, name in ipairs{ "hostdist", "rhl9", "fc1" } do
  local ok, p = pcall(policy.load, name, POLICYDIR)
  result(ok and p.name == name, "policies/" .. name .. ".lua", not ok and message(p) or nil)
end
for _, path in ipairs(list(GOOD)) do check_good(path) end

-- bad fixtures --------------------------------------------------------------
local function plain_gsub(s, from, to)
  return (s:gsub(from:gsub("%p", "%%%0"), (to:gsub("%%", "%%%%"))))
end

for _, path in ipairs(list(BAD)) do
  local want = read(path):match("^%-%- expect: ([^\n]*)")
  if not want then
    result(false, path, "first line is not \"-- expect: MESSAGE\"")
  else
    want = plain_gsub(plain_gsub(want, "FILE", path), "DIR", BAD)
    local ok, e = pcall(policy.load, path, POLICYDIR)
    if ok then
      result(false, path, "loaded without error\nwant: " .. want)
    else
      local got, code = message(e)
      result(got == want and code == errors.USAGE, path,
        "want: " .. want .. "\ngot:  " .. got .. "\nexit: " .. tostring(code))
    end
  end
end

tap.done()
