#!/bin/sh
# Context create + exec /bin/true + teardown vs bwrap (issue 4). Needs root.
set -eu
"${BUILD:-build/release}/bench/ctx-bench" "${BENCH_RUNS:-50}"
