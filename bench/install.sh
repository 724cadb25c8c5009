#!/bin/sh
# Install the hostdist base set (`bsrun policy get hostdist base`, ~130
# packages with their dependencies) into an empty root from the local hostdist
# rpm-md repository: bsrun beside `dnf --installroot`, alternating, warm.
# bsrun's figure is the "root" phase of a real build with
# BSRUN_BENCH_NO_IMAGE=1 (fresh empty root, context, solve, verified local
# files, librpm transaction inside the context), read from state.log; dnf's is
# the whole `dnf -y install` command into a fresh empty directory, its
# metadata cache made once before by `makecache`. Both installroots are checked
# for /usr/bin/gcc and must hold the same packages. Target: bsrun >= 2x faster.
# Needs root and the hostdist repository (tools/mkhostdist); dnf from
# `tools/install-deps --bench`. BENCH_RUNS=N runs each N times (default 3) and
# reports medians; BENCH_POLICY=NAME|FILE (default hostdist) names the policy,
# whose `install` settings (docs, langs, verify) bsrun uses; dnf keeps its
# defaults. bsrun's root is what a build's root is: an overlay over an empty
# base image, its upper layer on tmpfs (BSRUN_BENCH_NO_IMAGE=1).
set -eu
cd "$(dirname "$0")/.."
runs=${BENCH_RUNS:-3}
policy=${BENCH_POLICY:-hostdist}
if [ "$(id -u)" != 0 ]; then echo "*** SKIP install bench: needs root ***"; exit 0; fi
if ! command -v dnf >/dev/null; then
	echo "*** SKIP install bench: dnf is not installed (tools/install-deps --bench) ***"; exit 0
fi
tools/mkhostdist -q >/dev/null
repo=/var/cache/bsrun/hostdist/repo
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsrun-bench.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
base=$(src/bsrun policy get "$policy" base | tr '\n' ' ')
srpm=$(tools/mksrpm tests/data/e2e/probe "$tmp/srpms")

# dnf ignoring the host's configuration, repositories and plugins
mkdir -p "$tmp/dnf-cache" "$tmp/dnf-reposdir"
printf '[main]\n' >"$tmp/dnf.conf"
dnf_run() {
	root=$1; shift
	${timed:-} dnf --config="$tmp/dnf.conf" --installroot="$root" --releasever=1 --disableplugin='*' \
		--setopt=reposdir="$tmp/dnf-reposdir" --setopt=cachedir="$tmp/dnf-cache" \
		--setopt=install_weak_deps=False --nogpgcheck \
		--repofrompath=hostdist,"file://$repo" --repo=hostdist "$@"
}
now() { date +%s.%N; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
root_phase() { sed -n 's/.* done root \([0-9.]*\)s$/\1/p' "$1/state.log"; }
fail() { echo "*** install bench: $* ***"; exit 0; }

# warm-up: dnf's metadata cache; bsrun's repository cache and verified packages
mkdir "$tmp/warm-root"
dnf_run "$tmp/warm-root" -q makecache >"$tmp/dnf.out" 2>&1 || { cat "$tmp/dnf.out"; fail "dnf makecache failed"; }
rm -rf "$tmp/warm-root"
BSRUN_BENCH_NO_IMAGE=1 src/bsrun -q -p "$policy" -r "$tmp/warm" rpmbuild "$srpm" >/dev/null || fail "the bsrun build failed"
sort "$tmp/warm/installed_pkgs.log" >"$tmp/bsrun-pkgs"
rm -rf "$tmp/warm"

: >"$tmp/dnf" ; : >"$tmp/bsrun" ; : >"$tmp/dnf-cpu" ; : >"$tmp/bsrun-cpu"
i=0
while [ "$i" -lt "$runs" ]; do
	i=$((i + 1))
	mkdir "$tmp/root-$i"
	t0=$(now)
	# shellcheck disable=SC2086 # the base set, one name per word
	timed="/usr/bin/time -a -o $tmp/dnf-cpu -f %U+%S" dnf_run "$tmp/root-$i" -C -y -q install $base >"$tmp/dnf.out" 2>&1 || {
		tail -20 "$tmp/dnf.out"; fail "dnf could not install the base set"; }
	t1=$(now)
	[ -e "$tmp/root-$i/usr/bin/gcc" ] || fail "dnf's installroot has no /usr/bin/gcc: not a real install"
	if [ "$i" -eq 1 ]; then
		rpm --root="$tmp/root-$i" -qa --qf '%{NEVRA}\n' 2>/dev/null | sort >"$tmp/dnf-pkgs" || :
		[ -s "$tmp/dnf-pkgs" ] || sed -n 's/^  \([^ ]*\.\(noarch\|x86_64\)\) *$/\1/p' "$tmp/dnf.out" | sort >"$tmp/dnf-pkgs"
	fi
	rm -rf "$tmp/root-$i"
	awk "BEGIN {print $t1 - $t0}" >>"$tmp/dnf"
	BSRUN_BENCH_NO_IMAGE=1 /usr/bin/time -a -o "$tmp/bsrun-cpu" -f %U+%S \
		src/bsrun -q -p "$policy" -r "$tmp/res-$i" rpmbuild "$srpm" >/dev/null || fail "the bsrun build failed"
	t=$(root_phase "$tmp/res-$i")
	[ -n "$t" ] || fail "no root phase in $tmp/res-$i/state.log"
	echo "$t" >>"$tmp/bsrun"
	rm -rf "$tmp/res-$i"
done
dnf_t=$(median <"$tmp/dnf")
ours=$(median <"$tmp/bsrun")
printf 'install the %s base set into an empty root (bsrun %d packages, dnf %d), warm, median of %d runs:\n' \
	"$policy" "$(wc -l <"$tmp/bsrun-pkgs")" "$(wc -l <"$tmp/dnf-pkgs")" "$runs"
printf '  policy install settings: %s; dnf with its defaults (docs installed)\n' \
	"$(src/bsrun policy get "$policy" install | tr '\t\n' '= ')"
printf '  dnf --installroot        %6.2f s  (runs: %s)\n' "$dnf_t" "$(tr '\n' ' ' <"$tmp/dnf")"
printf '  bsrun (root phase)       %6.2f s  (runs: %s)\n' "$ours" "$(tr '\n' ' ' <"$tmp/bsrun")"
awk -v d="$dnf_t" -v b="$ours" 'BEGIN {printf "  bsrun is %.2fx faster; target >= 2x\n", d / b}'
# CPU time (user + system, children included): the figure that holds when
# other jobs load the machine. bsrun's is its whole command (the probe's
# BuildRequires and build too), so it overstates the install.
dnf_c=$(awk -F+ '{print $1 + $2}' "$tmp/dnf-cpu" | median)
ours_c=$(awk -F+ '{print $1 + $2}' "$tmp/bsrun-cpu" | median)
printf '  CPU time: dnf %.2f s, bsrun (whole build) %.2f s: %.2fx less\n' "$dnf_c" "$ours_c" \
	"$(awk -v d="$dnf_c" -v b="$ours_c" 'BEGIN {print d / b}')"
cmp -s "$tmp/dnf-pkgs" "$tmp/bsrun-pkgs" || echo "  WARNING: dnf and bsrun installed different package sets"
