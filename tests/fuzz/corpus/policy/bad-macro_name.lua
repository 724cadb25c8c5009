-- expect: FILE:5: macros["%_vendor"]: invalid key: expected a macro name (letters, digits and "_", without the leading "%"), got "%_vendor"
return {
  macros = {
    dist = ".x",
    ["%_vendor"] = "acme",
  },
}
