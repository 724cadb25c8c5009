#!/bin/sh
# Solve a BuildRequires set against a generated 60,000-package rpm-md
# repository: bsrun (bench/solve-bench: load from the .solv cache + libsolv
# solve) beside `dnf --installroot ... --assumeno install` on the same
# repository, both warm (their caches filled by a first run), both timed as
# whole commands, alternating. Prints both medians with every run, the package
# counts (they must agree) and the ratio dnf / bsrun.
# BENCH_RUNS=N (default 5); BENCH_DATA=DIR keeps the repository and caches
# between runs (default build/bench-data/solve).
set -eu
RUNS=${BENCH_RUNS:-5}
DATA=${BENCH_DATA:-build/bench-data/solve}
BENCH=${BUILD:-build/release}/bench/solve-bench
command -v dnf >/dev/null || { echo "solve.sh: dnf not installed (tools/install-deps --bench)"; exit 0; }
mkdir -p "$DATA"
DATA=$(cd "$DATA" && pwd)
[ -f "$DATA/repo/repodata/repomd.xml" ] || python3 bench/genrepo.py "$DATA/repo" 60000
mkdir -p "$DATA/bsrun-cache" "$DATA/dnf-root" "$DATA/dnf-cache" "$DATA/empty-reposdir"

set -- "pkg59800-devel" "pkg56000 >= 1.0" /usr/bin/pkg57777 /usr/include/pkg59999/pkg59999.h \
	"pkgconfig(pkg55555)" "libpkg54321.so.1()(64bit)" pkg53333 pkg52222 pkg51111 pkg50000-devel \
	pkg49999 pkg45000 pkg40000-devel pkg35000 pkg59600-devel pkg59400-devel pkg59000-devel \
	pkg58800-devel pkg58000 pkg57000

dnf_run() {
	dnf "$@" --installroot="$DATA/dnf-root" --releasever=1 --setopt=reposdir="$DATA/empty-reposdir" \
		--setopt=cachedir="$DATA/dnf-cache" --setopt=gpgcheck=0 --setopt=install_weak_deps=0 \
		--repofrompath=big,"file://$DATA/repo" --repo=big
}
now_ms() { date +%s%3N; }

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p"; }

dnf_run -q makecache >/dev/null 2>&1
dnf_count=$(dnf_run -C --assumeno install "$@" 2>&1 | sed -n 's/^Install *\([0-9]*\) Package.*/\1/p')
"$BENCH" "file://$DATA/repo" "$DATA/bsrun-cache" 1 "$@" >/dev/null   # bsrun's .solv cache
# alternating: dnf, then bsrun as a whole command (process start, repository
# load from the cache, file provides, solve, the answer), each RUNS times
dnf_times="" bs_times="" bs_count=""
i=0
while [ "$i" -lt "$RUNS" ]; do
	t0=$(now_ms)
	dnf_run -q -C --assumeno install "$@" >/dev/null 2>&1 || true   # --assumeno exits 1
	dnf_times="$dnf_times $(( $(now_ms) - t0 ))"
	t0=$(now_ms)
	out=$(SOLVE_BENCH_COLD_PROCESS=1 "$BENCH" "file://$DATA/repo" "$DATA/bsrun-cache" 1 "$@")
	bs_times="$bs_times $(( $(now_ms) - t0 ))"
	bs_count=${out#* }
	i=$((i + 1))
done
dnf_ms=$(echo $dnf_times | median)
bs_ms=$(echo $bs_times | median)
# in-process (load + solve only, no process start), for reference
inproc=$("$BENCH" "file://$DATA/repo" "$DATA/bsrun-cache" "$RUNS" "$@")
echo "solve: 20 BuildRequires, 60300 packages, warm, median of $RUNS (alternating)"
echo "  bsrun: ${bs_ms} ms ($bs_count packages; runs:$bs_times; in-process load + solve ${inproc% *} ms)"
echo "  dnf:   ${dnf_ms} ms (${dnf_count:-?} packages; runs:$dnf_times)"
awk -v d="$dnf_ms" -v b="$bs_ms" 'BEGIN { printf "  ratio dnf/bsrun: %.1fx (target >= 3x)\n", d / b }'
[ "$bs_count" = "${dnf_count:-}" ] || echo "  WARNING: the package counts differ"
