#!/usr/bin/env python3
"""Writes a large synthetic rpm-md repository (metadata only: primary,
filelists, repomd.xml with checksums) for the solve benchmark.

usage: genrepo.py DIR [N]   (N packages, default 60000; seeded, reproducible)

Package i is "pkgNNNNN" (x86_64, some noarch) with a library provide, a
pkgconfig provide, files under /usr/bin, /usr/lib64, /usr/include, and 0-3
requirements (1.2 on average) on packages numbered i/2 .. i-1 (names,
versioned, sonames, file paths), so that a requirement pulls in a dependency
chain some 15 levels deep, and a BuildRequires set of 20 a few hundred packages. Every
200th package has a -devel subpackage requiring it.
"""
import gzip
import hashlib
import os
import random
import sys
import time
from xml.sax.saxutils import escape

N = int(sys.argv[2]) if len(sys.argv) > 2 else 60000
out = sys.argv[1]
rnd = random.Random(42)
os.makedirs(os.path.join(out, "repodata"), exist_ok=True)

RPM_NS = 'xmlns="http://linux.duke.edu/metadata/common" xmlns:rpm="http://linux.duke.edu/metadata/rpm"'


def name(i):
    return "pkg%05d" % i


pkgs = []
for i in range(N):
    arch = "noarch" if i % 7 == 0 else "x86_64"
    ver = "%d.%d" % (1 + i % 5, i % 13)
    reqs = []
    if i > 10:
        for _ in range(rnd.choices((0, 1, 2, 3), (30, 35, 20, 15))[0]):
            j = rnd.randrange(i // 2, i)
            kind = rnd.random()
            if kind < 0.5:
                reqs.append((name(j), None, None))
            elif kind < 0.7:
                reqs.append((name(j), "GE", "1.0"))
            elif kind < 0.9:
                reqs.append(("lib%s.so.1()(64bit)" % name(j), None, None))
            else:
                reqs.append(("/usr/bin/%s" % name(j), None, None))
    provs = [(name(i), "EQ", ver), ("lib%s.so.1()(64bit)" % name(i), None, None),
             ("pkgconfig(%s)" % name(i), "EQ", ver)]
    files = ["/usr/bin/%s" % name(i), "/usr/lib64/lib%s.so.1" % name(i),
             "/usr/include/%s/%s.h" % (name(i), name(i)), "/usr/share/doc/%s/README" % name(i)]
    pkgs.append((name(i), arch, ver, provs, reqs, files))
    if i % 200 == 0:
        pkgs.append((name(i) + "-devel", arch, ver, [(name(i) + "-devel", "EQ", ver)],
                     [(name(i), "EQ", ver)], ["/usr/include/%s-devel.h" % name(i)]))


def entries(tag, deps):
    if not deps:
        return ""
    s = ["<rpm:%s>" % tag]
    for n, flags, v in deps:
        if flags:
            s.append('<rpm:entry name="%s" flags="%s" epoch="0" ver="%s" rel="1"/>' % (escape(n), flags, v))
        else:
            s.append('<rpm:entry name="%s"/>' % escape(n))
    s.append("</rpm:%s>" % tag)
    return "".join(s)


def pkgid(n, arch, ver):
    return hashlib.sha256(("%s-%s-1.%s" % (n, ver, arch)).encode()).hexdigest()


now = int(time.time())
primary = ['<?xml version="1.0" encoding="UTF-8"?>\n<metadata %s packages="%d">\n' % (RPM_NS, len(pkgs))]
filelists = ['<?xml version="1.0" encoding="UTF-8"?>\n'
             '<filelists xmlns="http://linux.duke.edu/metadata/filelists" packages="%d">\n' % len(pkgs)]
for n, arch, ver, provs, reqs, files in pkgs:
    cs = pkgid(n, arch, ver)
    primary.append(
        '<package type="rpm"><name>%s</name><arch>%s</arch><version epoch="0" ver="%s" rel="1"/>'
        '<checksum type="sha256" pkgid="YES">%s</checksum><summary>%s</summary><description>%s</description>'
        '<packager/><url/><time file="%d" build="%d"/><size package="10000" installed="40000" archive="40000"/>'
        '<location href="Packages/%s-%s-1.%s.rpm"/><format><rpm:license>MIT</rpm:license>'
        '<rpm:group>Unspecified</rpm:group><rpm:buildhost>bench</rpm:buildhost>'
        '<rpm:sourcerpm>%s-%s-1.src.rpm</rpm:sourcerpm><rpm:header-range start="4504" end="9000"/>'
        '%s%s%s</format></package>\n'
        % (n, arch, ver, cs, n, n, now, now, n, ver, arch, n, ver, entries("provides", provs),
           entries("requires", reqs), "".join("<file>%s</file>" % f for f in files if f.startswith("/usr/bin/"))))
    filelists.append('<package pkgid="%s" name="%s" arch="%s"><version epoch="0" ver="%s" rel="1"/>%s</package>\n'
                     % (cs, n, arch, ver, "".join("<file>%s</file>" % f for f in files)))
primary.append("</metadata>\n")
filelists.append("</filelists>\n")


def write(kind, text):
    raw = text.encode()
    gz = gzip.compress(raw, 6, mtime=0)
    cs = hashlib.sha256(gz).hexdigest()
    fn = "repodata/%s-%s.xml.gz" % (cs, kind)
    with open(os.path.join(out, fn), "wb") as f:
        f.write(gz)
    return ('<data type="%s"><checksum type="sha256">%s</checksum>'
            '<open-checksum type="sha256">%s</open-checksum><location href="%s"/>'
            '<timestamp>%d</timestamp><size>%d</size><open-size>%d</open-size></data>\n'
            % (kind, cs, hashlib.sha256(raw).hexdigest(), fn, now, len(gz), len(raw)))


data = write("primary", "".join(primary)) + write("filelists", "".join(filelists))
with open(os.path.join(out, "repodata", "repomd.xml"), "w") as f:
    f.write('<?xml version="1.0" encoding="UTF-8"?>\n<repomd xmlns="http://linux.duke.edu/metadata/repo" '
            'xmlns:rpm="http://linux.duke.edu/metadata/rpm"><revision>%d</revision>\n%s</repomd>\n' % (now, data))
print("%d packages in %s" % (len(pkgs), out))
