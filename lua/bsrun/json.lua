-- bsrun.json: a small JSON encoder for results.json and chain.json. Tables
-- with only 1..n integer keys become arrays (an empty table is an object
-- unless it has the `json_array` marker); object keys are sorted, so the output
-- is stable. Strings are escaped per RFC 8259.
local M = {}

M.array_mt = { __name = "json array" }

--- Marks t (a possibly empty list) to encode as a JSON array; returns t.
function M.array(t)
  return setmetatable(t or {}, M.array_mt)
end

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
                  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local function is_array(t)
  if getmetatable(t) == M.array_mt then return true end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

local function encode(v, indent, depth, out)
  local kind = type(v)
  if kind == "nil" then
    out[#out + 1] = "null"
  elseif kind == "boolean" then
    out[#out + 1] = tostring(v)
  elseif kind == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    elseif math.type(v) == "integer" then
      out[#out + 1] = string.format("%d", v)
    else
      out[#out + 1] = string.format("%.14g", v)
    end
  elseif kind == "string" then
    out[#out + 1] = quote(v)
  elseif kind == "table" then
    if depth > 64 then error("json: nested too deep", 0) end
    local pad = indent and ("\n" .. string.rep(indent, depth + 1)) or ""
    local close = indent and ("\n" .. string.rep(indent, depth)) or ""
    if is_array(v) then
      if #v == 0 then out[#out + 1] = "[]" return end
      out[#out + 1] = "["
      for i = 1, #v do
        out[#out + 1] = (i > 1 and "," or "") .. pad
        encode(v[i], indent, depth + 1, out)
      end
      out[#out + 1] = close .. "]"
    else
      local keys = {}
      for k in pairs(v) do
        if type(k) ~= "string" then error("json: object keys must be strings", 0) end
        keys[#keys + 1] = k
      end
      if #keys == 0 then out[#out + 1] = "{}" return end
      table.sort(keys)
      out[#out + 1] = "{"
      for i, k in ipairs(keys) do
        out[#out + 1] = (i > 1 and "," or "") .. pad .. quote(k) .. (indent and ": " or ":")
        encode(v[k], indent, depth + 1, out)
      end
      out[#out + 1] = close .. "}"
    end
  else
    error("json: cannot encode a " .. kind, 0)
  end
end

--- Encodes v; `pretty` indents with two spaces.
function M.encode(v, pretty)
  local out = {}
  encode(v, pretty and "  " or nil, 0, out)
  return table.concat(out)
end

return M
