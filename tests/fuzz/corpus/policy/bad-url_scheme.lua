-- expect: FILE:5: repos[2].url: expected a file://, http:// or https:// URL, got "ftp://x"
return {
  repos = {
    { name = "os", url = "file:///srv/os" },
    { name = "updates", url = "ftp://x" },
  },
}
