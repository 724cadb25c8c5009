-- bsrun.policy: find, load, merge, validate and print policies.
--
-- A policy is a trusted Lua file returning a declarative table (see
-- doc/policies.md).  Loading one:
--   1. run each file of the `inherit` chain in a small environment;
--   2. validate each file's own table (errors name that file and line);
--   3. merge the chain over the schema defaults, base first: records and
--      maps key by key, lists replaced unless written `extend { ... }`;
--   4. validate and normalize the merged table (sizes in bytes, durations
--      in seconds, defaults filled in), apply `mirror`.
-- Every error is raised with errors.raise(errors.USAGE, ...) and reads
-- "FILE:LINE: KEYPATH: MESSAGE" (or "FILE:LINE: MESSAGE", "FILE: MESSAGE").
local errors = require "bsrun.errors"
local linemap = require "bsrun.linemap"
local schema = require "bsrun.schema"
local SCHEMA = require "bsrun.policy_schema"

local M = {}

M.MAX_CHAIN = 16                         -- files in one inheritance chain
M.NAME_PATTERN = "^[%w][%w._-]*$"        -- policy names

local keypath, render = linemap.keypath, linemap.render

local function usage(fmt, ...)
  errors.raise(errors.USAGE, fmt, ...)
end

-- "FILE:LINE: PATH: MESSAGE", or "FILE:LINE: MESSAGE" for the top level.
local function located(file, line, path, msg)
  if path == "" then return string.format("%s:%d: %s", file, line, msg) end
  return string.format("%s:%d: %s: %s", file, line, path, msg)
end

---------------------------------------------------------------------------
-- Files and paths
---------------------------------------------------------------------------

local function is_path(s)
  return s:find("/", 1, true) ~= nil or s:sub(-4) == ".lua"
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$")     -- nil when there is no slash
end

-- A policy's display name: its basename without ".lua".
local function basename(path)
  return (path:match("([^/]*)$"):gsub("%.lua$", ""))
end

-- rel relative to directory dir (nil: the current directory).
local function join(dir, rel)
  if rel:sub(1, 1) == "/" or dir == nil then return rel end
  rel = rel:gsub("^%./+", "")
  if dir == "" then return "/" .. rel end
  return dir .. "/" .. rel
end

