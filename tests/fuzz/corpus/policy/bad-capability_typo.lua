-- expect: FILE:4: isolation.caps[1]: expected a capability name without CAP_, like "CHOWN", got "SYS_ADMN" (did you mean "SYS_ADMIN"?)
return {
  isolation = {
    caps = { "SYS_ADMN" },
  },
}
