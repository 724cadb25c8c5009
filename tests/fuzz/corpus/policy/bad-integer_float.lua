-- expect: FILE:3: results.max_files: expected an integer, got 1.5
return {
  results = { max_files = 1.5 },
}
