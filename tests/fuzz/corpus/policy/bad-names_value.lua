-- expect: FILE:5: names["gcc-c++"][2]: expected a package name, got 12
return {
  names = {
    ["gcc-c++"] = { "g++",
      12 },
  },
}
