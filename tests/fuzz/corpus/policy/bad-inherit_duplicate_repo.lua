-- expect: FILE:5: repos[1].name: duplicate repository name "os"
return {
  inherit = "../good/full.lua",
  repos = extend {
    { name = "os", url = "file:///srv/other" },
  },
}
