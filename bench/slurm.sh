#!/usr/bin/env bash
# Slurm overhead per job: a linear chain of N trivial packages (each
# BuildRequires the one before, so nothing runs in parallel) built with the
# local scheduler and with `--scheduler slurm` on a single-machine test
# cluster (tests/slurm/cluster), side by side in the same run. Reports the
# wall time of each and the Slurm overhead per job: (slurm - local) / N, i.e.
# submission, release, scheduling, dependency evaluation and squeue polling.
# Needs root, Slurm and munge (tools/install-deps --slurm) and the hostdist
# repository; BENCH_SLURM_N=N packages (default 6).
set -eu
cd "$(dirname "$0")/.."
N=${BENCH_SLURM_N:-6}
if [ "$(id -u)" != 0 ]; then echo "*** SKIP slurm bench: needs root ***"; exit 0; fi
if ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
	echo "*** SKIP slurm bench: Slurm is not installed (tools/install-deps --slurm) ***"
	exit 0
fi
tools/mkhostdist -q >/dev/null
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bsrun-bench-slurm.XXXXXX")
trap 'tests/slurm/cluster stop "$tmp/cluster" || true; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# the chain: bench-s1 <- bench-s2 <- ... <- bench-sN
for i in $(seq "$N"); do
	d=$tmp/specs/bench-s$i
	mkdir -p "$d"
	br=""
	[ "$i" -gt 1 ] && br="BuildRequires: bench-s$((i - 1))"
	cat >"$d/bench-s$i.spec" <<EOF
Name: bench-s$i
Version: 1.0
Release: 1
Summary: Trivial package $i of the Slurm overhead chain
License: MIT
BuildArch: noarch
$br
%description
Trivial.
%prep
%build
%install
mkdir -p %{buildroot}%{_datadir}/bench-s$i
echo $i > %{buildroot}%{_datadir}/bench-s$i/s.txt
%files
%{_datadir}/bench-s$i
EOF
	tools/mksrpm "$d" "$tmp/srpms" >/dev/null
done
eval "$(tests/slurm/cluster start "$tmp/cluster")"
export SLURM_CONF

now() { date +%s.%N; }
run() { # SCHEDULER DIR
	local t0 t1
	t0=$(now)
	src/bsrun -q --scheduler "$1" -r "$2" rpmbuild "$tmp/srpms/"*.src.rpm >"$2.out" 2>&1 </dev/null ||
		{ tail -n 20 "$2.out"; echo "slurm bench: the $1 chain failed"; exit 1; }
	t1=$(now)
	echo "$t0 $t1" | awk '{ printf "%.1f", $2 - $1 }'
}
# warm-up: caches filled once (one package)
src/bsrun -q -r "$tmp/warm" rpmbuild "$tmp/srpms/bench-s1-1.0-1.src.rpm" >/dev/null 2>&1 </dev/null || true
# the sum of the builds' own times (bsrun inside the job) of a chain
buildtime() {
	python3 -c 'import json,sys
print(sum(p["seconds"] or 0 for p in json.load(open(sys.argv[1]))["packages"]))' "$1/chain.json"
}
lt=$(run local "$tmp/local")
st=$(run slurm "$tmp/slurm")
echo "$N $lt $(buildtime "$tmp/local") $st $(buildtime "$tmp/slurm")" | awk '{
	printf "chain of %d trivial packages in sequence: local %.1f s (%.1f s/job), slurm %.1f s (%.1f s/job)\n",
		$1, $2, $2 / $1, $4, $4 / $1
	printf "time outside the builds per job: local %.2f s, slurm %.2f s\n", ($2 - $3) / $1, ($4 - $5) / $1
	printf "Slurm overhead per job: %.2f s (outside the builds; wall difference %.1f s/job)\n",
		(($4 - $5) - ($2 - $3)) / $1, ($4 - $2) / $1 }'
