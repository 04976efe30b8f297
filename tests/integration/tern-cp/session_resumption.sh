#!/usr/bin/env bash
# Session tickets, end to end: a first send to a server keeps its ticket
# next to known_hosts (directory 0700, file 0600) and does not resume; a
# second send to the same server resumes (--json session_resumed); a third,
# to a restarted server (another ticket key), falls back to a full
# handshake and still delivers. A resumed send that pins the key
# (--fingerprint) with --resume asks in 0-RTT (--json early_data_accepted),
# one with --no-early-data resumes without it.
# Usage: session_resumption.sh BIN_DIR
set -euo pipefail
bin=$1
. "$(dirname "$0")/scratch.sh"
mkdir -p "$work/dst"
seeded_bytes 20000 f > "$work/f"
send() { timeout 60 "$bin/tern-cp/tern-cp" --idle-timeout 5 send --json "$@" 127.0.0.1 "${to_port:-$port}" "$work/f"; }

start_server "$work/dst"
send > "$work/first.json" 2> "$work/first.err" || { cat "$work/first.err"; echo "FAIL: first send failed"; exit 1; }
grep -q '"session_resumed":false' "$work/first.json" || { cat "$work/first.json"; echo "FAIL: first send resumed"; exit 1; }
tickets="$work/tickets"
[ -d "$tickets" ] || { ls -la "$work"; echo "FAIL: no tickets directory next to known_hosts"; exit 1; }
[ "$(stat -c %a "$tickets")" = 700 ] || { echo "FAIL: tickets directory is not 0700"; exit 1; }
ticket=$(ls "$tickets")
[ "$(echo "$ticket" | wc -l)" -eq 1 ] || { echo "FAIL: expected one ticket file"; exit 1; }
[ "$(stat -c %a "$tickets/$ticket")" = 600 ] || { echo "FAIL: ticket file is not 0600"; exit 1; }
cmp "$work/f" "$work/dst/f"
rm "$work/dst/f"

send > "$work/second.json" 2> "$work/second.err" || { cat "$work/second.err"; echo "FAIL: second send failed"; exit 1; }
grep -q '"session_resumed":true' "$work/second.json" || { cat "$work/second.json"; echo "FAIL: second send did not resume"; exit 1; }
cmp "$work/f" "$work/dst/f"
rm "$work/dst/f"

# Pinned in the handshake, through a relay with 50 ms RTT (so the request
# is written long before the handshake could complete): a first send keeps
# a ticket for the relay's HOST:PORT; the next, with --resume, asks in the
# first flight, unless --no-early-data.
start_relay "$port" "delay 25ms" --seed 1
to_port=$relay_port send --fingerprint "$fp" > "$work/relay.json" 2> "$work/relay.err" ||
  { cat "$work/relay.err"; echo "FAIL: send through the relay failed"; exit 1; }
rm "$work/dst/f"
# The early send's key is recorded once its handshake completed: drop the
# record the first send made, and expect it back, with the server's key.
sed -i "/^127.0.0.1:$relay_port /d" "$TERN_KNOWN_HOSTS"
to_port=$relay_port send --fingerprint "$fp" --resume > "$work/early.json" 2> "$work/early.err" ||
  { cat "$work/early.err"; echo "FAIL: pinned resumed send failed"; exit 1; }
grep -q '"session_resumed":true' "$work/early.json" || { cat "$work/early.json"; echo "FAIL: pinned send did not resume"; exit 1; }
grep -q '"early_data_accepted":true' "$work/early.json" ||
  { cat "$work/early.json"; echo "FAIL: pinned --resume send sent nothing in 0-RTT"; exit 1; }
grep -qx "127.0.0.1:$relay_port $fp" "$TERN_KNOWN_HOSTS" ||
  { cat "$TERN_KNOWN_HOSTS"; echo "FAIL: the early send did not record the server's key"; exit 1; }
cmp "$work/f" "$work/dst/f"
rm "$work/dst/f"
to_port=$relay_port send --fingerprint "$fp" --resume --no-early-data > "$work/late.json" 2> "$work/late.err" ||
  { cat "$work/late.err"; echo "FAIL: --no-early-data send failed"; exit 1; }
grep -q '"session_resumed":true' "$work/late.json" || { cat "$work/late.json"; echo "FAIL: --no-early-data send did not resume"; exit 1; }
grep -q '"early_data_accepted":false' "$work/late.json" ||
  { cat "$work/late.json"; echo "FAIL: --no-early-data sent in 0-RTT"; exit 1; }
cmp "$work/f" "$work/dst/f"
rm "$work/dst/f"
kill "$relay_pid"; wait "$relay_pid" 2>/dev/null || true

# A restarted server: same identity and port, a new random ticket key.
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
start_server "$work/dst" --port "$port"
send > "$work/third.json" 2> "$work/third.err" || { cat "$work/third.err"; echo "FAIL: send to a restarted server failed"; exit 1; }
grep -q '"session_resumed":false' "$work/third.json" || { echo "FAIL: a ticket of the old key resumed"; exit 1; }
cmp "$work/f" "$work/dst/f"
echo "PASS: tickets kept 0600 next to known_hosts, resumed (0-RTT when pinned, not with --no-early-data), refused by a restarted server"
