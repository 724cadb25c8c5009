-- expect: FILE:5: install.langs[2]: expected a language like "C", "en" or "pt_BR", got "%{x}"
return {
  install = {
    fsync = false,
    langs = { "C", "%{x}" },
  },
}
