-- expect: FILE:4: isolation.timeout: expected a duration from 1s to 30d, got "31d"
return {
  isolation = {
    timeout = "31d",
  },
}
