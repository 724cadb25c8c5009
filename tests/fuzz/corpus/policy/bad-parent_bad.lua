-- expect: FILE:5: isolation.pids: expected an integer, got "many"
return {
  isolation = {
    memory = "1G",
    pids = "many",
  },
}
