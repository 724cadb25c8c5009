-- rhl9: Red Hat Linux 9 ("Shrike", 2003), i386.
--
-- The repositories below are the historical locations of the release and
-- its updates.  They are kept as documentation: build machines have no
-- network, so point this policy at a local copy instead, either here with
--
--   mirror = "file:///srv/mirror/rhl9",     -- or an absolute path
--
-- or, better, in a small policy of your own that keeps this one intact:
--
--   return { inherit = "rhl9", mirror = "/srv/mirror/rhl9" }
--
-- `mirror` replaces all `repos` with that one location (rpm-md metadata or
-- a plain directory of RPMs, detected automatically).
--
-- The schema of this file is described in doc/policies.md; check a change
-- with `bsrun policy check rhl9`.

return {
  description = "Red Hat Linux 9 (i386)",

  arch = "i386",
  dist = ".rh9",

  -- Red Hat Linux 9 shipped plain directories of RPMs (no rpm-md metadata).
  repos = {
    { name = "os", kind = "dir",
      url = "http://archive.download.redhat.com/pub/redhat/linux/9/en/os/i386/" },
    { name = "updates", kind = "dir",
      url = "http://archive.download.redhat.com/pub/redhat/linux/updates/9/en/os/i386/" },
  },

  -- rpm macros of the target (names without the leading %).
  macros = {
    rh9 = "1",
    redhat = "9",
    dist = ".rh9",
    _vendor = "Red Hat, Inc.",
  },

  -- The build root's base set, as Red Hat's own build system had it.
  base = {
    "bash", "bzip2", "coreutils", "cpio", "diffutils", "elfutils", "file",
    "findutils", "gawk", "gcc", "gcc-c++", "grep", "gzip", "make", "patch",
    "perl", "redhat-rpm-config", "rpm-build", "sed", "tar", "unzip", "which",
  },

  -- The sandbox of every build: limits, identity, what is visible.
  isolation = {
    memory = "4G",                   -- cgroup memory limit
    pids = 4096,                     -- cgroup pids limit
    disk = "8G",                     -- size of the per-build upper layer
    timeout = "4h",                  -- wall clock limit of one build
    network = false,                 -- empty network namespace (lo only)
  },
}
