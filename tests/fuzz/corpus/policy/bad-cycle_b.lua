-- expect: DIR/cycle_a.lua:3: inherit: inheritance cycle: cycle_b -> cycle_a -> cycle_b
return {
  inherit = "./cycle_a.lua",
}
