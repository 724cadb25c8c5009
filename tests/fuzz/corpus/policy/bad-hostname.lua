-- expect: FILE:4: isolation.hostname: expected a host name (letters, digits, "-" and ".", starting and ending with a letter or digit), got "build_host"
return {
  isolation = {
    hostname = "build_host",
  },
}
