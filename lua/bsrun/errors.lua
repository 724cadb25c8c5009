-- bsrun.errors: structured errors that carry bsrun's exit code.
-- A raised error object is a table {exit = CODE, message = TEXT}; the C host
-- prints "bsrun: TEXT" and exits with CODE. Plain string errors exit with 2.
local M = {
  OK = 0,
  BUILD = 1,      -- the package failed to build
  USAGE = 2,      -- usage error or bad input (option, file, policy, recipe)
  DEPS = 3,       -- unresolvable dependencies
  INFRA = 4,      -- infrastructure failure (repository, kernel feature, disk)
  LIMIT = 5,      -- a policy limit was hit
  INTR = 130,     -- interrupted (Ctrl-C, SIGTERM, SIGHUP); everything torn down
}

local mt = { __name = "bsrun.error" }
mt.__tostring = function(e) return e.message end

--- Raise an error that makes bsrun exit with `code`; `fmt` is string.format'ed.
function M.raise(code, fmt, ...)
  local msg = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  error(setmetatable({ exit = code, message = msg }, mt), 0)
end

--- True when `e` is an error raised by M.raise (with exit status `code`,
--- when given).
function M.is(e, code)
  return getmetatable(e) == mt and (code == nil or e.exit == code)
end

--- The error object M.raise would raise, without raising it.
function M.new(code, fmt, ...)
  local msg = select("#", ...) > 0 and string.format(fmt, ...) or fmt
  return setmetatable({ exit = code, message = msg }, mt)
end

return M
