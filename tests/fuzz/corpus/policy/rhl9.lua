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
  -- i386, the base set of the time and the isolation rules
  inherit = "common/redhat-2003.lua",

  description = "Red Hat Linux 9 (i386)",

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
}
