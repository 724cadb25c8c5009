-- Inherits a sibling by relative path and changes a few values.
-- check: p.name == "inherit" and p.description == "every key set" and p.arch == "i686"
-- check: p.isolation.memory == 2 * 1024^3 and p.isolation.pids == 512
-- check: #p.base == 1 and p.base[1] == "bash"
-- check: p.macros.redhat == "9" and p.macros.extra == "yes"
-- check: p.isolation.env.PATH == "/bin" and p.isolation.env.HOME == "/root"
-- check: #p.chain == 2 and p.chain[1]:match("/good/full%.lua$") and p.chain[2] == p.file
return {
  inherit = "full.lua",
  base = { "bash" },
  macros = { extra = "yes" },
  isolation = {
    memory = "2G",
    env = { HOME = "/root" },
  },
}
