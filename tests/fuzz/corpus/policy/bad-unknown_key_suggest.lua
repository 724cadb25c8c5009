-- expect: FILE:5: isolation.memroy: unknown key (did you mean "memory"?)
return {
  isolation = {
    pids = 1024,
    memroy = "1G",
  },
}
