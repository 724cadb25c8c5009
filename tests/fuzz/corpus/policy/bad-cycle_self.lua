-- expect: FILE:3: inherit: inheritance cycle: cycle_self -> cycle_self
return {
  inherit = "../bad/cycle_self.lua",
}
