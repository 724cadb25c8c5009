-- expect: FILE:4: '}' expected (to close '{' at line 2) near 'dist'
return {
  arch = "i386"
  dist = ".fc1",
}
