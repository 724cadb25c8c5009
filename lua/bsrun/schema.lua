-- bsrun.schema: a small validator for declarative Lua data.
--
-- A schema is a tree of nodes built with the constructors below.  Every
-- node may carry `default = VALUE` (written the way a user would write it,
-- e.g. "4G"; it is validated and normalized like user input) and, where
-- noted, `expect = TEXT` (how messages describe the expected value) and
-- `check = function(normalized) -> nil | message[, relative_keys]` for
-- constraints the node kinds cannot express.
--
--   string{pattern=, values={...}, maxlen=, numbers=true, valid=, expect=, check=}
--                             valid(v) -> false gives "expected EXPECT, got V";
--                             numbers=true accepts numbers as their tostring;
--                             suggest_from(v) -> the word "did you mean" uses
--   boolean{}                 integer{min=, max=}
--   size{min=, max=}          "512M", "4G", "100" (bytes) -> integer bytes
--   duration{min=, max=}      "30s", "90m", "4h", "2d"    -> integer seconds
--   enum{v1, v2, ...}         literal values, e.g. enum{false, "host"}
--   list(elem, {min=, max=, expect=, check=})
--   map(keynode, valuenode, {expect=})
--   record{field = node, ..., required = {...}, check=}
--   oneof(a, b, ...)
--
-- validate() never raises for bad data: it returns the normalized value and
-- a list of errors {keys = {...}, path = "a.b[2]", message = "..."}, sorted
-- by the (deterministic) order in which the tree was walked.
local linemap = require "bsrun.linemap"

local M = {}

local render = linemap.render

---------------------------------------------------------------------------
-- Helpers
---------------------------------------------------------------------------

--- Describe a value for "got ..." in messages: strings quoted (long ones
--- cut), tables as "a table", functions as "a function", others tostring.
function M.show(v)
  local t = type(v)
  if t == "string" then
    if #v > 80 then return linemap.quote(v:sub(1, 77)) .. "..." end
    return linemap.quote(v)
  elseif t == "table" or t == "userdata" or t == "function" or t == "thread" then
    return "a " .. t
  end
  return tostring(v)
end

