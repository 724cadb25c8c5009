-- expect: FILE:6: isolation.mounts[2].target: a second mount on "/repo/"
return {
  isolation = {
    mounts = {
      { source = "/srv/repo", target = "/repo" },
      { source = "/srv/other", target = "/repo/" },
    },
  },
}
