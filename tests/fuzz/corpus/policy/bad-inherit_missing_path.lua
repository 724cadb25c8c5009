-- expect: FILE:3: inherit: cannot read policy DIR/nosuch.lua: No such file or directory
return {
  inherit = "nosuch.lua",
}
