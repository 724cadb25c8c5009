-- Every key of the schema, set to a non-default value.
-- check: p.name == "full-example" and p.description == "every key set"
-- check: p.isolation.memory == 1536 * 1024^2 and p.isolation.fsize == 1024
-- check: p.isolation.disk == 2 * 1024^4 and p.isolation.timeout == 90 * 60
-- check: p.isolation.network == "host" and p.isolation.caps[2] == "NET_RAW"
-- check: p.isolation.mounts[1].ro == false and p.isolation.mounts[1].noexec == false
-- check: p.isolation.mounts[2].ro == true and p.isolation.mounts[2].nodev == true
-- check: p.repos[1].kind == "rpm-md" and p.repos[2].kind == "auto" and p.repos[2].priority == 50
-- check: p.repos[2].enabled == true and #p.repos[2].exclude == 0 and p.repos[1].exclude[1] == "kernel*"
-- check: p.macros.redhat == "9" and p.macros.optflags == "-O2 -g" and p.names.gcc[2] == "cpp"
-- check: p.results.max_total == 100 * 1024^2 and p.cache.max_size == 20 * 1024^3
-- check: p.isolation.env.PATH == "/bin" and p.isolation.env.LANG == "C" and p.isolation.env.LC_ALL == "C"
-- check: p.isolation.uid_pool.first == 300000000 and p.isolation.seccomp.deny[1] == "ptrace"
return {
  description = "every key set",
  name = "full-example",
  arch = "i686",
  dist = ".el3",
  repos = {
    { name = "os", url = "file:///srv/mirror/os", kind = "rpm-md", enabled = true,
      priority = 10, exclude = { "kernel*" } },
    { name = "updates", url = "https://mirror.example.org/updates/" },
    { name = "local.dir", url = "http://localhost/rpms/", kind = "dir", enabled = false },
  },
  macros = {
    redhat = 9,
    optflags = "-O2 -g",
    _smp_mflags = "-j2",
  },
  base = { "bash", "coreutils", "gcc", "make", "rpm-build" },
  universe = { "bash", "coreutils", "gcc", "make", "rpm" },
  names = {
    ["rpm-build"] = "rpm",
    gcc = { "gcc", "cpp" },
  },
  isolation = {
    memory = "1536M",
    pids = 512,
    cpu_weight = 200,
    nofile = 1024,
    fsize = "1024",
    disk = "2t",
    timeout = "90m",
    network = "host",
    hostname = "builder-1.example.org",
    domainname = "example.org",
    caps = { "CHOWN", "NET_RAW" },
    seccomp = { allow = { "personality" }, deny = { "ptrace", "bpf" } },
    mounts = {
      { source = "/srv/ccache", target = "/builddir/.ccache", ro = false },
      { source = "/srv/sources", target = "/sources", nosuid = true, nodev = true,
        noexec = false, recursive = true },
    },
    devices = { "null", "zero", "urandom", "fuse" },
    env = { PATH = "/bin", LC_ALL = "C" },
    single_id_map = true,
    uid_pool = { first = 300000000, count = 65536 },
  },
  results = { max_file = "10M", max_total = "100M", max_files = 50, max_depth = 8 },
  cache = { max_size = "20G" },
}
