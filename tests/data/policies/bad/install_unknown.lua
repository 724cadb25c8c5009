-- expect: FILE:4: install.nodocs: unknown key (did you mean "docs"?)
return {
  install = {
    nodocs = true,
  },
}
