-- expect: FILE:4: install.verify: expected one of "rpm", "cache", got "none"
return {
  install = {
    verify = "none",
  },
}
