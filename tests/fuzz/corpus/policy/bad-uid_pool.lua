-- expect: FILE:5: isolation.uid_pool.first: the pool ends at 4999999999, past the largest id 4294967294
return {
  isolation = {
    uid_pool = {
      first = 3000000000,
      count = 2000000000,
    },
  },
}
