#!/usr/bin/env bash
# send --retries within one run: the tern-netem relay is killed in the
# middle of a transfer; the sender must notice, announce a retry, reconnect
# once the relay is back (same port) and resume from the receiver's kept
# prefix, all in the same command, which then succeeds byte-identical.
# Usage: retry_after_relay_restart.sh BIN_DIR
set -euo pipefail
bin=$1
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT INT TERM
. "$(dirname "$0")/../../../tools/tern-cp/launch.sh"
export TERN_KNOWN_HOSTS="$work/known_hosts"
size=8000000
spec="delay 10ms rate 20mbit" # about 3.5 s for the file: time to cut it
mkdir -p "$work/src" "$work/dst"
head -c "$size" /dev/urandom > "$work/src/big.bin"
partial="$work/dst/.tern-partial-big.bin"
partial_size() { stat -c %s "$partial" 2>/dev/null || echo 0; }

start_server "$work/dst" --idle-timeout 2
start_relay "$port" "$spec" --seed 7
# Trust on first use: the retry must pin the key the first connection saw.
timeout 90 "$bin/tern-cp/tern-cp" send --idle-timeout 2 --retries 3 --json \
  127.0.0.1 "$relay_port" "$work/src/big.bin" > "$work/send.json" 2> "$work/send.err" &
sender=$!
pids+=($sender)
for _ in $(seq 300); do [ "$(partial_size)" -ge 1000000 ] && break; sleep 0.05; done
[ "$(partial_size)" -ge 1000000 ] || { echo "FAIL: the transfer never got going"; cat "$work/send.err"; exit 1; }
kill -KILL "$relay_pid"; wait "$relay_pid" 2>/dev/null || true

# The sender gives the lost connection up after its 2 s idle timeout, then
# says it retries; only then does the relay come back.
for _ in $(seq 400); do grep -q "retry 1 of 3" "$work/send.err" && break; sleep 0.05; done
grep -q "retry 1 of 3" "$work/send.err" || { echo "FAIL: no retry announced"; cat "$work/send.err"; exit 1; }
relay_listen=127.0.0.1:$relay_port start_relay "$port" "$spec" --seed 8

status=0
wait "$sender" || status=$?
cat "$work/send.err" "$work/send.json"
[ "$status" -eq 0 ] || { echo "FAIL: send --retries exited $status"; cat "$work/serve.err"; exit 1; }
cmp "$work/src/big.bin" "$work/dst/big.bin" || { echo "FAIL: the file differs"; exit 1; }
[ ! -e "$partial" ] || { echo "FAIL: partial left after completion"; exit 1; }
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$work/send.json"; }
attempts=$(field attempts); resumed=$(field resumed_bytes); sent=$(field bytes)
[ "$attempts" -ge 2 ] || { echo "FAIL: $attempts connection(s), expected a reconnection"; exit 1; }
[ "$resumed" -gt 0 ] || { echo "FAIL: the retry resent the whole file"; exit 1; }
[ "$sent" -eq $((size - resumed)) ] || { echo "FAIL: sent $sent bytes after resuming at $resumed of $size"; exit 1; }
echo "PASS: $attempts connections; the retry resumed at $resumed of $size bytes and sent the other $sent"
