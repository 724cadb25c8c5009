-- bsrun.installopts: a policy's `install` settings (doc/policies.md) as
-- bs.rpm.install options, and as words for a base image's key.
local M = {}

--- The bs.rpm.install options of a (merged, normalized) policy: nofsync or
--- fsync, nodocs, langs (nil for "all"), verify.
function M.options(policy)
  local pi = policy.install or {}
  return {
    nofsync = not pi.fsync or nil, fsync = pi.fsync or nil,
    nodocs = pi.docs == false,
    langs = type(pi.langs) == "table" and pi.langs or nil,
    verify = pi.verify,
  }
end

--- What of the settings changes what an image holds (an image made without
--- docs is not the image made with them), as words for bs.image.acquire's
--- `extra`; nil with the defaults, so that existing images keep their keys.
function M.image_key(policy)
  local o = M.options(policy)
  if not o.nodocs and not o.langs then return nil end
  return { "install:docs=" .. tostring(not o.nodocs),
           "install:langs=" .. (o.langs and table.concat(o.langs, ":") or "all") }
end

return M
