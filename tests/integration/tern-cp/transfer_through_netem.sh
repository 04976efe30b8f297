#!/usr/bin/env bash
# End-to-end tern-cp test through tern-netem:
#   transfer_through_netem.sh BIN_DIR "NETEM SPEC" SIZE_BYTES [extra netem args...]
# Sends a directory (one SIZE file, small files, a nested dir) and fails
# unless tern-cp send exits 0 AND every file is byte-identical.
set -euo pipefail
bin=$1; spec=$2; size=$3; shift 3
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT INT TERM
. "$(dirname "$0")/../../../tools/tern-cp/launch.sh"

mkdir -p "$work/src/tree/nested" "$work/dst"
seeded_bytes "$size" big.bin > "$work/src/tree/big.bin"
for i in 1 2 3 4 5; do seeded_bytes $((i * 7919)) "f$i" > "$work/src/tree/nested/f$i"; done
: > "$work/src/tree/empty"

start_serve "$work/dst"
start_relay "$port" "$spec" --seed 7 "$@"

status=0
TERN_KNOWN_HOSTS="$work/known_hosts" timeout 120 "$bin/tern-cp/tern-cp" send --json --fingerprint "$fp" \
  127.0.0.1 "$relay_port" "$work/src/tree" > "$work/send.json" || status=$?
cat "$work/send.json"
if [ "$status" -ne 0 ]; then
  echo "FAIL: tern-cp send exited $status (spec: $spec)"; cat "$work/serve.err"; exit 1
fi
diff -r "$work/src/tree" "$work/dst/tree" || { echo "FAIL: files differ"; exit 1; }
if ls -aR "$work/dst" | grep -q tern-partial; then echo "FAIL: partial left"; exit 1; fi
# With --rebind-after: the relay must have rebound, and while the transfer
# was still running (it lasted longer than the rebinding delay).
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  if [ "${args[$i]}" = "--rebind-after" ]; then
    rebind_ms=${args[$((i + 1))]%ms}
    kill -TERM "$relay_pid"; wait "$relay_pid" 2>/dev/null || true
    grep -q "rebinds 1" "$work/netem.err" || { echo "FAIL: the relay did not rebind"; cat "$work/netem.err"; exit 1; }
    secs=$(sed -n 's/.*"seconds":\([0-9.]*\).*/\1/p' "$work/send.json")
    awk -v s="$secs" -v r="$rebind_ms" 'BEGIN { exit !(s * 1000 > r) }' ||
      { echo "FAIL: the transfer ($secs s) ended before the rebinding at ${rebind_ms} ms"; exit 1; }
  fi
done
echo "PASS: spec '$spec', $size bytes + 6 small files identical"
