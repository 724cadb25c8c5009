-- The policy's install settings as bs.rpm.install options (what
-- recipes/rpmbuild.lua passes): defaults, the shipped hostdist policy, and a
-- policy with every setting changed. Run from the project root:
--   lua5.4 tests/lua/installopts.lua
package.path = "lua/?.lua;tests/lua/?.lua"

local policy = require "bsrun.policy"
local installopts = require "bsrun.installopts"

local tap = require "tap"
local function check(name, ok, detail) return tap.check(ok, name, detail) end

-- defaults: no fsync, docs, every language, rpm's own digest checks
local p = policy.load("tests/data/policies/good/minimal.lua", "policies")
local o = installopts.options(p)
check("defaults", o.nofsync == true and o.fsync == nil and o.nodocs == false and o.langs == nil
  and o.verify == "rpm", o)
check("defaults keep image keys", installopts.image_key(p) == nil)

-- every setting changed
p = policy.load("tests/data/policies/good/full.lua", "policies")
o = installopts.options(p)
check("full", o.nofsync == nil and o.fsync == true and o.nodocs == true and o.verify == "cache"
  and table.concat(o.langs, ":") == "C:pt_BR:sr@latin", o)
local key = installopts.image_key(p)
check("full image key", key and key[1] == "install:docs=false" and key[2] == "install:langs=C:pt_BR:sr@latin",
  key and table.concat(key, " "))

-- the shipped hostdist policy
p = policy.load("hostdist", "policies")
o = installopts.options(p)
check("hostdist", o.nofsync == true and o.nodocs == (p.install.docs == false), o)

tap.done()
