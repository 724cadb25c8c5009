-- expect: DIR/parent_bad.lua:5: isolation.pids: expected an integer, got "many"
return {
  inherit = "parent_bad.lua",
  isolation = { pids = 100 },
}
