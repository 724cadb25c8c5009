-- bsrun.srpm: cheap checks of a package file given on the command line.
-- Only the fixed 96-byte RPM lead is read here, on the host; the header itself
-- is untrusted and is only ever parsed inside a sandbox (bs.rpm.header).
local errors = require "bsrun.errors"

local M = {}

local LEAD_SIZE = 96
local MAGIC = "\xed\xab\xee\xdb"

--- Checks that `path` is a readable, non-empty source RPM (by its lead) and
--- returns a description {path=, file=, stem=}; raises exit 2 naming the file
--- and the problem otherwise.
function M.check(path)
  -- never io.open: it would block on a FIFO
  local lead, err = bsrun_host.readfile(path, LEAD_SIZE)
  if not lead then
    errors.raise(errors.USAGE, "cannot read %s: %s", path, err:sub(1, #path + 2) == path .. ": " and err:sub(#path + 3) or err)
  end
  if lead == nil or #lead == 0 then
    errors.raise(errors.USAGE, "%s: empty file, not a source RPM", path)
  end
  if lead:sub(1, 4) ~= MAGIC then
    errors.raise(errors.USAGE, "%s: not an RPM package (no RPM lead magic)", path)
  end
  if #lead < LEAD_SIZE then
    errors.raise(errors.USAGE, "%s: truncated RPM file (%d bytes)", path, #lead)
  end
  local major = lead:byte(5)
  if major ~= 3 and major ~= 4 then
    errors.raise(errors.USAGE, "%s: unsupported RPM format version %d", path, major)
  end
  local ptype = lead:byte(7) * 256 + lead:byte(8)
  if ptype ~= 1 then
    errors.raise(errors.USAGE, "%s: a binary RPM, not a source package", path)
  end
  local file = path:match("([^/]+)$")
  local stem = file:gsub("%.src%.rpm$", ""):gsub("%.rpm$", "")
  return { path = path, file = file, stem = stem }
end

return M
