-- Policies may compute values with local helpers and the string, table and
-- math libraries.
-- check: #p.base == 6 and p.base[6] == "pkg5" and p.isolation.memory == 3 * 1024^3
-- check: p.macros.vendor_tag == "ACME" and p.isolation.pids == 1024
-- check: p.repos[1].url == "http://mirror.example.org/os/" and p.repos[2].name == "updates"
local MIRROR = "http://mirror.example.org/"

local function repo(name, extra)
  local r = { name = name, url = MIRROR .. name .. "/" }
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

local base = { "bash" }
for i = 1, 5 do base[#base + 1] = string.format("pkg%d", i) end

return {
  base = base,
  repos = { repo("os"), repo("updates", { priority = 10 }) },
  macros = { vendor_tag = ("acme"):upper() },
  isolation = {
    memory = tostring(math.floor(3)) .. "G",
    pids = 2 ^ 10 // 1,
  },
}
