#!/bin/sh
# The whole benchmark suite, as `make bench` runs it after the release build:
# micro benchmarks, simulated sweeps (virtual time, exact for a seed), the
# path-condition matrix (tern-sim matrix), plots, the real-socket benchmarks
# when present, then a short table.
#
#   bench/run.sh                  # full run, about 10 minutes on 2 cores
#   BENCH_QUICK=1 bench/run.sh    # fewer points, shorter runs: about 1 minute
#
# Environment: BENCH_QUICK (0 or 1), BENCH_SEED (default 1), BENCH_OUT
# (default bench/results/latest), BENCH_BUILD (default build/release),
# BENCH_PLOTS (default docs/bench). Every step runs even if one before it
# failed; the exit status is 1 if any did. docs/benchmarks.md has the details.
set -eu
cd "$(dirname "$0")/.."

# Debian's python3: matplotlib comes from python3-matplotlib (tools/install-deps.sh).
PYTHON=/usr/bin/python3
OUT=${BENCH_OUT:-bench/results/latest}
BUILD=${BENCH_BUILD:-build/release}
PLOTS=${BENCH_PLOTS:-docs/bench}
SEED=${BENCH_SEED:-1}
case ${BENCH_QUICK:-0} in
  0 | "") quick="" ;;
  1) quick="--quick" ;;
  *) echo "bench: BENCH_QUICK must be 0 or 1, not '${BENCH_QUICK}'" >&2; exit 2 ;;
esac
case $SEED in
  '' | *[!0-9]*) echo "bench: BENCH_SEED must be a non-negative integer, not '$SEED'" >&2; exit 2 ;;
esac
[ -x "$PYTHON" ] || { echo "bench: $PYTHON not found (apt-get install python3)" >&2; exit 2; }

started=$(date +%s)
status=0
step() {
  echo "== $1"
  script=$1
  shift
  # shellcheck disable=SC2086 # $quick is empty or one flag
  "$PYTHON" "bench/suite/$script.py" --build "$BUILD" --out "$OUT" --seed "$SEED" $quick "$@" || status=1
}

mkdir -p "$OUT"
step micro
step simulated
step matrix
step plots --plots "$PLOTS"
step real_sockets
step table
wall=$(($(date +%s) - started))
echo "bench: wall time ${wall} s; results in $OUT, plots in $PLOTS"
echo "wall time ${wall} s" >>"$OUT/summary.txt"
exit $status
