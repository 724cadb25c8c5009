-- expect: FILE:3: extend expects a list, got "gcc"
return {
  base = extend "gcc",
}
