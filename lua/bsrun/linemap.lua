-- bsrun.linemap: map the key paths of a declarative policy file to the
-- source lines that hold them, so that validation errors can say
-- "FILE:LINE: isolation.memory: ...".
--
-- A policy file is `return { key = value, ... }`, possibly preceded by
-- comments and `local` helpers.  We tokenize the whole chunk, find the
-- chunk-level `return` and walk the table constructor that follows it.  This
-- is a best-effort reader, not a Lua parser: unusual syntax yields fewer
-- entries, never an error.
local M = {}

local KEYWORDS = {}
for w in ([[and break do else elseif end false for function goto if in
  local nil not or repeat return then true until while]]):gmatch("%a+") do
  KEYWORDS[w] = true
end

local BLOCK_OPEN = { ["function"] = true, ["do"] = true, ["if"] = true, ["repeat"] = true }
local BLOCK_CLOSE = { ["end"] = true, ["until"] = true }
local OPEN = { ["("] = true, ["["] = true, ["{"] = true }
local CLOSE = { [")"] = true, ["]"] = true, ["}"] = true }

--- Quote a string as a single-line Lua literal (%q, with newlines as \n).
function M.quote(s)
  return (string.format("%q", s):gsub("\\\n", "\\n"))
end

--- Render the path of `key` inside `parent` ("" is the top level):
--- identifiers as `parent.key`, integers as `parent[3]`, other strings as
--- `parent["some key"]`, booleans and floats as `parent[true]`.
function M.keypath(parent, key)
  parent = parent or ""
  if type(key) == "string" then
    if key:match("^[%a_][%w_]*$") and not KEYWORDS[key] then
      return parent == "" and key or parent .. "." .. key
    end
    return parent .. "[" .. M.quote(key) .. "]"
  elseif math.type(key) == "integer" then
    return string.format("%s[%d]", parent, key)
  end
  if type(key) == "number" or type(key) == "boolean" then
    return parent .. "[" .. tostring(key) .. "]"
  end
  return parent .. "[" .. type(key) .. "]"       -- tables, functions: no address
end

--- Render a list of keys as a path (the inverse of M.split).
function M.render(keys, first, last)
  local p = ""
  for i = first or 1, last or #keys do p = M.keypath(p, keys[i]) end
  return p
end

---------------------------------------------------------------------------
-- Tokenizer.  Tokens are {t = "name"|"string"|"number"|"op"|"eof", v, l}.
-- It stops (emitting eof) at anything it cannot read, such as an
-- unfinished string.
---------------------------------------------------------------------------

local ESCAPES = { a = "\a", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t",
                  v = "\v", ["\\"] = "\\", ['"'] = '"', ["'"] = "'" }

