-- The pure parts of the Slurm backend (lua/bsrun/sched_slurm.lua) in plain
-- Lua: shell quoting (checked by a real /bin/sh), dependency order, the
-- sbatch command line, the batch script, the options from the environment.
-- The backend against a real cluster: tests/slurm/run (make check-slurm).
-- Run from the project root:  lua5.4 tests/lua/sched_slurm.lua
package.path = "lua/?.lua;tests/lua/?.lua"
package.loaded.bs = { time = os.time, interrupted = function() return nil end }
local S = require "bsrun.sched_slurm"
local errors = require "bsrun.errors"

local check = require("tap").check

-- quoting: each word comes back unchanged through /bin/sh
local words = { "plain", "with space", "it's", "$(touch /tmp/x)", "`id`", "a\"b", "\\", "", "*", "--define=x y",
  "new\nline", "~root", "a;b|c&d" }
local quoted = {}
for i, w in ipairs(words) do quoted[i] = S.shquote(w) end
local p = io.popen("sh -c 'for a in \"$@\"; do printf \"%s\\0\" \"$a\"; done' sh " .. table.concat(quoted, " "))
local out = p:read("a")
p:close()
local back = {}
for w in out:gmatch("([^%z]*)%z") do back[#back + 1] = w end
local same = #back == #words
for i = 1, #words do same = same and back[i] == words[i] end
check(same, "shquote: every word survives /bin/sh unchanged", table.concat(back, "|"))

-- dependency order: stable, dependencies first, unknown deps ignored
local jobs = {
  { id = "app", deps = { "libb" } }, { id = "libb", deps = { "liba", "gone" } },
  { id = "tool", deps = {} }, { id = "liba", deps = {} },
}
local ids = {}
for i, j in ipairs(S.order(jobs)) do ids[i] = j.id end
check(table.concat(ids, " ") == "liba libb app tool", "order: dependencies first, else the given order",
  table.concat(ids, " "))
local ok, err = pcall(S.order, { { id = "a", deps = { "b" } }, { id = "b", deps = { "a" } } })
check(not ok and errors.is(err, errors.USAGE) and err.message:find("cycle"), "order: a cycle is refused (exit 2)")

-- the sbatch command line
local so = S.options({ slurm = { partition = "build", args = { "--time=10" } } })
local argv = S.sbatch_argv({ id = "libb" }, { "12", "13" }, so, "/c/slurm/libb.sh", "/c/logs/libb.log")
check(table.concat(argv, " ") == "sbatch --parsable --hold --job-name=bsrun-libb --output=/c/logs/libb.log " ..
  "--kill-on-invalid-dep=yes --partition=build --dependency=afterok:12:13 --time=10 /c/slurm/libb.sh",
  "sbatch_argv: held, named, logged, afterok on every dependency, partition and extra args",
  table.concat(argv, " "))
argv = S.sbatch_argv({ id = "p%j" }, {}, S.options({}), "/s", "/c/logs/p%j.log")
check(argv[5] == "--output=/c/logs/p%%j.log", "sbatch_argv: a % in the log path is not a Slurm pattern", argv[5])
argv = S.sbatch_argv({ id = "liba" }, {}, S.options({}), "/s", "/l")
check(not table.concat(argv, " "):find("dependency", 1, true), "sbatch_argv: no --dependency without deps")

-- the batch script execs the argv
local script = S.script({ id = "x", argv = { "/usr/bin/printf", "%s|", "a b", "it's" } })
local tmp = os.tmpname()
local f = assert(io.open(tmp, "w"))
f:write(script)
f:close()
p = io.popen("sh " .. tmp)
out = p:read("a")
p:close()
os.remove(tmp)
check(out == "a b|it's|" and script:match("^#!/bin/sh\n"), "script: a /bin/sh script that execs the argv", out)

-- an id (from a package header) cannot add a line to the script
script = S.script({ id = "x\nrm -rf /tmp/nothing;", argv = { "true" } })
local lines = 0
for _ in script:gmatch("\n") do lines = lines + 1 end
check(lines == 3, "script: a newline in the id does not reach the script", script)

check(S.options({ slurm = { poll = 0.5 } }).poll == 0.5 and S.options({}).poll == S.POLL,
  "options: poll interval from opts.slurm, else the default")

require("tap").done()
