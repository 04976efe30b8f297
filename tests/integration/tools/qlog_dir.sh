#!/bin/sh
# qlog_dir.sh TERN_SIM
# `tern-sim --mode connection --qlog DIR` creates DIR (and its parents) when
# missing and writes both connections' traces into it, as README and
# docs/observability.md show it used. Prints "FAIL: ..." and exits 1 otherwise.
set -u
sim=$1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
dir=$scratch/not/yet/there
"$sim" --mode connection --link "rate 20mbit delay 10ms" --bytes 200k --qlog "$dir" >"$scratch/out" 2>"$scratch/err"
rc=$?
if [ "$rc" -ne 0 ]; then
  echo "FAIL: tern-sim exited $rc"
  cat "$scratch/err"
  exit 1
fi
[ -d "$dir" ] || { echo "FAIL: $dir was not created"; exit 1; }
traces=$(find "$dir" -type f -name '*qlog*' | wc -l)
if [ "$traces" -lt 2 ]; then
  echo "FAIL: $traces qlog files in $dir, expected one per side"
  ls -la "$dir"
  exit 1
fi
echo "ok: $traces traces in a directory tern-sim created"
