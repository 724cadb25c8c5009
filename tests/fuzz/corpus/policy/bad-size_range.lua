-- expect: FILE:3: isolation.memory: expected a size of at least 16M, got "1M"
return {
  isolation = { memory = "1M" },
}