local function tokenize(src)
  local toks, i, line, n = {}, 1, 1, #src
  local function push(t, v, l) toks[#toks + 1] = { t = t, v = v, l = l } end

  -- Skip one newline sequence (\n, \r, \r\n or \n\r) at i; return new i.
  local function newline(j)
    local c, d = src:sub(j, j), src:sub(j + 1, j + 1)
    line = line + 1
    if (d == "\n" or d == "\r") and d ~= c then return j + 2 end
    return j + 1
  end

  -- A long bracket [==[ at j: returns content, index after it, or nil.
  local function long_bracket(j)
    local eq = src:match("^%[(=*)%[", j)
    if not eq then return nil end
    local start = j + #eq + 2
    local close = "]" .. eq .. "]"
    local s, e = src:find(close, start, true)
    if not s then return nil, n + 1 end
    local body = src:sub(start, s - 1)
    -- count the lines spanned; the first newline is not part of the value
    local k = 1
    while true do
      local a = body:find("[\r\n]", k)
      if not a then break end
      local b = body:sub(a + 1, a + 1)
      if (b == "\r" or b == "\n") and b ~= body:sub(a, a) then a = a + 1 end
      line = line + 1
      k = a + 1
    end
    local first = body:match("^\r\n") or body:match("^\n\r") or body:match("^[\r\n]")
    if first then body = body:sub(#first + 1) end
    return body, e + 1
  end

  -- A short string opened by quote character q at j.
  local function short_string(j, q)
    local buf, k = {}, j + 1
    while true do
      local c = src:sub(k, k)
      if c == "" or c == "\n" or c == "\r" then return nil end
      if c == q then return table.concat(buf), k + 1 end
      if c == "\\" then
        local e = src:sub(k + 1, k + 1)
        if ESCAPES[e] then
          buf[#buf + 1] = ESCAPES[e]; k = k + 2
        elseif e == "\n" or e == "\r" then
          buf[#buf + 1] = "\n"; k = newline(k + 1)
        elseif e == "x" then
          local h = src:match("^%x%x", k + 2)
          if not h then return nil end
          buf[#buf + 1] = string.char(tonumber(h, 16)); k = k + 4
        elseif e == "z" then
          k = k + 2
          while true do
            local w = src:sub(k, k)
            if w == "\n" or w == "\r" then k = newline(k)
            elseif w:match("^%s$") then k = k + 1
            else break end
          end
        elseif e:match("^%d$") then
          local d = src:match("^%d%d?%d?", k + 1)
          local v = tonumber(d)
          if v > 255 then return nil end
          buf[#buf + 1] = string.char(v); k = k + 1 + #d
        elseif e == "u" then
          local h = src:match("^{(%x+)}", k + 2)
          local v = h and tonumber(h, 16)
          if not v or v > 0x7FFFFFFF then return nil end
          buf[#buf + 1] = utf8.char(v); k = k + 4 + #h
        else
          return nil
        end
      else
        buf[#buf + 1] = c; k = k + 1
      end
    end
  end

  while i <= n do
    local c = src:sub(i, i)
    local l = line
    if c == "\n" or c == "\r" then
      i = newline(i)
    elseif c:match("^%s$") then
      i = i + 1
    elseif c == "-" and src:sub(i + 1, i + 1) == "-" then
      local _, after = long_bracket(i + 2)
      if after then
        i = after
      else
        i = (src:find("[\r\n]", i + 2) or n + 1)
      end
    elseif c == "#" and i == 1 then                  -- #! line
      i = (src:find("[\r\n]", i) or n + 1)
    elseif c:match("^[%a_]$") then
      local w = src:match("^[%w_]+", i)
      push("name", w, l); i = i + #w
    elseif c:match("^%d$") or (c == "." and src:sub(i + 1, i + 1):match("^%d$")) then
      local text = src:match("^0[xX][%x%.]*", i)
      if text then
        text = text .. (src:match("^[pP][+-]?%d+", i + #text) or "")
      else
        text = src:match("^%d*%.?%d*", i)
        text = text .. (src:match("^[eE][+-]?%d+", i + #text) or "")
      end
      push("number", tonumber(text), l); i = i + #text
    elseif c == '"' or c == "'" then
      local v, after = short_string(i, c)
      if not v then break end
      push("string", v, l); i = after
    elseif c == "[" and src:match("^%[=*%[", i) then
      local v, after = long_bracket(i)
      if not v then break end
      push("string", v, l); i = after
    else
      local op = src:match("^%.%.%.", i) or src:match("^[=~<>]=", i)
        or src:match("^%.%.", i) or src:match("^::", i) or src:match("^<<", i)
        or src:match("^>>", i) or src:match("^//", i) or c
      push("op", op, l); i = i + #op
    end
  end
  push("eof", nil, line)
  -- reading past the end keeps returning the eof token
  local eof = toks[#toks]
  return setmetatable(toks, { __index = function() return eof end })
end

---------------------------------------------------------------------------
-- Walker over the token list.
---------------------------------------------------------------------------

local function is_op(tok, v) return tok.t == "op" and tok.v == v end
local function is_name(tok) return tok.t == "name" and not KEYWORDS[tok.v] end

local function walk(toks, map)
  local parse_value

  -- Skip to just after the bracket closing one already opened before pos.
  local function skip_close(pos)
    local depth = 1
    while toks[pos].t ~= "eof" do
      local tok = toks[pos]
      if tok.t == "op" then
        if OPEN[tok.v] then depth = depth + 1
        elseif CLOSE[tok.v] then
          depth = depth - 1
          if depth == 0 then return pos + 1 end
        end
      end
      pos = pos + 1
    end
    return pos
  end

  -- Skip the rest of an expression: stop at a `,`, `;` or unmatched closing
  -- bracket that is outside any nested bracket or function body.
  local function skip_expr(pos)
    local bd, kd = 0, 0
    while true do
      local tok = toks[pos]
      if tok.t == "eof" then return pos end
      if tok.t == "op" then
        if OPEN[tok.v] then
          bd = bd + 1
        elseif CLOSE[tok.v] then
          if bd == 0 and kd == 0 then return pos end
          if bd > 0 then bd = bd - 1 end
        elseif (tok.v == "," or tok.v == ";") and bd == 0 and kd == 0 then
          return pos
        end
      elseif tok.t == "name" then
        if BLOCK_OPEN[tok.v] then kd = kd + 1
        elseif BLOCK_CLOSE[tok.v] and kd > 0 then kd = kd - 1 end
      end
      pos = pos + 1
    end
  end

  -- A table constructor at pos (toks[pos] is `{`) whose fields live under
  -- `path` (nil: record nothing).  Returns the position after the `}`.
  local function parse_table(pos, path)
    pos = pos + 1
    local idx = 0
    while true do
      local tok = toks[pos]
      if tok.t == "eof" then return pos end
      if is_op(tok, "}") then return pos + 1 end
      if is_op(tok, ",") or is_op(tok, ";") then
        pos = pos + 1
      else
        local key, line, keyed
        if is_name(tok) and is_op(toks[pos + 1], "=") then
          key, line, keyed = tok.v, tok.l, true
          pos = pos + 2
        elseif is_op(tok, "[") then
          local k, rb, eq = toks[pos + 1], toks[pos + 2], toks[pos + 3]
          keyed, line = true, tok.l
          if is_op(rb, "]") and is_op(eq, "=") and (k.t == "string" or k.t == "number"
              or (k.t == "name" and (k.v == "true" or k.v == "false"))) then
            if k.t == "name" then key = (k.v == "true")
            elseif k.t == "number" then key = math.tointeger(k.v) or k.v
            else key = k.v end
            pos = pos + 4
          else
            pos = skip_close(pos + 1)
            if is_op(toks[pos], "=") then pos = pos + 1 end
          end
        end
        if not keyed then
          idx = idx + 1
          key, line = idx, tok.l
        end
        local child = nil
        if path and key ~= nil and key == key then
          child = M.keypath(path, key)
          map[child] = line
        end
        pos = parse_value(pos, child)
        local after = toks[pos]
        if is_op(after, ",") or is_op(after, ";") then
          pos = pos + 1
        elseif not is_op(after, "}") and after.t ~= "eof" then
          pos = pos + 1                       -- stray token: make progress
        end
      end
    end
  end

  -- A value at pos.  Table constructors, `f { ... }`, `f({ ... })`,
  -- `a.b:c { ... }` and `( ... )` are entered with the same path.
  function parse_value(pos, path)
    local tok = toks[pos]
    if is_op(tok, "{") then
      pos = parse_table(pos, path)
    elseif is_op(tok, "(") then
      pos = parse_value(pos + 1, path)
      pos = skip_close(pos)
    elseif is_name(tok) then
      pos = pos + 1
      while (is_op(toks[pos], ".") or is_op(toks[pos], ":")) and is_name(toks[pos + 1]) do
        pos = pos + 2
      end
      if is_op(toks[pos], "{") then
        pos = parse_table(pos, path)
      elseif is_op(toks[pos], "(") and is_op(toks[pos + 1], "{") then
        pos = parse_table(pos + 1, path)
        pos = skip_close(pos)
      end
    end
    return skip_expr(pos)
  end

  -- Find the chunk-level `return` (outside any block or bracket).
  local kd, bd = 0, 0
  for pos = 1, #toks do
    local tok = toks[pos]
    if tok.t == "name" then
      if BLOCK_OPEN[tok.v] then kd = kd + 1
      elseif BLOCK_CLOSE[tok.v] then kd = kd - 1
      elseif tok.v == "return" and kd == 0 and bd == 0 then
        map[""] = tok.l
        parse_value(pos + 1, "")
        return
      end
    elseif tok.t == "op" then
      if OPEN[tok.v] then bd = bd + 1 elseif CLOSE[tok.v] then bd = bd - 1 end
    end
  end
end

--- Build the line map of a policy source text.  Never raises: on anything
--- it does not understand it returns the entries found so far.  The entry
--- "" (the top-level value) holds the line of the chunk-level `return`.
function M.build(src)
  local map = {}
  if type(src) == "string" then
    pcall(function() walk(tokenize(src), map) end)
  end
  return map
end

--- Split a rendered path back into its keys; nil if it is not well formed.
function M.split(path)
  if path == "" then return {} end
  local ok, toks = pcall(tokenize, path)
  if not ok then return nil end
  local keys, pos = {}, 1
  local tok = toks[1]
  if is_name(tok) then keys[1] = tok.v; pos = 2 end
  while true do
    tok = toks[pos]
    if tok.t == "eof" then break end
    if is_op(tok, ".") and is_name(toks[pos + 1]) then
      keys[#keys + 1] = toks[pos + 1].v
      pos = pos + 2
    elseif is_op(tok, "[") and is_op(toks[pos + 2], "]") then
      local k = toks[pos + 1]
      if k.t == "string" then keys[#keys + 1] = k.v
      elseif k.t == "number" then keys[#keys + 1] = math.tointeger(k.v) or k.v
      elseif k.t == "name" and (k.v == "true" or k.v == "false") then
        keys[#keys + 1] = (k.v == "true")
      else return nil end
      pos = pos + 3
    else
      return nil
    end
  end
  if #keys == 0 then return nil end
  return keys
end

--- The line for `path` in `map`, or that of its nearest ancestor that has
--- one, or the line of the `return`, or 1.  Always returns an integer.
function M.line(map, path)
  local keys = M.split(path or "")
  if keys then
    for n = #keys, 1, -1 do
      local l = map[M.render(keys, 1, n)]
      if l then return l end
    end
  end
  return map[""] or 1
end

return M
