-- expect: FILE: a policy must return a table, got "hostdist"
return "hostdist"
