-- expect: FILE:4: isolation.disk: expected a size like "4G", got "4 GB"
return {
  isolation = {
    disk = "4 GB",
  },
}
