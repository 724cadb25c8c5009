-- expect: FILE:4: isolation.caps: expected a list of capability names, got a table with key "CHOWN"
return {
  isolation = {
    caps = { CHOWN = true },
  },
}
