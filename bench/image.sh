#!/bin/sh
# Fresh root from a cached base image vs restoring the same tree from a gzip
# tar (issue 8). Needs root. BENCH_RUNS=N (default 50) fresh roots,
# BENCH_TAR_RUNS=N (default 3) tar restores, BENCH_TREE="dirs" the image.
set -eu
"${BUILD:-build/release}/bench/image-bench" "${BENCH_RUNS:-50}" "${BENCH_TAR_RUNS:-3}"
