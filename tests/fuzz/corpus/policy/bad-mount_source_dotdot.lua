-- expect: FILE:5: isolation.mounts[1].source: expected an absolute path without ".." components, got "/srv/../etc"
return {
  isolation = {
    mounts = {
      { source = "/srv/../etc", target = "/data" },
    },
  },
}
