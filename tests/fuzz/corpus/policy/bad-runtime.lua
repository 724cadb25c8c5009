-- expect: FILE:3: attempt to call a nil value (global 'frobnicate')
local base = { "bash" }
local extra = frobnicate(base)
return { base = base }
