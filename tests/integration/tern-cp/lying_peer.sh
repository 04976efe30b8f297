#!/usr/bin/env bash
# A lying sender (lying_sender.cpp: MODE short, long, hash, offset, reserved
# or escape) against `tern-cp serve --once`: the receiver must answer ERR
# with the reason, present no file as complete, leave nothing in DIR (no
# partial, no partial folder), print the sender's path only escaped (no
# control character reaches its log) and exit non-zero. The liar presents
# the client identity start_serve put in authorized_keys: an authorized
# client is checked as strictly as anyone.
# Usage: lying_peer.sh BIN_DIR LYING_SENDER MODE EXPECTED_REASON
set -euo pipefail
bin=$1; liar=$2; mode=$3; reason=$4
. "$(dirname "$0")/scratch.sh"
mkdir -p "$work/dst"
start_serve "$work/dst"
timeout 30 "$liar" 127.0.0.1 "$port" "$fp" "$mode" > "$work/liar.out" ||
  { echo "FAIL: the lying sender got no result line"; cat "$work/serve.err"; exit 1; }
cat "$work/liar.out"
grep -q "^ERR .*$reason" "$work/liar.out" || { echo "FAIL: expected ERR ... $reason"; exit 1; }
status=0
timeout 30 tail --pid="$server_pid" -f /dev/null
wait "$server_pid" || status=$?
cat "$work/serve.err"
[ "$status" -ne 0 ] || { echo "FAIL: serve --once exited 0 after refusing a file"; exit 1; }
grep -q "refused [^:]*: .*$reason" "$work/serve.err" || { echo "FAIL: serve did not say why it refused"; exit 1; }
! LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' < "$work/serve.err") ||
  { echo "FAIL: a control character from the peer reached serve's log"; exit 1; }
[ -z "$(ls -A "$work/dst")" ] || { echo "FAIL: something was left in DIR:"; ls -la "$work/dst"; exit 1; }
echo "PASS: lying sender ($mode) refused: $reason"