-- A lexically normalized form of path, used to detect inheritance cycles.
local function normalize(path)
  local parts = {}
  for p in path:gmatch("[^/]+") do
    if p == ".." and #parts > 0 and parts[#parts] ~= ".." then
      parts[#parts] = nil
    elseif p ~= "." then
      parts[#parts + 1] = p
    end
  end
  return (path:sub(1, 1) == "/" and "/" or "") .. table.concat(parts, "/")
end

-- The contents of a regular file, or nil, reason, errno.
local function read_file(path)
  if bsrun_host then          -- in bsrun: regular files only, never blocks on a FIFO
    local data, err, code = bsrun_host.readfile(path)
    if not data then
      return nil, (err:sub(1, #path + 2) == path .. ": " and err:sub(#path + 3) or err), code
    end
    return data
  end
  local f, err, code = io.open(path, "rb")
  if not f then
    return nil, (err:sub(1, #path + 2) == path .. ": " and err:sub(#path + 3) or err), code
  end
  local data, rerr, rcode = f:read("a")
  f:close()
  if not data then return nil, rerr, rcode end
  return data
end

local ENOENT = 2

-- Resolve a policy name or path; returns path and contents.
local function locate(name_or_path, policydir, relative_to)
  if type(name_or_path) ~= "string" or name_or_path == "" then
    usage("invalid policy name %s", schema.show(name_or_path))
  end
  if is_path(name_or_path) then
    local path = relative_to and join(dirname(relative_to), name_or_path) or name_or_path
    local data, reason = read_file(path)
    if not data then usage("cannot read policy %s: %s", path, reason) end
    return path, data
  end
  if not name_or_path:match(M.NAME_PATTERN) then
    usage("invalid policy name %s (expected letters, digits, \".\", \"_\" and \"-\", or a path to a .lua file)",
      schema.show(name_or_path))
  end
  if not policydir or policydir == "" then
    usage("policy %s not found (no policy directory)", schema.show(name_or_path))
  end
  local dir = policydir:match("^(.-)/*$")
  if dir == "" then dir = "/" end
  local path = (dir == "/" and "" or dir) .. "/" .. name_or_path .. ".lua"
  local data, reason, code = read_file(path)
  if not data then
    if code == ENOENT then
      usage("policy %s not found (looked in %s)", schema.show(name_or_path), policydir)
    end
    usage("cannot read policy %s: %s", path, reason)
  end
  return path, data
end

--- Resolve a policy name (looked up as POLICYDIR/NAME.lua) or a path (a
--- value containing "/" or ending in ".lua") to the path of a readable
--- regular file.  Raises a usage error (exit 2) when there is none.
function M.find(name_or_path, policydir)
  return (locate(name_or_path, policydir))
end

---------------------------------------------------------------------------
-- Running one file
---------------------------------------------------------------------------

-- Short chunk name, replaced by the real path in messages so that long
-- paths are not cut to "..." by Lua.
local CHUNK = "<bsrun-policy>"

local function copy_lib(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- The environment a policy runs in: data helpers only.
local function policy_env()
  return {
    extend = schema.extend,
    string = copy_lib(string), table = copy_lib(table), math = copy_lib(math),
    tostring = tostring, tonumber = tonumber, ipairs = ipairs, pairs = pairs,
    select = select, type = type, error = error, assert = assert,
  }
end

-- Report the error of errs that comes first in the file.
local function raise_first(errs, file, map)
  local best, bestline
  for _, e in ipairs(errs) do
    local l = linemap.line(map, e.path)
    if not bestline or l < bestline then best, bestline = e, l end
  end
  usage("%s", located(file, bestline, best.path, best.message))
end

-- Run and validate one policy file; returns a layer {file, value, map}.
local function load_file(path, src)
  local function fix(msg)
    if msg:sub(1, #CHUNK + 1) == CHUNK .. ":" then return path .. msg:sub(#CHUNK + 1) end
    return path .. ": " .. msg
  end
  local chunk, err = load(src, "=" .. CHUNK, "t", policy_env())
  if not chunk then usage("%s", fix(err)) end
  local ok, res = pcall(chunk)
  if not ok then
    if errors.is(res) and res.exit ~= errors.USAGE then error(res, 0) end  -- a limit, an interruption
    if errors.is(res) then res = res.message end
    if type(res) ~= "string" then res = "error object is a " .. type(res) .. " value" end
    usage("%s", fix(res))
  end
  if type(res) ~= "table" then
    usage("%s: a policy must return a table, got %s", path, schema.show(res))
  end
  local map = linemap.build(src)
  local _, errs = schema.validate(SCHEMA, res)
  if #errs > 0 then raise_first(errs, path, map) end
  return { file = path, value = res, map = map }
end

---------------------------------------------------------------------------
-- Merging, with the origin of every merged value
---------------------------------------------------------------------------
-- origin[merged path] = {layer =, path = path inside that layer's file};
-- a merged value comes from the entry of its nearest ancestor.

local function find_origin(origin, keys)
  for n = #keys, 0, -1 do
    local o = origin[render(keys, 1, n)]
    if o then
      local p = o.path
      for i = n + 1, #keys do p = keypath(p, keys[i]) end
      return { layer = o.layer, path = p }
    end
  end
end

local function set_origin(origin, mpath, layer, fpath)
  for k in pairs(origin) do
    if #k > #mpath and k:sub(1, #mpath) == mpath
        and (mpath == "" or k:find("^[.[]", #mpath + 1)) then
      origin[k] = nil
    end
  end
  origin[mpath] = { layer = layer, path = fpath }
end

local function with(keys, k)
  local t = table.move(keys, 1, #keys, 1, {})
  t[#t + 1] = k
  return t
end

-- Merge value b (from layer) over value a, both of schema node n.
local function merge(n, a, b, mkeys, fkeys, layer, origin)
  if b == nil then return a end
  local kind = n.kind
  if (kind == "record" or kind == "map") and type(a) == "table" and type(b) == "table" then
    local out = {}
    for k, v in next, a do out[k] = v end
    for _, k in ipairs(schema.sorted_keys(b)) do
      local sub = kind == "record" and n.fields[k] or n.value
      out[k] = merge(sub, a[k], b[k], with(mkeys, k), with(fkeys, k), layer, origin)
    end
    return out
  end
  local mpath, fpath = render(mkeys), render(fkeys)
  if (kind == "list" or kind == "oneof") and schema.is_extend(b) and a ~= nil then
    local base = type(a) == "table" and a or { a }
    local kept = {}
    for i = 1, #base do kept[i] = find_origin(origin, with(mkeys, i)) end
    set_origin(origin, mpath, layer, fpath)
    local out = {}
    for i = 1, #base do
      out[i] = base[i]
      origin[keypath(mpath, i)] = kept[i]
    end
    for j = 1, #b do
      out[#base + j] = schema.copy(b[j])
      origin[keypath(mpath, #base + j)] = { layer = layer, path = keypath(fpath, j) }
    end
    return out
  end
  set_origin(origin, mpath, layer, fpath)
  return schema.copy(b)
end

---------------------------------------------------------------------------
-- Loading
---------------------------------------------------------------------------

--- Load policy NAME (from policydir) or FILE with its inheritance chain.
--- Returns the merged, validated, normalized policy: sizes in bytes,
--- durations in seconds, every default filled in, `repos` replaced when
--- `mirror` is set, plus `name`, `file` (the leaf's path) and `chain` (the
--- files, base first).  Any problem raises a usage error (exit 2) whose
--- message names the file and line at fault.
function M.load(name_or_path, policydir)
  local path, src = locate(name_or_path, policydir)
  local layers, seen, names = {}, {}, {}
  local from                        -- {file, line} of the inherit followed
  while true do
    names[#names + 1] = basename(path)
    local key = normalize(path)
    if seen[key] then
      usage("%s:%d: inherit: inheritance cycle: %s", from.file, from.line,
        table.concat(names, " -> "))
    end
    if #layers >= M.MAX_CHAIN then
      usage("%s:%d: inherit: inheritance chain longer than %d files", from.file, from.line,
        M.MAX_CHAIN)
    end
    seen[key] = true
    local layer = load_file(path, src)
    layers[#layers + 1] = layer
    local inherit = layer.value.inherit
    if inherit == nil then break end
    from = { file = path, line = linemap.line(layer.map, "inherit") }
    local ok, p, s = pcall(locate, inherit, policydir, path)
    if not ok then
      if errors.is(p) then usage("%s:%d: inherit: %s", from.file, from.line, p.message) end
      error(p, 0)
    end
    path, src = p, s
  end

  local leaf = layers[1]
  local origin = { [""] = { layer = leaf, path = "" } }
  local merged = schema.defaults(SCHEMA)
  local chain = {}
  for i = #layers, 1, -1 do
    local layer = layers[i]
    chain[#chain + 1] = layer.file
    merged = merge(SCHEMA, merged, layer.value, {}, {}, layer, origin)
  end
  merged.inherit = nil
  merged.name = leaf.value.name or basename(leaf.file)

  local p, errs = schema.validate(SCHEMA, merged, { defaults = true })
  if #errs > 0 then
    local e = errs[1]
    local o = find_origin(origin, e.keys)
    usage("%s", located(o.layer.file, linemap.line(o.layer.map, o.path), o.path, e.message))
  end
  if p.mirror then
    local url = p.mirror:sub(1, 1) == "/" and "file://" .. p.mirror or p.mirror
    local r = schema.validate(SCHEMA.fields.repos.elem, { name = "mirror", url = url },
      { defaults = true })
    p.repos = { r }
  end
  p.file, p.chain = leaf.file, chain
  return p
end

---------------------------------------------------------------------------
-- Printing
---------------------------------------------------------------------------

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in
  local nil not or repeat return then true until while]]):gmatch("%a+") do
  KEYWORDS[w] = true
end

local function scalar(v)
  if type(v) == "string" then return linemap.quote(v) end
  if math.type(v) == "float" then
    if v ~= v or v == math.huge or v == -math.huge then
      return v ~= v and "0/0" or (v > 0 and "1/0" or "-1/0")
    end
    return string.format("%.17g", v)
  end
  return tostring(v)
end

local function keystr(k)
  if type(k) == "string" and k:match("^[%a_][%w_]*$") and not KEYWORDS[k] then return k end
  return "[" .. scalar(k) .. "]"
end

local function is_list(t)
  local n = 0
  for _ in next, t do n = n + 1 end
  return n == #t
end

local WIDTH = 78

-- Text of value v (schema node n, may be nil) at indentation ind; `used`
-- is the width already taken on the first line.
local function dump_value(v, n, ind, used)
  if type(v) ~= "table" then return scalar(v) end
  if next(v) == nil then return "{}" end
  local inner = ind .. "  "
  local lines = {}
  if is_list(v) then
    local elem = n and n.kind == "list" and n.elem or nil
    if n and n.kind == "oneof" then
      for _, a in ipairs(n.alts) do if a.kind == "list" then elem = a.elem end end
    end
    local flat = true
    for _, x in ipairs(v) do if type(x) == "table" then flat = false end end
    if flat then
      local items = {}
      for i, x in ipairs(v) do items[i] = scalar(x) end
      local one = "{ " .. table.concat(items, ", ") .. " }"
      if used + #one + 1 <= WIDTH then return one end
      local line = inner
      for _, item in ipairs(items) do
        local piece = item .. ","
        if line ~= inner and #line + 1 + #piece > WIDTH then
          lines[#lines + 1] = line
          line = inner
        end
        line = line == inner and line .. piece or line .. " " .. piece
      end
      lines[#lines + 1] = line
    else
      for _, x in ipairs(v) do
        lines[#lines + 1] = inner .. dump_value(x, elem, inner, #inner) .. ","
      end
    end
  else
    for _, k in ipairs(schema.sorted_keys(v)) do
      local sub = nil
      if n and n.kind == "record" then sub = n.fields[k]
      elseif n and n.kind == "map" then sub = n.value end
      local head = inner .. keystr(k) .. " = "
      local line = head .. dump_value(v[k], sub, inner, #head) .. ","
      if sub and math.type(v[k]) == "integer" then
        if sub.kind == "size" then line = line .. " -- " .. schema.format_size(v[k])
        elseif sub.kind == "duration" then line = line .. " -- " .. schema.format_duration(v[k]) end
      end
      lines[#lines + 1] = line
    end
  end
  return "{\n" .. table.concat(lines, "\n") .. "\n" .. ind .. "}"
end

--- A deterministic, readable Lua chunk ("return { ... }", no final
--- newline) showing a
--- normalized policy: keys sorted, 2-space indentation, short lists on one
--- line, sizes and durations annotated ("-- 4G", "-- 4h").
function M.dump(tbl)
  return "return " .. dump_value(tbl, SCHEMA, "", 7)
end

return M