--- Keys of t (raw) in a deterministic order: integers, then other numbers,
--- then strings, then booleans.
function M.sorted_keys(t)
  local keys = {}
  for k in next, t do keys[#keys + 1] = k end
  local function rank(k)
    if math.type(k) == "integer" then return 1 end
    if type(k) == "number" then return 2 end
    if type(k) == "string" then return 3 end
    return 4
  end
  table.sort(keys, function(a, b)
    local ra, rb = rank(a), rank(b)
    if ra ~= rb then return ra < rb end
    if ra == 4 then return tostring(a) < tostring(b) end
    return a < b
  end)
  return keys
end

--- Optimal string alignment distance (edits and adjacent transpositions).
function M.distance(a, b)
  local la, lb = #a, #b
  local d = {}
  for i = 0, la do d[i] = { [0] = i } end
  for j = 0, lb do d[0][j] = j end
  for i = 1, la do
    for j = 1, lb do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      local v = math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if i > 1 and j > 1 and a:byte(i) == b:byte(j - 1) and a:byte(i - 1) == b:byte(j) then
        v = math.min(v, d[i - 2][j - 2] + 1)
      end
      d[i][j] = v
    end
  end
  return d[la][lb]
end

--- The candidate closest to `word` (distance <= 2 and shorter than the
--- word itself), compared case-insensitively; nil if none is close.
function M.suggest(word, candidates)
  if type(word) ~= "string" then return nil end
  local lw = word:lower()
  local best, bestd
  for _, c in ipairs(candidates) do
    local d = M.distance(lw, c:lower())
    if d <= 2 and d < #word and (not bestd or d < bestd or (d == bestd and c < best)) then
      best, bestd = c, d
    end
  end
  return best
end

-- The marker metatable of lists written as `extend { ... }` in a policy.
local EXTEND = { __name = "bsrun.extend" }

--- `extend { ... }`: a copy of list t marked to append to the inherited list.
function M.extend(t)
  if type(t) ~= "table" then
    error("extend expects a list, got " .. M.show(t), 2)
  end
  local copy = {}
  for k, v in next, t do copy[k] = v end
  return setmetatable(copy, EXTEND)
end

--- True when v was made by M.extend.
function M.is_extend(v)
  return type(v) == "table" and getmetatable(v) == EXTEND
end

--- Deep copy of plain data, dropping extend markers.
function M.copy(v)
  if type(v) ~= "table" then return v end
  local t = {}
  for k, x in next, v do t[k] = M.copy(x) end
  return t
end

---------------------------------------------------------------------------
-- Sizes and durations
---------------------------------------------------------------------------

local SIZE_UNITS = { [""] = 1, K = 1 << 10, M = 1 << 20, G = 1 << 30, T = 1 << 40 }
local DURATION_UNITS = { s = 1, m = 60, h = 3600, d = 86400 }

-- Parse "<digits><unit>"; returns integer, or nil, or false on overflow.
local function parse_scaled(v, units, pattern)
  if type(v) ~= "string" then return nil end
  local digits, unit = v:match(pattern)
  if not digits then return nil end
  local mult = units[unit:upper()] or units[unit:lower()]
  digits = digits:gsub("^0+(%d)", "%1")
  if #digits > 18 then return false end
  local n = math.tointeger(tonumber(digits))
  if n > math.maxinteger // mult then return false end
  return n * mult
end

--- Bytes from a size string ("4G"); nil if malformed, false on overflow.
function M.parse_size(v) return parse_scaled(v, SIZE_UNITS, "^(%d+)([KkMmGgTt]?)$") end

--- Seconds from a duration string ("4h"); nil if malformed, false on overflow.
function M.parse_duration(v) return parse_scaled(v, DURATION_UNITS, "^(%d+)([sSmMhHdD])$") end

--- Render bytes with the largest unit that divides them exactly ("4G").
function M.format_size(n)
  for _, u in ipairs{ "T", "G", "M", "K" } do
    if n ~= 0 and n % SIZE_UNITS[u] == 0 then return (n // SIZE_UNITS[u]) .. u end
  end
  return tostring(n)
end

--- Render seconds with the largest unit that divides them exactly ("4h").
function M.format_duration(n)
  for _, u in ipairs{ "d", "h", "m" } do
    if n ~= 0 and n % DURATION_UNITS[u] == 0 then return (n // DURATION_UNITS[u]) .. u end
  end
  return n .. "s"
end

---------------------------------------------------------------------------
-- Node constructors
---------------------------------------------------------------------------

local function node(kind, spec)
  spec = spec or {}
  spec.kind = kind
  return spec
end

-- Validate a node's own bounds given as size/duration strings.
local function scaled_bounds(n, parse)
  for _, b in ipairs{ "min", "max" } do
    if n[b] ~= nil then
      n[b .. "_text"] = n[b]
      n[b] = assert(parse(n[b]), "bad schema bound")
    end
  end
  return n
end

function M.string(spec) return node("string", spec) end
function M.boolean(spec) return node("boolean", spec) end
function M.integer(spec) return node("integer", spec) end
function M.size(spec) return scaled_bounds(node("size", spec), M.parse_size) end
function M.duration(spec) return scaled_bounds(node("duration", spec), M.parse_duration) end

--- enum{v1, v2, ..., default=} : one of the literal values.
function M.enum(spec)
  local n = node("enum", spec)
  n.values = {}
  for i = 1, #spec do n.values[i] = spec[i] end
  return n
end

function M.list(elem, opts)
  local n = node("list", opts)
  n.elem = elem
  return n
end

function M.map(keynode, valuenode, opts)
  local n = node("map", opts)
  n.key, n.value = keynode, valuenode
  return n
end

local RECORD_OPTIONS = { required = true, default = true, check = true, expect = true }

--- record{name = node, ..., required = {...}}: a table with known keys.
function M.record(spec)
  local n = { kind = "record", fields = {}, names = {}, required = spec.required or {} }
  for k, v in pairs(spec) do
    if RECORD_OPTIONS[k] then
      if k ~= "required" then n[k] = v end
    else
      n.fields[k] = v
      n.names[#n.names + 1] = k
    end
  end
  table.sort(n.names)
  return n
end

function M.oneof(...)
  return { kind = "oneof", alts = { ... } }
end

--- How messages describe what a node accepts ("a list of strings", ...).
function M.describe(n)
  if n.expect then return n.expect end
  local k = n.kind
  if k == "string" then return n.numbers and "a string or a number" or "a string"
  elseif k == "boolean" then return "true or false"
  elseif k == "integer" then return "an integer"
  elseif k == "size" then return 'a size like "4G"'
  elseif k == "duration" then return 'a duration like "4h"'
  elseif k == "enum" then
    local parts = {}
    for i, v in ipairs(n.values) do parts[i] = M.show(v) end
    return "one of " .. table.concat(parts, ", ")
  elseif k == "list" then
    local e = n.elem
    if e.kind == "string" and not e.expect then return "a list of strings" end
    if e.kind == "record" then return "a list of tables" end
    return "a list"
  elseif k == "oneof" then
    local parts = {}
    for i, a in ipairs(n.alts) do parts[i] = M.describe(a) end
    return table.concat(parts, " or ")
  end
  return "a table"
end

---------------------------------------------------------------------------
-- Validation
---------------------------------------------------------------------------

local check

local function fail(ctx, keys, msg, extra)
  local k = table.move(keys, 1, #keys, 1, {})
  if extra then table.move(extra, 1, #extra, #k + 1, k) end
  ctx.errs[#ctx.errs + 1] = { keys = k, path = render(k), message = msg }
end

local function expected(ctx, n, keys, v)
  fail(ctx, keys, string.format("expected %s, got %s", M.describe(n), M.show(v)))
end

-- A range message: "an integer from 1 to 99", "a size of at least 16M".
local function range_text(what, lo, hi)
  if lo and hi then return string.format("%s from %s to %s", what, lo, hi) end
  if lo then return string.format("%s of at least %s", what, lo) end
  return string.format("%s of at most %s", what, hi)
end

local function run_check(ctx, n, keys, v)
  if n.check then
    local msg, rel = n.check(v)
    if msg then fail(ctx, keys, msg, rel) end
  end
end

local checkers = {}

function checkers.string(ctx, n, keys, v)
  if n.numbers and type(v) == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return expected(ctx, n, keys, v) end
    v = tostring(v)
  end
  if type(v) ~= "string" then return expected(ctx, n, keys, v) end
  if n.maxlen and #v > n.maxlen then
    return fail(ctx, keys, string.format("expected at most %d characters, got %d", n.maxlen, #v))
  end
  if n.values then
    for _, x in ipairs(n.values) do
      if x == v then return v end
    end
    local msg = string.format("expected %s, got %s", M.describe(n), M.show(v))
    local s = M.suggest(n.suggest_from and n.suggest_from(v) or v, n.values)
    if s then msg = msg .. string.format(" (did you mean %s?)", M.show(s)) end
    return fail(ctx, keys, msg)
  end
  if n.pattern and not v:match(n.pattern) then
    return fail(ctx, keys, string.format("expected %s, got %s",
      n.expect or ("a string matching " .. linemap.quote(n.pattern)), M.show(v)))
  end
  if n.valid and not n.valid(v) then return expected(ctx, n, keys, v) end
  run_check(ctx, n, keys, v)
  return v
end

function checkers.boolean(ctx, n, keys, v)
  if type(v) ~= "boolean" then return expected(ctx, n, keys, v) end
  return v
end

function checkers.integer(ctx, n, keys, v)
  local i = math.tointeger(v)
  if type(v) ~= "number" or not i then return expected(ctx, n, keys, v) end
  if (n.min and i < n.min) or (n.max and i > n.max) then
    return fail(ctx, keys, string.format("expected %s, got %s",
      range_text("an integer", n.min, n.max), M.show(v)))
  end
  return i
end

local function scaled(what, parse)
  return function(ctx, n, keys, v)
    local x = parse(v)
    if x == nil then return expected(ctx, n, keys, v) end
    if x == false then return fail(ctx, keys, string.format("%s too large, got %s", what, M.show(v))) end
    if (n.min and x < n.min) or (n.max and x > n.max) then
      return fail(ctx, keys, string.format("expected %s, got %s",
        range_text("a " .. what, n.min_text, n.max_text), M.show(v)))
    end
    return x
  end
end
checkers.size = scaled("size", M.parse_size)
checkers.duration = scaled("duration", M.parse_duration)

function checkers.enum(ctx, n, keys, v)
  for _, x in ipairs(n.values) do
    if x == v then return v end
  end
  return expected(ctx, n, keys, v)
end

-- Reject extend markers where no list is expected.
local function no_extend(ctx, keys, v)
  if M.is_extend(v) then
    fail(ctx, keys, "extend { ... } is only allowed for lists")
    return false
  end
  return true
end

function checkers.list(ctx, n, keys, v)
  if type(v) ~= "table" then return expected(ctx, n, keys, v) end
  local count, maxk = 0, 0
  for _, k in ipairs(M.sorted_keys(v)) do
    if math.type(k) == "integer" and k >= 1 then
      count, maxk = count + 1, math.max(maxk, k)
    else
      return fail(ctx, keys, string.format("expected %s, got a table with key %s",
        M.describe(n), M.show(k)))
    end
  end
  if count ~= maxk then
    local hole = 1
    while v[hole] ~= nil do hole = hole + 1 end
    return fail(ctx, keys, string.format("expected %s, got a table with a hole at [%d]",
      M.describe(n), hole))
  end
  if n.min and count < n.min then
    return fail(ctx, keys, string.format("expected at least %d item%s, got %d",
      n.min, n.min == 1 and "" or "s", count))
  end
  if n.max and count > n.max then
    return fail(ctx, keys, string.format("expected at most %d item%s, got %d",
      n.max, n.max == 1 and "" or "s", count))
  end
  local before, out = #ctx.errs, {}
  for i = 1, count do
    keys[#keys + 1] = i
    out[i] = check(ctx, n.elem, keys, v[i])
    keys[#keys] = nil
  end
  if #ctx.errs == before then run_check(ctx, n, keys, out) end
  return out
end

function checkers.map(ctx, n, keys, v)
  if type(v) ~= "table" then return expected(ctx, n, keys, v) end
  if not no_extend(ctx, keys, v) then return nil end
  local before, out = #ctx.errs, {}
  for _, k in ipairs(M.sorted_keys(v)) do
    keys[#keys + 1] = k
    local sub = { errs = {}, defaults = ctx.defaults }
    check(sub, n.key, {}, k)
    if #sub.errs > 0 then
      fail(ctx, keys, "invalid key: " .. sub.errs[1].message)
    else
      out[k] = check(ctx, n.value, keys, v[k])
    end
    keys[#keys] = nil
  end
  if #ctx.errs == before then run_check(ctx, n, keys, out) end
  return out
end

function checkers.record(ctx, n, keys, v)
  if type(v) ~= "table" then return expected(ctx, n, keys, v) end
  if not no_extend(ctx, keys, v) then return nil end
  local before, out = #ctx.errs, {}
  for _, k in ipairs(M.sorted_keys(v)) do
    if type(k) ~= "string" or not n.fields[k] then
      local s = M.suggest(k, n.names)
      keys[#keys + 1] = k
      fail(ctx, keys, s and string.format("unknown key (did you mean %s?)", M.show(s))
        or "unknown key")
      keys[#keys] = nil
    end
  end
  for _, name in ipairs(n.required) do
    if v[name] == nil then
      fail(ctx, keys, string.format("missing required key %s", M.show(name)))
    end
  end
  for _, name in ipairs(n.names) do
    local f, x = n.fields[name], v[name]
    keys[#keys + 1] = name
    if x ~= nil then
      out[name] = check(ctx, f, keys, x)
    elseif ctx.defaults and f.default ~= nil then
      out[name] = check(ctx, f, keys, f.default)
    elseif ctx.defaults and f.kind == "record" and #f.required == 0 then
      out[name] = check(ctx, f, keys, {})
    end
    keys[#keys] = nil
  end
  if #ctx.errs == before then run_check(ctx, n, keys, out) end
  return out
end

-- The Lua type an alternative of a oneof accepts.
local function accepts(n)
  local k = n.kind
  if k == "string" or k == "size" or k == "duration" then return "string" end
  if k == "integer" then return "number" end
  if k == "boolean" then return "boolean" end
  if k == "list" or k == "map" or k == "record" then return "table" end
  return nil
end

function checkers.oneof(ctx, n, keys, v)
  local tried = {}
  for i, a in ipairs(n.alts) do
    local sub = { errs = {}, defaults = ctx.defaults }
    local r = check(sub, a, keys, v)
    if #sub.errs == 0 then return r end
    tried[i] = sub.errs
  end
  -- Exactly one alternative takes this type of value: its errors are the
  -- most precise ones.  Otherwise say what would have been accepted.
  local match
  for i, a in ipairs(n.alts) do
    if accepts(a) == type(v) then
      if match then match = nil; break end
      match = i
    end
  end
  if match then
    for _, e in ipairs(tried[match]) do ctx.errs[#ctx.errs + 1] = e end
    return nil
  end
  return expected(ctx, n, keys, v)
end

function check(ctx, n, keys, v)
  return checkers[n.kind](ctx, n, keys, v)
end

--- Validate `value` against node `n`.  opts.defaults fills in missing
--- record fields from their defaults.  Returns the normalized value and a
--- list of errors (empty when the value is valid); never raises on bad data.
function M.validate(n, value, opts)
  local ctx = { errs = {}, defaults = opts and opts.defaults or false }
  local out = check(ctx, n, {}, value)
  return out, ctx.errs
end

--- The defaults of a node as raw (unnormalized) data: a record's defaults
--- are collected field by field; nil when the node has none.
function M.defaults(n)
  if n.default ~= nil then return M.copy(n.default) end
  if n.kind == "record" then
    local t = {}
    for _, name in ipairs(n.names) do t[name] = M.defaults(n.fields[name]) end
    return t
  end
  return nil
end

return M
