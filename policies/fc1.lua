-- fc1: Fedora Core 1 ("Yarrow", 2003), i386.
--
-- The repositories below are the historical locations of the release and
-- its updates.  They are kept as documentation: build machines have no
-- network, so point this policy at a local copy instead, either here with
--
--   mirror = "file:///srv/mirror/fc1",      -- or an absolute path
--
-- or, better, in a small policy of your own that keeps this one intact:
--
--   return { inherit = "fc1", mirror = "/srv/mirror/fc1" }
--
-- `mirror` replaces all `repos` with that one location (rpm-md metadata or
-- a plain directory of RPMs, detected automatically).
--
-- The schema of this file is described in doc/policies.md; check a change
-- with `bsrun policy check fc1`.

return {
  description = "Fedora Core 1 (i386)",

  arch = "i386",
  dist = ".fc1",

  -- Fedora Core 1 trees carry yum headers, later mirrors rpm-md metadata;
  -- kind "auto" uses metadata when present and scans the RPMs otherwise.
  repos = {
    { name = "os", kind = "auto",
      url = "http://archive.fedoraproject.org/pub/archive/fedora/linux/core/1/i386/os/" },
    { name = "updates", kind = "auto",
      url = "http://archive.fedoraproject.org/pub/archive/fedora/linux/core/updates/1/i386/" },
    -- The fedora.us extras of the time, for packages outside Core:
    -- { name = "fedora-us", kind = "auto", priority = 60,
    --   url = "http://download.fedora.us/fedora/fedora/1/i386/" },
  },

  -- rpm macros of the target (names without the leading %).
  macros = {
    fc1 = "1",
    fedora = "1",
    dist = ".fc1",
    _vendor = "Fedora Project",
  },

  -- The build root's base set, as the Fedora build system had it.
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
