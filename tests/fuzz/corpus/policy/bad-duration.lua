-- expect: FILE:4: isolation.timeout: expected a duration like "4h", got "4 hours"
return {
  isolation = {
    timeout = "4 hours",
  },
}
