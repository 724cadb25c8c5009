-- What the Red Hat distributions of 2003 (Red Hat Linux 9, Fedora Core 1)
-- have in common: the i386 architecture, the build root's base set as the
-- build systems of the time had it, and bsrun's isolation rules. Not a
-- target by itself (it has no repositories): policies/rhl9.lua and
-- policies/fc1.lua inherit it and add their repositories and macros.
return {
  description = "common ground of the 2003 Red Hat distributions",

  arch = "i386",

  -- The build root's base set, as the build systems of the time had it.
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
