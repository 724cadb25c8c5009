-- `extend { ... }` appends to the inherited list instead of replacing it.
-- check: p.base[1] == "hostdist-filesystem" and p.base[#p.base] == "autoconf" and #p.base == 28
-- check: p.universe[#p.universe] == "libgmp-dev"
-- check: #p.isolation.caps == 11 and p.isolation.caps[11] == "SYS_PTRACE"
-- check: #p.isolation.devices == 9 and p.isolation.devices[9] == "fuse"
-- check: #p.repos == 2 and p.repos[2].name == "extra"
-- check: p.names["gmp-devel"] == "libgmp-dev" and p.names["XFree86-devel"][13] == "libxmu-dev"
-- check: p.names["gcc-c++"] == "g++" and p.isolation.seccomp.deny[1] == "ptrace"
-- check: p.name == "extend" and p.dist == ".hostdist"
return {
  inherit = "hostdist",
  base = extend { "automake", "autoconf" },
  universe = extend({ "libgmp-dev" }),
  repos = extend {
    { name = "extra", url = "file:///srv/extra", kind = "dir" },
  },
  names = {
    ["gmp-devel"] = "libgmp-dev",
    ["XFree86-devel"] = extend { "libxmu-dev" },
  },
  isolation = {
    caps = extend { "SYS_PTRACE" },          -- no parent list: extends the defaults
    devices = extend { "fuse" },
    seccomp = { deny = extend { "ptrace" } },  -- an extend list with no parent
  },
}
