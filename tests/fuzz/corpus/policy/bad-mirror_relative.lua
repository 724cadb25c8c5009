-- expect: FILE:3: mirror: expected a file://, http:// or https:// URL or an absolute path, got "srv/mirror"
return {
  mirror = "srv/mirror",
}
