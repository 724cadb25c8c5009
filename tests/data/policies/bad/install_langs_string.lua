-- expect: FILE:3: install.langs: expected one of "all" or a list of languages like { "C", "en" }, got "en"
return {
  install = { langs = "en" },
}
