#!/usr/bin/env bash
# Streams that send a header and then nothing (lying_sender headers) must
# not exhaust the receiver's descriptors: under a small RLIMIT_NOFILE (soft
# = hard, so serve cannot raise it) the receiver announces its bounds; a
# client key gets at most its per-client share, over two connections (the
# streams beyond are refused at once with "ERR limit: ..."), the silent ones are cut off after
# --stream-timeout with their descriptors closed, a legitimate file from
# another client (its own key) still arrives meanwhile, and nothing is left in DIR but
# that file. Counts only: no timing is asserted beyond generous bounds.
# Usage: stream_limits.sh BIN_DIR LYING_SENDER
set -euo pipefail
bin=$1; liar=$2
. "$(dirname "$0")/scratch.sh"
mkdir -p "$work/dst" "$work/src"
echo "legitimate" > "$work/src/legit"
# The legitimate client has its own key; the liar uses the default one.
legit_fp=$("$bin/tern-cp/tern-cp" id --identity "$work/legit_identity.pem")
authorize_client
echo "$legit_fp legitimate-client" >> "$work/authorized_keys"
ulimit -n 128
start_server "$work/dst" --stream-timeout 4
bounds=$(grep "files in transfer" "$work/serve.err") || { echo "FAIL: serve did not announce its bounds"; exit 1; }
echo "$bounds"
per_conn=$(sed -n 's/.*files in transfer, \([0-9]*\) per client key.*/\1/p' <<< "$bounds")
total=$(sed -n 's/.*at most \([0-9]*\) files in transfer.*/\1/p' <<< "$bounds")
[ "$per_conn" -ge 1 ] && [ "$total" -gt "$per_conn" ] || { echo "FAIL: bounds $per_conn/$total"; exit 1; }
[ $((total * 3)) -lt 128 ] || { echo "FAIL: the total ($total files) leaves no headroom in 128 descriptors"; exit 1; }
fds() { ls "/proc/$server_pid/fd" | wc -l; }
baseline=$(fds)

# One key, two connections: the second may not add to the first's share.
extra=3
first=$(( (per_conn + 1) / 2 ))
second=$((per_conn - first + extra))
timeout 60 "$liar" 127.0.0.1 "$port" "$fp" headers "$first" > "$work/liar.out" 2> "$work/liar.err" &
liar_pid=$!
pids+=($liar_pid)
wait_for_line "$work/liar.err" "headers sent"
timeout 60 "$liar" 127.0.0.1 "$port" "$fp" headers "$second" > "$work/liar2.out" 2> "$work/liar2.err" &
liar2_pid=$!
pids+=($liar2_pid)
for _ in $(seq 200); do [ "$(grep -c 'limit:' "$work/serve.err")" -ge "$extra" ] && break; sleep 0.05; done
held=$(fds)
echo "descriptors: $baseline at rest, $held with $per_conn silent streams held"
[ "$held" -le $((baseline + per_conn * 3)) ] ||
  { echo "FAIL: $held descriptors open, more than $baseline + 3 per held stream"; exit 1; }

# Meanwhile a legitimate client still gets its file in.
timeout 60 "$bin/tern-cp/tern-cp" send --identity "$work/legit_identity.pem" --fingerprint "$fp" 127.0.0.1 "$port" "$work/src/legit" 2> "$work/send.err" ||
  { cat "$work/send.err" "$work/serve.err"; echo "FAIL: a legitimate file was refused while silent streams were held"; exit 1; }

wait "$liar_pid" || { cat "$work/liar.err"; echo "FAIL: the liar did not get a result line for every stream"; exit 1; }
wait "$liar2_pid" || { cat "$work/liar2.err"; echo "FAIL: the liar's second connection did not get a result line for every stream"; exit 1; }
cat "$work/liar.out" "$work/liar2.out" > "$work/liars.out"
cat "$work/liars.out"
limited=$(grep -c '^ERR limit: .*per-client' "$work/liars.out" || true)
timed_out=$(grep -c '^ERR nothing received for 4 s' "$work/liars.out" || true)
[ "$limited" -eq "$extra" ] || { echo "FAIL: $limited streams refused by the limit, expected $extra"; exit 1; }
[ "$timed_out" -eq "$per_conn" ] || { echo "FAIL: $timed_out streams cut off by the timeout, expected $per_conn"; exit 1; }
for _ in $(seq 100); do [ "$(fds)" -le "$baseline" ] && break; sleep 0.05; done
[ "$(fds)" -le "$baseline" ] || { echo "FAIL: $(fds) descriptors open after the streams ended, $baseline at rest"; exit 1; }
left=$(cd "$work/dst" && ls -A | grep -vx .tern-placed || true) # the legitimate file's placement record
[ "$left" = "legit" ] || { echo "FAIL: DIR holds more than the legitimate file:"; ls -laR "$work/dst"; exit 1; }
cmp "$work/src/legit" "$work/dst/legit" || { echo "FAIL: the legitimate file differs"; exit 1; }
echo "PASS: $per_conn silent streams of one key over two connections held and cut off, $extra refused at the limit, a legitimate file arrived, nothing left behind"
