-- expect: FILE:6: repos[3].name: duplicate repository name "os"
return {
  repos = {
    { name = "os", url = "file:///srv/os" },
    { name = "updates", url = "file:///srv/updates" },
    { name = "os", url = "file:///srv/os2" },
  },
}
