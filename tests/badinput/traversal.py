# Rewrites a src.rpm (gzip cpio payload) so that its tarball is named
# "../../../../bsrun-trav" in the header and the payload, with every digest
# and size recomputed: rpm -K still says OK.  Usage: traversal.py IN OUT
import struct, sys, hashlib, gzip, zlib
src, dst = sys.argv[1], sys.argv[2]
OLD, NEW = b"hello-bsrun-1.0.tar.gz", b"../../../../bsrun-trav"
assert len(OLD) == len(NEW)
b = bytearray(open(src, 'rb').read())
def hdr(off):
    nidx, hsize = struct.unpack('>II', b[off+8:off+16])
    idx = off + 16; data = idx + 16*nidx; end = data + hsize
    ents = {}
    for i in range(nidx):
        tag, typ, o, cnt = struct.unpack('>IIII', b[idx+16*i:idx+16*i+16])
        ents[tag] = (typ, data + o, cnt)
    return off, end, ents
s0, s1, sig = hdr(96)
m0 = (s1 + 7) & ~7
m0, m1, main = hdr(m0)
payload = bytes(b[m1:])
raw = gzip.decompress(payload)
assert OLD in raw
raw2 = raw.replace(OLD, NEW)
pay2 = gzip.compress(raw2, mtime=0)
# main header: names, then payload digests
mh = bytes(b[m0:m1]).replace(OLD, NEW)
b[m0:m1] = mh
def set_str(ents, tag, val):
    if tag not in ents: return
    typ, off, cnt = ents[tag]
    end = b.index(b'\0', off)
    assert end - off == len(val), (tag, end - off, len(val))
    b[off:end] = val
set_str(main, 5092, hashlib.sha256(pay2).hexdigest().encode())
set_str(main, 5097, hashlib.sha256(raw2).hexdigest().encode())
mh = bytes(b[m0:m1])
set_str(sig, 273, hashlib.sha256(mh).hexdigest().encode())
set_str(sig, 269, hashlib.sha1(mh).hexdigest().encode())
if 1004 in sig:
    typ, off, cnt = sig[1004]; b[off:off+16] = hashlib.md5(mh + pay2).digest()
if 1000 in sig:
    typ, off, cnt = sig[1000]; b[off:off+4] = struct.pack('>I', len(mh) + len(pay2))
if 270 in sig:
    typ, off, cnt = sig[270]; b[off:off+8] = struct.pack('>Q', len(mh) + len(pay2))
open(dst, 'wb').write(bytes(b[:m1]) + pay2)
