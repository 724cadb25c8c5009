-- expect: FILE:4: isolation.caps[2]: expected a capability name without CAP_, like "CHOWN", got "CAP_KILL" (did you mean "KILL"?)
return {
  isolation = {
    caps = { "CHOWN", "CAP_KILL" },
  },
}
