#!/bin/sh
# Warm rebuild of the demo package (GNU hello from its upstream tarball):
# bsrun end to end (fresh root, base set and BuildRequires installed in a
# sealed context, rpmbuild -ba, copy-out, teardown) beside a bare
# `rpmbuild --rebuild` of the same src.rpm on the host, in the same run.
# Target: bsrun <= bare + 1 s. Needs root and the hostdist repository
# (tools/mkhostdist); BENCH_RUNS=N runs each N times (default 3) and reports
# medians. Also shown: the same bsrun build with the base set installed into
# every root (BSRUN_BENCH_NO_IMAGE=1), i.e. before cached base images.
set -eu
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-3}
if [ "$(id -u)" != 0 ]; then echo "*** SKIP rebuild bench: needs root ***"; exit 0; fi
tools/mkhostdist -q >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsrun-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
srpm=$(tools/mksrpm tests/data/e2e/hello "$tmp/srpms")

now() { date +%s.%N; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# warm-up: caches (repository metadata, downloaded packages) filled once
src/bsrun -q -r "$tmp/warm" rpmbuild "$srpm" >/dev/null

: >"$tmp/bare" ; : >"$tmp/bsrun" ; : >"$tmp/noimage"
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	t0=$(now)
	rpmbuild --quiet --rebuild --nodeps --define "_topdir $tmp/bare-$i" --define "debug_package %{nil}" \
		"$srpm" >/dev/null 2>&1
	t1=$(now)
	src/bsrun -q -r "$tmp/res-$i" rpmbuild "$srpm" >/dev/null
	t2=$(now)
	BSRUN_BENCH_NO_IMAGE=1 src/bsrun -q -r "$tmp/noimg-$i" rpmbuild "$srpm" >/dev/null
	t3=$(now)
	awk "BEGIN {print $t3 - $t2}" >>"$tmp/noimage"
	awk "BEGIN {print $t1 - $t0}" >>"$tmp/bare"
	awk "BEGIN {print $t2 - $t1}" >>"$tmp/bsrun"
	rm -rf "$tmp/bare-$i" "$tmp/res-$i" "$tmp/noimg-$i"
done
bare=$(median <"$tmp/bare")
ours=$(median <"$tmp/bsrun")
noimg=$(median <"$tmp/noimage")
printf 'warm rebuild of %s, median of %d runs:\n' "$(basename "$srpm")" "$runs"
printf '  bare rpmbuild --rebuild  %6.2f s\n' "$bare"
printf '  bsrun rpmbuild           %6.2f s\n' "$ours"
printf '  bsrun, no base image     %6.2f s  (the base set installed into every root, as before base images)\n' "$noimg"
awk -v a="$ours" -v b="$bare" 'BEGIN {printf "  overhead                 %+6.2f s  (target: <= +1 s), ratio %.2f\n", a - b, a / b}'
