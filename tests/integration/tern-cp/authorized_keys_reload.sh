#!/usr/bin/env bash
# serve re-reads its authorized_keys when the file changes (checked at
# each new handshake), so adding or revoking a client needs no restart:
#  1. a client whose key is not listed is refused;
#  2. its key appended to the file: the same running server lets it send;
#  3. a malformed line added: serve says so, naming the file and line,
#     and keeps the keys it had (the client still sends);
#  4. its line removed: it is refused again; the other client still sends;
#     the server never restarted.
# Usage: authorized_keys_reload.sh BIN_DIR
set -euo pipefail
bin=$1
. "$(dirname "$0")/scratch.sh"
tern_cp="$bin/tern-cp/tern-cp"
mkdir -p "$work/src" "$work/dst"
for f in a b c d; do seeded_bytes 50000 "$f" > "$work/src/$f"; done
newcomer="$work/newcomer_identity.pem"
newcomer_fp=$("$tern_cp" id --identity "$newcomer")
start_server "$work/dst" # authorized_keys lists this test's client only
send_as() { timeout 60 "$tern_cp" send --identity "$1" --fingerprint "$fp" 127.0.0.1 "$port" "$2"; }
refused() { grep -qF "the server refused this client's key $newcomer_fp" "$1"; }

# 1.
status=0
send_as "$newcomer" "$work/src/a" 2> "$work/1.err" || status=$?
[ "$status" -ne 0 ] && refused "$work/1.err" || { cat "$work/1.err"; echo "FAIL: an unlisted key was let in"; exit 1; }

# 2.
echo "$newcomer_fp newcomer" >> "$work/authorized_keys"
send_as "$newcomer" "$work/src/b" 2> "$work/2.err" ||
  { cat "$work/2.err" "$work/serve.err"; echo "FAIL: the key added while serving was refused"; exit 1; }
cmp "$work/src/b" "$work/dst/b"
grep -q "re-read $work/authorized_keys: 2 authorized key(s)" "$work/serve.err" ||
  { cat "$work/serve.err"; echo "FAIL: serve did not say it re-read the file"; exit 1; }

# 3.
echo "not-a-fingerprint typo" >> "$work/authorized_keys"
send_as "$newcomer" "$work/src/c" 2> "$work/3.err" ||
  { cat "$work/3.err" "$work/serve.err"; echo "FAIL: a bad line made serve drop the keys it had"; exit 1; }
grep -q "$work/authorized_keys:3: not a fingerprint.*keeping the 2 key(s) loaded before" "$work/serve.err" ||
  { cat "$work/serve.err"; echo "FAIL: the bad line is not reported clearly"; exit 1; }

# 4.
grep -v -e newcomer -e typo "$work/authorized_keys" > "$work/authorized_keys.new"
mv "$work/authorized_keys.new" "$work/authorized_keys"
status=0
send_as "$newcomer" "$work/src/d" 2> "$work/4.err" || status=$?
[ "$status" -ne 0 ] && refused "$work/4.err" || { cat "$work/4.err"; echo "FAIL: the revoked key was let in"; exit 1; }
[ ! -e "$work/dst/d" ] || { echo "FAIL: the revoked client wrote a file"; exit 1; }
# The same with --resume: it holds a ticket and pins the key, so its
# connection is handed over before the handshake (0-RTT); the refusal must
# still be reported as one, not as a failed connect.
status=0
timeout 60 "$tern_cp" send --identity "$newcomer" --fingerprint "$fp" --resume 127.0.0.1 "$port" "$work/src/d" \
  2> "$work/4r.err" || status=$?
[ "$status" -ne 0 ] && refused "$work/4r.err" ||
  { cat "$work/4r.err"; echo "FAIL: the revoked key, resuming early, was not refused as such"; exit 1; }
[ ! -e "$work/dst/d" ] || { echo "FAIL: the revoked client wrote a file"; exit 1; }
timeout 60 "$tern_cp" send --fingerprint "$fp" 127.0.0.1 "$port" "$work/src/d" 2> "$work/5.err" ||
  { cat "$work/5.err"; echo "FAIL: the client still listed was refused"; exit 1; }
kill -0 "$server_pid" || { echo "FAIL: the server is gone"; exit 1; }
echo "PASS: a key added while serving is let in, a bad line keeps the previous keys, a revoked key is refused, no restart"
