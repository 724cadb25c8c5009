-- expect: FILE:4: isolation.devices[3]: expected one of "null", "zero", "full", "random", "urandom", "tty", "ptmx", "shm", "fuse", got "sda"
return {
  isolation = {
    devices = { "null", "zero", "sda" },
  },
}
