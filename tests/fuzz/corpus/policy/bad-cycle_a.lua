-- expect: DIR/cycle_b.lua:3: inherit: inheritance cycle: cycle_a -> cycle_b -> cycle_a
return {
  inherit = "cycle_b.lua",
}
