#!/bin/sh
# A long local session of one fuzz target, as the closing notes report them:
#
#   tests/fuzz/long_run.sh BUILD_DIR TARGET RUNS [WORKERS] [WORK_DIR]
#
# RUNS executions in all, split over WORKERS processes (1 by default)
# sharing one corpus, started from a scratch copy of the committed seeds in
# WORK_DIR (/tmp/tern-fuzz-TARGET by default; the repository's corpus stays
# as it is). The target binary is copied there first, so rebuilding the tree
# does not change a session under way. Build with the fuzz-fast preset (no
# ASan: several times the inputs per second) for 10^7 executions; the fuzz
# preset's ASan build finds more per input. Prints the executions of each
# worker and their sum at the end; a reproducer lands in WORK_DIR as
# crash-*, leak-*, timeout-* or oom-*. Meant to run under nohup and nice.
set -eu
usage="usage: long_run.sh BUILD_DIR TARGET RUNS [WORKERS] [WORK_DIR]"
build_dir=${1:?$usage}
target=${2:?$usage}
runs=${3:?$usage}
workers=${4:-1}
work=${5:-/tmp/tern-fuzz-$target}
here=$(cd "$(dirname "$0")" && pwd)

binary="$build_dir/tests/fuzz/${target}_fuzz"
[ -x "$binary" ] || { echo "long_run: no $binary" >&2; exit 1; }
mkdir -p "$work/corpus"
cp "$binary" "$work/${target}_fuzz"
# -L: connection_handshake's corpus is a link to connection's.
[ -d "$here/corpus/$target" ] && cp -rL "$here/corpus/$target/." "$work/corpus/"
cd "$work"

# -entropic=0: libFuzzer's entropic scheduling costs the connection targets
# more than half their time early in a session. -reload=30: each worker
# rereads the shared corpus directory (thousands of files) every second by
# default, 6% of a connection_fuzz worker's time.
options="-entropic=0 -max_len=1024 -reload=30 -print_final_stats=1 -artifact_prefix=$work/"
echo "long_run: $target, $runs runs over $workers worker(s) in $work, $(date -u)"
if [ "$workers" -eq 1 ]; then
  "./${target}_fuzz" $options -runs="$runs" corpus >fuzz-0.log 2>&1 || status=$?
else
  per_worker=$(( (runs + workers - 1) / workers ))
  "./${target}_fuzz" $options -runs="$per_worker" -jobs="$workers" -workers="$workers" corpus || status=$?
fi
echo "long_run: ended $(date -u), exit status ${status:-0}"
total=0
for log in fuzz-*.log; do
  done_line=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
  executed=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  echo "$log: $done_line"
  grep -E 'ERROR|SUMMARY|stat::' "$log" || true
  total=$((total + executed))
done
echo "long_run: $total executions in all"
exit "${status:-0}"
