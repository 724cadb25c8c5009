-- The smallest valid policy: every value comes from the defaults.
-- check: p.name == "minimal" and p.arch == "x86_64" and p.dist == ""
-- check: p.isolation.memory == 4 * 1024^3 and p.isolation.timeout == 4 * 3600
-- check: #p.repos == 0 and #p.base == 0 and p.isolation.network == false
-- check: #p.isolation.caps == 10 and p.isolation.env.PATH == "/usr/bin:/bin:/usr/sbin:/sbin"
-- check: p.results.max_file == 2 * 1024^3 and p.cache.max_size == nil
return {}
