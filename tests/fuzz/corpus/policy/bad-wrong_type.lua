-- expect: FILE:2: isolation: expected a table, got "strict"
return { isolation = "strict" }
