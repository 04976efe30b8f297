#!/usr/bin/env bash
# Trust on first use and --insecure, end to end:
#  1. first contact without --fingerprint: succeeds, prints the key's
#     fingerprint (the one serve printed) and records it;
#  2. a server with another identity (another key, as after its owner
#     replaced the identity file) on the same port: refused loudly, nothing
#     sent;
#  3. the same with --insecure: succeeds with a warning, the record is kept.
# Usage: server_key_trust.sh BIN_DIR
set -euo pipefail
bin=$1
. "$(dirname "$0")/scratch.sh"
mkdir -p "$work/dst"
seeded_bytes 50000 f > "$work/f"
send() { timeout 60 "$bin/tern-cp/tern-cp" --idle-timeout 5 send "$@" 127.0.0.1 "$port" "$work/f"; }

start_serve "$work/dst"
first_fp=$fp
send 2> "$work/first.err" || { cat "$work/first.err"; echo "FAIL: first contact without --fingerprint failed"; exit 1; }
cat "$work/first.err"
grep -q "first contact.*$first_fp" "$work/first.err" || { echo "FAIL: the learnt fingerprint was not printed"; exit 1; }
grep -q "^127.0.0.1:$port $first_fp\$" "$work/known_hosts" || { echo "FAIL: fingerprint not recorded"; exit 1; }
cmp "$work/f" "$work/dst/f"
rm "$work/dst/f"

# Another server identity, hence another key, on the same address (once
# the one-shot first server has let go of it).
timeout 20 tail --pid="${pids[-1]}" -f /dev/null
server_identity="$work/second/server_identity.pem"
start_serve "$work/dst" --port "$port"
[ "$fp" != "$first_fp" ] || { echo "FAIL: the second server has the same key"; exit 1; }
status=0
send 2> "$work/changed.err" || status=$?
cat "$work/changed.err"
[ "$status" -ne 0 ] || { echo "FAIL: a changed key was accepted"; exit 1; }
grep -q "HAS CHANGED" "$work/changed.err" || { echo "FAIL: no loud warning about the changed key"; exit 1; }
grep -q "$fp" "$work/changed.err" || { echo "FAIL: the new fingerprint was not shown"; exit 1; }
[ ! -e "$work/dst/f" ] || { echo "FAIL: the file was sent to a server with a changed key"; exit 1; }

# The refused connection ended this one-shot server; a third, still another key.
timeout 20 tail --pid="${pids[-1]}" -f /dev/null
server_identity="$work/third/server_identity.pem"
start_serve "$work/dst" --port "$port"
send --insecure 2> "$work/insecure.err" || { cat "$work/insecure.err"; echo "FAIL: --insecure failed"; exit 1; }
cat "$work/insecure.err"
grep -q "WARNING: --insecure" "$work/insecure.err" || { echo "FAIL: --insecure did not warn"; exit 1; }
cmp "$work/f" "$work/dst/f"
[ "$(grep -c . "$work/known_hosts")" -eq 1 ] && grep -q "$first_fp" "$work/known_hosts" ||
  { echo "FAIL: --insecure changed the known-hosts file"; exit 1; }
echo "PASS: trust on first use, changed key refused, --insecure warns"
