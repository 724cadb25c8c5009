#!/usr/bin/env python3
"""rename-header.py SRPM NEWNAME: rewrites the NAME tag of an unsigned
src.rpm in place (NEWNAME as bytes, backslash escapes allowed, the same
length as the old name) and recomputes the digests of the signature header
(SHA1, SHA256 of the header, MD5 of header and payload), so that the
package reads as a well-formed one with a hostile name. Idempotent."""
import hashlib, os, struct, sys

path, new = sys.argv[1], sys.argv[2].encode().decode("unicode_escape").encode("latin-1")
data = bytearray(open(path, "rb").read())

def header(off):
    assert data[off:off + 3] == b"\x8e\xad\xe8", "no header magic at %d" % off
    n, size = struct.unpack(">II", data[off + 8:off + 16])
    idx = off + 16
    store = idx + 16 * n
    tags = {}
    for i in range(n):
        tag, typ, o, cnt = struct.unpack(">iiii", data[idx + 16 * i:idx + 16 * i + 16])
        tags[tag] = (typ, store + o, cnt)
    return tags, store + size

sig, sig_end = header(96)
main = sig_end + (-sig_end) % 8
tags, main_end = header(main)
_, name_off, _ = tags[1000]
old_end = data.index(b"\0", name_off)
if data[name_off:old_end] != new:
    assert old_end - name_off == len(new), "the new name must be %d bytes" % (old_end - name_off)
    data[name_off:old_end] = new
hdr = bytes(data[main:main_end])
def put(tag, value):
    if tag in sig:
        _, off, _ = sig[tag]
        data[off:off + len(value)] = value
put(269, hashlib.sha1(hdr).hexdigest().encode())
put(273, hashlib.sha256(hdr).hexdigest().encode())
put(1004, hashlib.md5(bytes(data[main:])).digest())
tmp = "%s.tmp.%d" % (path, os.getpid())
open(tmp, "wb").write(data)
os.rename(tmp, path)
