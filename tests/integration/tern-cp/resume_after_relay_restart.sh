#!/usr/bin/env bash
# --resume across a relay restart: the tern-netem relay is killed in the
# middle of a transfer; the sender must fail loudly and the receiver keep
# the verified prefix; after the relay restarts (same port), `send
# --resume` must complete sending only what was missing, byte-identical.
# Usage: resume_after_relay_restart.sh BIN_DIR
set -euo pipefail
bin=$1
. "$(dirname "$0")/scratch.sh"
. "$(dirname "$0")/relay_cut.sh"
send() { timeout 60 "$bin/tern-cp/tern-cp" send --idle-timeout 2 --json --fingerprint "$fp" "$@" \
  127.0.0.1 "$relay_port" "$work/src/big.bin"; }

start_server "$work/dst" --idle-timeout 2
start_relay "$port" "$spec" --seed 7
send > "$work/first.json" 2> "$work/first.err" &
sender=$!
pids+=($sender)
kill_relay_mid_transfer "$work/first.err"
status=0
wait "$sender" || status=$?
cat "$work/first.err"
[ "$status" -ne 0 ] || { echo "FAIL: the sender did not notice the relay died"; exit 1; }
grep -q "FAILED big.bin" "$work/first.err" || { echo "FAIL: the sender's failure does not name the file"; exit 1; }

wait_for_line "$work/serve.err" "refused big.bin: interrupted" || exit 1
cat "$work/serve.err"
kept=$(partial_size)
[ "$kept" -gt 0 ] && [ "$kept" -lt "$size" ] || { echo "FAIL: receiver kept $kept bytes"; exit 1; }
cmp -n "$kept" "$work/src/big.bin" "$(partial_path)" || { echo "FAIL: the kept partial is not a prefix"; exit 1; }
[ ! -e "$work/dst/big.bin" ] || { echo "FAIL: an incomplete file is presented as complete"; exit 1; }

relay_listen=127.0.0.1:$relay_port start_relay "$port" "$spec" --seed 8
send --resume > "$work/second.json" 2> "$work/second.err" ||
  { cat "$work/second.err"; echo "FAIL: send --resume failed"; exit 1; }
cat "$work/second.json"
cmp "$work/src/big.bin" "$work/dst/big.bin" || { echo "FAIL: resumed file differs"; exit 1; }
no_partial_left || { echo "FAIL: partial left after completion"; exit 1; }
resumed=$(sed -n 's/.*"resumed_bytes":\([0-9]*\).*/\1/p' "$work/second.json")
sent=$(sed -n 's/.*"bytes":\([0-9]*\).*/\1/p' "$work/second.json")
[ "$resumed" = "$kept" ] || { echo "FAIL: resumed from $resumed, the receiver kept $kept"; exit 1; }
[ "$sent" -eq $((size - kept)) ] || { echo "FAIL: sent $sent bytes the second time, expected $((size - kept))"; exit 1; }
echo "PASS: relay killed after $kept of $size bytes; --resume sent the other $sent"
