#!/usr/bin/env bash
# Only clients listed in the server's authorized_keys may send:
#  1. serve without an authorized-keys file (and without
#     --accept-any-client) refuses to start, saying what to do; a malformed
#     line is refused naming the file and line;
#  2. an authorized client (its fingerprint, from `tern-cp id`, in the
#     file) transfers a file intact;
#  3. a client with another key is refused in the handshake: it exits
#     non-zero saying the server refused its key (named), nothing is
#     written in DIR, and the server keeps serving;
#  4. serve --accept-any-client lets that client in, with a warning.
# Usage: client_authorization.sh BIN_DIR
set -euo pipefail
bin=$1
. "$(dirname "$0")/scratch.sh"
mkdir -p "$work/dst"
seeded_bytes 200000 f > "$work/f"
tern_cp="$bin/tern-cp/tern-cp"

# 1. No authorized-keys file: refused, with the way out.
status=0
timeout 20 "$tern_cp" serve --bind 127.0.0.1 --identity "$server_identity" \
  --authorized-keys "$work/authorized_keys" "$work/dst" > "$work/no-keys.out" 2> "$work/no-keys.err" || status=$?
cat "$work/no-keys.err"
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || { echo "FAIL: serve started without authorized_keys"; exit 1; }
grep -q "no authorized-keys file $work/authorized_keys" "$work/no-keys.err" &&
  grep -q "tern-cp id" "$work/no-keys.err" && grep -q -- "--accept-any-client" "$work/no-keys.err" ||
  { echo "FAIL: the refusal does not say what to do"; exit 1; }
# A malformed line: refused, naming the file and line.
printf '# clients\n\nnot-a-fingerprint laptop\n' > "$work/bad_keys"
status=0
timeout 20 "$tern_cp" serve --bind 127.0.0.1 --identity "$server_identity" \
  --authorized-keys "$work/bad_keys" "$work/dst" > /dev/null 2> "$work/bad-keys.err" || status=$?
cat "$work/bad-keys.err"
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || { echo "FAIL: serve accepted a malformed authorized_keys"; exit 1; }
grep -q "$work/bad_keys:3:" "$work/bad-keys.err" || { echo "FAIL: the bad line is not named"; exit 1; }

# 2. The authorized client (start_server lists it).
start_server "$work/dst"
client_fp=$("$tern_cp" id)
grep -q "^$client_fp test-client\$" "$work/authorized_keys" || { echo "FAIL: the client is not listed"; exit 1; }
# HOST given as a name: resolved, and recorded in known_hosts as typed.
timeout 60 "$tern_cp" send --fingerprint "$fp" localhost "$port" "$work/f" 2> "$work/ok.err" ||
  { cat "$work/ok.err" "$work/serve.err"; echo "FAIL: the authorized client could not send"; exit 1; }
cmp "$work/f" "$work/dst/f" || { echo "FAIL: the file arrived damaged"; exit 1; }
grep -q "^localhost:$port " "$TERN_KNOWN_HOSTS" || { cat "$TERN_KNOWN_HOSTS"; echo "FAIL: known_hosts lacks localhost:$port"; exit 1; }
rm "$work/dst/f"

# 3. Another key, same server: refused in the handshake.
stranger="$work/stranger_identity.pem"
stranger_fp=$("$tern_cp" id --identity "$stranger")
[ "$stranger_fp" != "$client_fp" ] || { echo "FAIL: the stranger has the client's key"; exit 1; }
status=0
timeout 60 "$tern_cp" send --identity "$stranger" --fingerprint "$fp" 127.0.0.1 "$port" "$work/f" \
  2> "$work/refused.err" || status=$?
cat "$work/refused.err"
[ "$status" -ne 0 ] && [ "$status" -ne 124 ] || { echo "FAIL: the unauthorized client exited $status"; exit 1; }
grep -qF "the server refused this client's key $stranger_fp; ask its owner to add it to authorized_keys" \
  "$work/refused.err" || { echo "FAIL: no clear refusal naming the client's key"; exit 1; }
# (.tern-placed: the receiver's record of step 2's file, placement_record.hpp)
[ -z "$(ls -A "$work/dst" | grep -vx .tern-placed)" ] || { echo "FAIL: the unauthorized client wrote into DIR:"; ls -la "$work/dst"; exit 1; }
kill -0 "$server_pid" || { echo "FAIL: the refused handshake ended the server"; exit 1; }
timeout 60 "$tern_cp" send --fingerprint "$fp" 127.0.0.1 "$port" "$work/f" 2> "$work/again.err" ||
  { cat "$work/again.err"; echo "FAIL: the authorized client was refused after the stranger"; exit 1; }
kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
rm "$work/dst/f"

# 4. --accept-any-client: the stranger gets in, and the server warns.
serve_auth=(--accept-any-client)
start_serve "$work/dst"
grep -q "WARNING: --accept-any-client" "$work/serve.err" || { echo "FAIL: --accept-any-client did not warn"; exit 1; }
timeout 60 "$tern_cp" send --identity "$stranger" --fingerprint "$fp" 127.0.0.1 "$port" "$work/f" \
  2> "$work/any.err" || { cat "$work/any.err"; echo "FAIL: --accept-any-client refused a client"; exit 1; }
cmp "$work/f" "$work/dst/f"
echo "PASS: authorized client sends, unauthorized refused in the handshake, --accept-any-client lets anyone in"
