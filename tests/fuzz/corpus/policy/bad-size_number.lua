-- expect: FILE:4: isolation.memory: expected a size like "4G", got 12
return {
  isolation = {
    memory = 12,
  },
}
