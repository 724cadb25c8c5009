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
  -- i386, the base set of the time and the isolation rules
  inherit = "common/redhat-2003.lua",

  description = "Fedora Core 1 (i386)",

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
}
