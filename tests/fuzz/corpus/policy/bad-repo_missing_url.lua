-- expect: FILE:5: repos[2]: missing required key "url"
return {
  repos = {
    { name = "os", url = "file:///srv/os" },
    { name = "updates", kind = "dir" },
  },
}
