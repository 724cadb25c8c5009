-- Host directories a recipe may mount (isolation.mounts), with their defaults.
-- check: #p.isolation.mounts == 2 and p.isolation.mounts[1].source == "/srv/localrepo"
-- check: p.isolation.mounts[1].ro == true and p.isolation.mounts[1].nosuid == true and p.isolation.mounts[1].nodev == true
-- check: p.isolation.mounts[1].noexec == false and p.isolation.mounts[1].recursive == false
-- check: p.isolation.mounts[2].ro == false and p.isolation.mounts[2].noexec == true
return {
  isolation = {
    mounts = {
      { source = "/srv/localrepo", target = "/repo" },
      { source = "/var/cache/bsrun/ccache", target = "/builddir/.ccache", ro = false, noexec = true },
    },
  },
}
