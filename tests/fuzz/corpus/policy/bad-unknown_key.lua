-- expect: FILE:4: colour: unknown key
return {
  arch = "i386",
  colour = "blue",
}
