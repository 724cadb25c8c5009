-- expect: FILE:4: isolation.network: expected one of false, "host", got true
return {
  isolation = {
    network = true,
  },
}
