-- expect: FILE:3: isolation: extend { ... } is only allowed for lists
return {
  isolation = extend { memory = "1G" },
}
