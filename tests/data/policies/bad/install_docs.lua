-- expect: FILE:4: install.docs: expected true or false, got "no"
return {
  install = {
    docs = "no",
  },
}
