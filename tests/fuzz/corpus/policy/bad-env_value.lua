-- expect: FILE:5: isolation.env.PATH: expected a string, got 1
return {
  isolation = {
    env = {
      PATH = 1,
    },
  },
}
