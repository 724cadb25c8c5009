-- A local copy of a shipped distribution: `mirror` replaces its repos.
-- check: #p.repos == 1 and p.repos[1].name == "mirror" and p.repos[1].kind == "auto"
-- check: p.repos[1].url == "file:///srv/mirror/fc1" and p.repos[1].priority == 50
-- check: p.mirror == "/srv/mirror/fc1" and p.arch == "i386" and p.macros.fc1 == "1"
-- check: p.name == "fc1-local"
return {
  inherit = "fc1",
  name = "fc1-local",
  mirror = "/srv/mirror/fc1",
}
