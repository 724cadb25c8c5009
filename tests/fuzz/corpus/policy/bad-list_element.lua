-- expect: FILE:6: base[3]: expected a package name, got 12
return {
  base = {
    "bash",
    "make",
    12,
    "sed",
  },
}
