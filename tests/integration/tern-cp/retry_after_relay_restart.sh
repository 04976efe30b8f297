#!/usr/bin/env bash
# send --retries within one run: the tern-netem relay is killed in the
# middle of a transfer; the sender must notice, announce a retry, reconnect
# once the relay is back (same port) and resume from the receiver's kept
# prefix, all in the same command, which then succeeds byte-identical.
# The retry resumes the session with 0-RTT: its resume requests go in the
# first flight (--json early_data_accepted).
# Usage: retry_after_relay_restart.sh BIN_DIR
set -euo pipefail
bin=$1
. "$(dirname "$0")/scratch.sh"
. "$(dirname "$0")/relay_cut.sh"

start_server "$work/dst" --idle-timeout 2
start_relay "$port" "$spec" --seed 7
# Trust on first use: the retry must pin the key the first connection saw.
timeout 90 "$bin/tern-cp/tern-cp" send --idle-timeout 2 --retries 3 --json \
  127.0.0.1 "$relay_port" "$work/src/big.bin" > "$work/send.json" 2> "$work/send.err" &
sender=$!
pids+=($sender)
kill_relay_mid_transfer "$work/send.err"

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
no_partial_left || { echo "FAIL: partial left after completion"; exit 1; }
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$work/send.json"; }
attempts=$(field attempts); resumed=$(field resumed_bytes); sent=$(field bytes)
[ "$attempts" -ge 2 ] || { echo "FAIL: $attempts connection(s), expected a reconnection"; exit 1; }
[ "$resumed" -gt 0 ] || { echo "FAIL: the retry resent the whole file"; exit 1; }
[ "$sent" -eq $((size - resumed)) ] || { echo "FAIL: sent $sent bytes after resuming at $resumed of $size"; exit 1; }
grep -q '"session_resumed":true' "$work/send.json" || { echo "FAIL: the retry did not resume the session"; exit 1; }
grep -q '"early_data_accepted":true' "$work/send.json" || { echo "FAIL: the retry sent nothing in 0-RTT"; exit 1; }
echo "PASS: $attempts connections; the retry resumed at $resumed of $size bytes (0-RTT) and sent the other $sent"
