-- expect: FILE:5: isolation.mounts[1].target: expected an absolute path without ".." components, not "/", got "/"
return {
  isolation = {
    mounts = {
      { source = "/srv/data", target = "/" },
    },
  },
}
