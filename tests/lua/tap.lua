-- The reporter of the plain-Lua tests (tests/lua/*.lua): check prints
-- "ok   NAME" or "FAIL NAME" with the detail's lines indented below it;
-- done prints "N passed, N failed" and exits non-zero on any failure.
-- Use: package.path = "lua/?.lua;tests/lua/?.lua"; local tap = require "tap"
local M = { passed = 0, failed = 0 }

function M.check(ok, name, detail)
  if ok then
    M.passed = M.passed + 1
    print("ok   " .. name)
  else
    M.failed = M.failed + 1
    print("FAIL " .. name)
    for line in tostring(detail or ""):gmatch("[^\n]+") do print("     " .. line) end
  end
  return ok
end

function M.done()
  print(string.format("%d passed, %d failed", M.passed, M.failed))
  os.exit(M.failed == 0 and 0 or 1)
end

return M
