#!/bin/sh
# Runs every libFuzzer target in BUILD_DIR/tests/fuzz for SECONDS each, on a
# scratch copy of its seed corpus (the committed corpus stays as it is), as
# many at a time as there are cores. Exits non-zero if any target crashes,
# leaks or trips a sanitizer; the reproducer is kept in
# BUILD_DIR/fuzz-artifacts/ and the target's log in BUILD_DIR/fuzz-logs/.
set -eu
build_dir=${1:?usage: run.sh BUILD_DIR SECONDS}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)
jobs=$(nproc 2>/dev/null || echo 1)

targets=$(find "$build_dir/tests/fuzz" -maxdepth 1 -type f -name '*_fuzz' -perm -u+x | sort)
if [ -z "$targets" ]; then
  echo "fuzz: no targets found in $build_dir/tests/fuzz" >&2
  exit 1
fi

artifacts="$build_dir/fuzz-artifacts"
logs="$build_dir/fuzz-logs"
mkdir -p "$artifacts" "$logs"

run_one() {
  target=$1
  name=$(basename "$target" _fuzz)
  work="$build_dir/fuzz-corpus/$name"
  rm -rf "$work"
  mkdir -p "$work"
  if [ -d "$here/corpus/$name" ]; then
    cp -r "$here/corpus/$name/." "$work/"
  fi
  "$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name-" "$work" >"$logs/$name.log" 2>&1
}

failed=0
set -- $targets
while [ $# -gt 0 ]; do
  pids=""
  batch=""
  i=0
  while [ $# -gt 0 ] && [ $i -lt "$jobs" ]; do
    echo "fuzz: $(basename "$1") for ${seconds}s"
    run_one "$1" &
    pids="$pids $!"
    batch="$batch $1"
    i=$((i + 1))
    shift
  done
  for pid in $pids; do
    if ! wait "$pid"; then failed=1; fi
  done
  for target in $batch; do
    name=$(basename "$target" _fuzz)
    runs=$(grep -o 'Done [0-9]* runs' "$logs/$name.log" | tail -1 || true)
    if grep -q -E 'ERROR: (libFuzzer|AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer)|SUMMARY: ' "$logs/$name.log"; then
      echo "fuzz: $name FAILED; log follows" >&2
      tail -40 "$logs/$name.log" >&2
      failed=1
    else
      echo "fuzz: $name clean (${runs:-no run count})"
    fi
  done
done
exit $failed
