#!/usr/bin/env bash
# serve logs each client its handshake refused, with the client's address
# and key (escaped), and rate-limits those lines (--refusal-lines per
# second, the rest summed up in one line per second), so a flood of
# refused handshakes cannot fill the log:
#  1. an unlisted key: one line naming the address and the key;
#  2. a client presenting no certificate (lying_sender anonymous): one line;
#  3. a burst of 40 refused handshakes under --refusal-lines 3: every
#     refusal is accounted for (a line or a summary count), and the lines
#     one by one stay within 3 per second of the burst's duration.
# Usage: refused_clients_log.sh BIN_DIR LYING_SENDER
set -euo pipefail
bin=$1; liar=$2
. "$(dirname "$0")/scratch.sh"
tern_cp="$bin/tern-cp/tern-cp"
mkdir -p "$work/dst"
seeded_bytes 1000 f > "$work/f"
stranger="$work/stranger_identity.pem"
stranger_fp=$("$tern_cp" id --identity "$stranger")
start_server "$work/dst" --refusal-lines 3
refuse_one() { ! timeout 60 "$tern_cp" send --identity "$stranger" --fingerprint "$fp" 127.0.0.1 "$port" "$work/f" 2>/dev/null; }
singles() { grep -c "refused client 127\.0\.0\.1:[0-9]*: " "$work/serve.err" || true; }
summed() { sed -n 's/^tern-cp: \([0-9]*\) more client(s) refused.*/\1/p' "$work/serve.err" | awk '{s += $1} END {print s + 0}'; }

# 1.
refuse_one || { echo "FAIL: the stranger was let in"; exit 1; }
wait_for_line "$work/serve.err" "refused client 127\.0\.0\.1:[0-9]*: key $stranger_fp is not in authorized_keys" ||
  { cat "$work/serve.err"; exit 1; }

# 2.
! timeout 30 "$liar" 127.0.0.1 "$port" "$fp" anonymous > /dev/null 2> "$work/anonymous.err" ||
  { echo "FAIL: a client without a certificate was let in"; exit 1; }
wait_for_line "$work/serve.err" "refused client 127\.0\.0\.1:[0-9]*: it presented no key" || { cat "$work/serve.err"; exit 1; }

# 3.
before=$(singles)
burst=40
start=$(date +%s%N)
seq "$burst" | xargs -P 20 -I{} sh -c '! timeout 60 "$0" send --identity "$1" --fingerprint "$2" 127.0.0.1 "$3" "$4" 2>/dev/null' \
  "$tern_cp" "$stranger" "$fp" "$port" "$work/f" || { echo "FAIL: a stranger's send succeeded"; exit 1; }
# Every refusal shows up, one by one or in a summary (due at the end of
# its second).
for _ in $(seq 100); do [ $(( $(singles) - before + $(summed) )) -ge "$burst" ] && break; sleep 0.1; done
end=$(date +%s%N)
one_by_one=$(( $(singles) - before )); summarized=$(summed)
echo "burst of $burst refusals in $(( (end - start) / 1000000 )) ms: $one_by_one lines one by one, $summarized summed up"
grep "more client(s) refused" "$work/serve.err" || true
[ $((one_by_one + summarized)) -eq "$burst" ] ||
  { cat "$work/serve.err"; echo "FAIL: $one_by_one + $summarized refusals logged, $burst made"; exit 1; }
seconds=$(( (end - start) / 1000000000 + 2 ))
[ "$one_by_one" -le $((3 * seconds)) ] ||
  { echo "FAIL: $one_by_one lines one by one in at most $seconds windows of 3 lines"; exit 1; }
[ "$summarized" -gt 0 ] || { echo "FAIL: the burst was not rate-limited"; exit 1; }
kill -0 "$server_pid" || { echo "FAIL: the server is gone"; exit 1; }
echo "PASS: refusals logged with address and key, a burst rate-limited with its remainder summed up"
