-- expect: FILE:5: isolation.mounts[1].source: expected an absolute path without ".." components, got "srv/data"
return {
  isolation = {
    mounts = {
      { source = "srv/data", target = "/data" },
    },
  },
}
