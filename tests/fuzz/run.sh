#!/bin/sh
# Runs every libFuzzer target in BUILD_DIR/tests/fuzz for SECONDS each, on a
# scratch copy of its seed corpus (the committed corpus stays as it is).
# Exits non-zero if a target crashes, leaks or trips a sanitizer; the
# reproducer is kept in BUILD_DIR/fuzz-artifacts/.
set -eu
build_dir=${1:?usage: run.sh BUILD_DIR SECONDS}
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)

targets=$(find "$build_dir/tests/fuzz" -maxdepth 1 -type f -name '*_fuzz' -perm -u+x | sort)
if [ -z "$targets" ]; then
  echo "fuzz: no targets found in $build_dir/tests/fuzz" >&2
  exit 1
fi

artifacts="$build_dir/fuzz-artifacts"
mkdir -p "$artifacts"
for target in $targets; do
  name=$(basename "$target" _fuzz)
  work="$build_dir/fuzz-corpus/$name"
  rm -rf "$work"
  mkdir -p "$work"
  if [ -d "$here/corpus/$name" ]; then
    cp -r "$here/corpus/$name/." "$work/"
  fi
  echo "fuzz: $name for ${seconds}s ($(ls "$work" | wc -l) seeds)"
  "$target" -max_total_time="$seconds" -print_final_stats=1 \
    -artifact_prefix="$artifacts/$name-" "$work"
done
