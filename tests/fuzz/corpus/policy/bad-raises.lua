-- expect: FILE:3: no mirror configured
local function need(v, what) if not v then error(what, 2) end return v end
local m = need(nil, "no mirror configured")
return { mirror = m }
