-- expect: FILE:5: repos[1].priority: expected an integer from 1 to 99, got 100
return {
  repos = {
    { name = "os", url = "file:///srv/os",
      priority = 100 },
  },
}
