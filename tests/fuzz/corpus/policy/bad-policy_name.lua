-- expect: FILE:3: name: expected a policy name (letters, digits, ".", "_" and "-"), got "-x"
return {
  name = "-x",
}
