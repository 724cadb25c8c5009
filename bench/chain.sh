#!/bin/sh
# A chain of 8 small C packages in two independent branches (bench-a1 ->
# bench-a2 -> bench-a3 -> bench-a4 and the same for bench-b; each BuildRequires
# the one before it and compiles BENCH_FUNCS generated functions, default
# 600: a few CPU seconds), built by bsrun with -j 2 and with -j 1 into fresh
# result directories, alternately, BENCH_RUNS times each (default 2).
# Target: -j 1 / -j 2 >= 1.8 on 2 cores. Reported: the whole command
# (planning included, the same for both) and the builds alone (first start
# to last end, from chain.json). Beside it, the peer: bare `rpmbuild
# --rebuild --nodeps` of the same 8 src.rpms on the host, the two branches
# one after the other and then at once, alternating with bsrun's runs: how
# far two builds at once can go on this machine at all.
# Needs root, rpmbuild and gcc on the host, and the hostdist repository.
set -eu
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-2}
funcs=${BENCH_FUNCS:-600}
if [ "$(id -u)" != 0 ]; then echo "*** SKIP chain bench: needs root ***"; exit 0; fi
command -v rpmbuild >/dev/null && command -v gcc >/dev/null || { echo "*** SKIP chain bench: the peer needs rpmbuild and gcc on the host ***"; exit 0; }
tools/mkhostdist -q >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsrun-bench-chain.XXXXXX")
trap '[ -n "${BENCH_KEEP:-}" ] || rm -rf "$tmp"' EXIT INT TERM

# the packages
for b in a b; do
	for i in 1 2 3 4; do
		d=$tmp/pkgs/bench-$b$i
		mkdir -p "$d"
		{
			echo "Name: bench-$b$i"
			echo "Version: 1.0"
			echo "Release: 1%{?dist}"
			echo "Summary: chain benchmark package"
			echo "License: MIT"
			echo "AutoReq: no"
			echo "Source0: gen.awk"
			echo "BuildRequires: gcc"
			[ "$i" -gt 1 ] && echo "BuildRequires: bench-$b$((i - 1))"
			echo "%description"
			echo "Chain benchmark."
			echo "%prep"
			echo "%build"
			echo "awk -v n=$funcs -f %{SOURCE0} > w.c"
			echo "test -s w.c"
			echo "gcc -O2 -c w.c -o w.o"
			echo "%install"
			echo "mkdir -p %{buildroot}%{_datadir}/bench"
			echo "cp w.o %{buildroot}%{_datadir}/bench/$b$i.o"
			echo "%files"
			echo "%{_datadir}/bench/$b$i.o"
		} >"$d/bench-$b$i.spec"
		cat >"$d/gen.awk" <<'EOF'
BEGIN { for (i = 0; i < n; i++) printf "int f%d(int x){int s=0;for(int i=0;i<x;i++){s+=i*%d^(s>>3);s^=s<<%d;}return s;}\n", i, i, i % 7 + 1 }
EOF
		tools/mksrpm "$d" "$tmp/srpms" >/dev/null
	done
done

now() { date +%s.%N; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
span() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
p=[x for x in d["packages"] if "started" in x]
print(round(max(x["ended"] for x in p)-min(x["started"] for x in p), 1))' "$1"
}

# warm-up: the base image and the package cache
src/bsrun -q -r "$tmp/warm" rpmbuild "$tmp/srpms/bench-a1-1.0-1.src.rpm" >/dev/null

: >"$tmp/j1"; : >"$tmp/j2"; : >"$tmp/s1"; : >"$tmp/s2"; : >"$tmp/b1"; : >"$tmp/b2"
# the peer: one branch's four builds in a row, each in its own topdir
bare_branch() {
	for k in 1 2 3 4; do
		rpmbuild --rebuild --nodeps --quiet --define "_topdir $tmp/bare-$1" \
			"$tmp/srpms/bench-$1$k-1.0-1.src.rpm" >/dev/null 2>&1 || return 1
	done
	rm -rf "$tmp/bare-$1"
}
bare() {
	t0=$(now)
	if [ "$1" = 1 ]; then
		bare_branch a && bare_branch b
	else
		bare_branch a & pa=$!
		bare_branch b & pb=$!
		wait "$pa" && wait "$pb"
	fi || { echo "chain bench: bare rpmbuild failed"; exit 1; }
	t1=$(now)
	awk "BEGIN {print $t1 - $t0}" >>"$tmp/b$1"
}
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	for j in 2 1; do
		t0=$(now)
		src/bsrun -q -j "$j" -r "$tmp/res-$j-$i" rpmbuild "$tmp/srpms" >"$tmp/out" 2>&1 || {
			cat "$tmp/out"; echo "chain bench: the chain failed"; exit 1; }
		t1=$(now)
		awk "BEGIN {print $t1 - $t0}" >>"$tmp/j$j"
		span "$tmp/res-$j-$i/chain.json" >>"$tmp/s$j"
		echo "run $i -j $j: $(tail -n 1 "$tmp/j$j")s total, builds $(tail -n 1 "$tmp/s$j")s (load $(cut -d' ' -f1 /proc/loadavg))"
		[ -n "${BENCH_KEEP:-}" ] || rm -rf "$tmp/res-$j-$i"
		bare "$j"
		echo "run $i bare rpmbuild, $j at once: $(tail -n 1 "$tmp/b$j")s"
	done
done
j1=$(median <"$tmp/j1"); j2=$(median <"$tmp/j2"); s1=$(median <"$tmp/s1"); s2=$(median <"$tmp/s2")
echo "chain of 8 (2 branches of 4), medians of $runs: -j 1 ${j1}s, -j 2 ${j2}s: $(awk "BEGIN {printf \"%.2f\", $j1 / $j2}")x (target >= 1.8x)"
echo "  builds only (first start to last end): -j 1 ${s1}s, -j 2 ${s2}s: $(awk "BEGIN {printf \"%.2f\", $s1 / $s2}")x"
b1=$(median <"$tmp/b1"); b2=$(median <"$tmp/b2")
echo "  peer, bare rpmbuild on the host: one at a time ${b1}s, two at once ${b2}s: $(awk "BEGIN {printf \"%.2f\", $b1 / $b2}")x (what this machine allows two builds at once)"
echo "  spread: -j 1 $(sort -n "$tmp/j1" | tr '\n' ' ')/ -j 2 $(sort -n "$tmp/j2" | tr '\n' ' ')"
