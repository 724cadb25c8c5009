-- expect: FILE:5: isolation.pids: expected an integer from 16 to 4194304, got 8
return {
  isolation = {
    memory = "1G",
    pids = 8,
  },
}
