-- expect: FILE: a policy must return a table, got nil
local p = { arch = "i386" }
