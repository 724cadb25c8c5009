-- hostdist: a modern target distribution made from this Debian host's own
-- packages.  `bsrun` converts the Debian packages listed in `universe` into
-- RPMs in a local rpm-md repository (the "hostdist" repository), so that
-- today's src.rpm files can be rebuilt without any network access.
--
-- The schema of this file is described in doc/policies.md; check a change
-- with `bsrun policy check hostdist` and see the result with
-- `bsrun policy show hostdist`.

return {
  description = "a modern distribution made from this Debian host's packages",

  -- Target architecture and the %{dist} tag of the packages built.
  arch = "x86_64",
  dist = ".hostdist",

  -- Where packages come from.  The hostdist repository is generated on
  -- this machine from the packages of `universe` below.
  repos = {
    { name = "hostdist", url = "file:///var/cache/bsrun/hostdist/repo", kind = "rpm-md" },
  },

  -- rpm macros defined in every build root (names without the leading %).
  macros = {
    dist = ".hostdist",
    _vendor = "bsrun",
    hostdist = "1",
    debug_package = "%{nil}",        -- no -debuginfo packages
  },

  -- The base set installed in every build root, by Fedora-style package
  -- names; `names` below says which host packages provide each of them.
  base = {
    "bash", "bzip2", "coreutils", "cpio", "diffutils", "file", "findutils",
    "gawk", "gcc", "gcc-c++", "grep", "gzip", "make", "patch", "perl",
    "rpm-build", "sed", "tar", "util-linux", "xz",
  },

  -- The Debian packages converted into the hostdist repository: a broad C
  -- build environment able to rebuild most 2003-era source packages.
  universe = {
    -- the build system itself
    "bash", "coreutils", "gcc", "g++", "make", "rpm", "patch", "tar", "gzip",
    "bzip2", "xz-utils", "cpio", "findutils", "sed", "grep", "gawk",
    "diffutils", "file", "util-linux", "perl",
    -- autotools and friends
    "autoconf", "automake", "libtool", "pkg-config", "bison", "flex",
    "gettext", "texinfo",
    -- common libraries with their headers
    "zlib1g-dev", "libncurses-dev", "libssl-dev", "libxml2-dev",
    "libreadline-dev", "libpcap-dev", "libpcre3-dev", "libbz2-dev",
    "liblzma-dev", "libperl-dev",
    -- X11 for the old clients
    "libx11-dev", "libxt-dev", "libxext-dev", "xutils-dev",
  },

  -- Fedora/Red Hat package name -> the host package(s) providing it, used
  -- to resolve BuildRequires written for the old distributions.  Names not
  -- listed are looked up as they are.
  names = {
    ["gcc-c++"] = "g++",
    ["rpm-build"] = "rpm",
    xz = "xz-utils",
    ["zlib-devel"] = "zlib1g-dev",
    ["ncurses-devel"] = "libncurses-dev",
    ["openssl-devel"] = "libssl-dev",
    ["libxml2-devel"] = "libxml2-dev",
    ["readline-devel"] = "libreadline-dev",
    ["gettext-devel"] = "gettext",
    ["perl-devel"] = "libperl-dev",
    ["libpcap-devel"] = "libpcap-dev",
    ["pcre-devel"] = "libpcre3-dev",
    ["libX11-devel"] = "libx11-dev",
    ["libXt-devel"] = "libxt-dev",
    ["libXext-devel"] = "libxext-dev",
    ["XFree86-devel"] = { "libx11-dev", "libxt-dev", "libxext-dev" },
    ["bzip2-devel"] = "libbz2-dev",
    ["xz-devel"] = "liblzma-dev",
    imake = "xutils-dev",
    ["util-linux"] = "util-linux",
    ["pkgconfig"] = "pkg-config",
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
