-- The chain planner's pure parts in plain Lua: %files paths of a parsed
-- spec, the names in a requirement, BuildRequires mapped to the packages of
-- a chain (names, Provides, paths, globs, directories, rich dependencies),
-- the dependency order and a cycle's message.
-- Run from the project root:  lua5.4 tests/lua/chainplan.lua
package.path = "lua/?.lua;tests/lua/?.lua"
-- the planning context (bs) is not used by these functions
package.preload.bs = function() return {} end

local plan = require "bsrun.chainplan"
local errors = require "bsrun.errors"

local check = require("tap").check
local function join(t) return table.concat(t, " ") end

local spec = [[
Name: x
%description
/usr/bin/not-a-file
%files
%defattr(-,root,root)
%attr(0755,root,root) /usr/bin/tool
%doc README
%config(noreplace) /etc/x.conf
%dir /usr/lib/x
/usr/share/x/*.dat
%files -n other
"/opt/with space"
%changelog
* /usr/bin/changelog-entry
]]
check(join(plan.files_of(spec)) == '/usr/bin/tool /etc/x.conf /usr/lib/x /usr/share/x/*.dat /opt/with space',
  "files_of: %files paths, directives stripped, other sections ignored", join(plan.files_of(spec)))

check(join(plan.req_names("foo >= 1.2")) == "foo", "req_names: a versioned name")
check(join(plan.req_names("/usr/bin/x")) == "/usr/bin/x", "req_names: a path")
check(join(plan.req_names("(a >= 1 or (b if c))")) == "a b c", "req_names: a rich dependency",
  join(plan.req_names("(a >= 1 or (b if c))")))

local function node(id, t)
  t.id = id
  t.requires = t.requires or {}
  t.provides = t.provides or {}
  t.files = t.files or {}
  t.deps, t.why = {}, {}
  for _, p in ipairs(t.produces or {}) do t.provides[p] = true end
  return t
end
local nodes = {
  app = node("app", { requires = { "libb-headers", "/usr/bin/tool", "gcc" }, produces = { "app" } }),
  libb = node("libb", { requires = { "liba-devel >= 1.0" }, produces = { "libb-devel" },
                        provides = { ["libb-headers"] = true } }),
  liba = node("liba", { requires = { "(liba-devel or gcc)" }, produces = { "liba", "liba-devel" } }),
  tool = node("tool", { produces = { "tool" }, files = { "/usr/bin/t*" } }),
  data = node("data", { requires = { "/usr/share/data/sub/file" }, files = { "/usr/share/data" } }),
}
local order = { "app", "libb", "liba", "tool", "data" }
plan.link(nodes, order)
check(join(nodes.app.deps) == "libb tool", "link: a Provide and a glob path", join(nodes.app.deps))
check(join(nodes.libb.deps) == "liba", "link: a versioned package name")
check(#nodes.liba.deps == 0, "link: a package's own products are no dependency")
check(join(nodes.data.deps) == "", "link: own directory is no dependency")
nodes.app.requires[#nodes.app.requires + 1] = "/usr/share/data/sub/file"
nodes.app.deps, nodes.app.why = {}, {}
plan.link(nodes, order)
check(join(nodes.app.deps) == "libb tool data", "link: a path below a directory in %files",
  join(nodes.app.deps))
local sorted = plan.toposort(nodes, order)
check(join(sorted) == "liba libb tool data app", "toposort: dependencies first, stable", join(sorted))

nodes.liba.requires = { "app" }
nodes.liba.deps, nodes.liba.why = {}, {}
plan.link(nodes, order)
local ok, err = pcall(plan.toposort, nodes, order)
check(not ok and errors.is(err, errors.USAGE) and err.message ==
  "dependency cycle: app (BuildRequires libb-headers) -> libb (BuildRequires liba-devel >= 1.0) -> " ..
  "liba (BuildRequires app) -> app", "toposort: a cycle is exit 2, named", tostring(err and err.message or err))

require("tap").done()
