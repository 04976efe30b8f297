#!/usr/bin/env bash
# The server's identity lasts, and is guarded like an ssh key:
#  1. the first serve creates the identity file with mode 0600 and prints
#     its fingerprint; a second serve with the same file prints the same;
#  2. a client that recorded the first server's key (trust on first use)
#     sends to the restarted server without a changed-key warning;
#  3. an identity file group or others may read (0644) is refused: serve
#     exits non-zero naming the file, and never listens;
#  4. a corrupt identity file is refused the same way.
# Usage: server_identity.sh BIN_DIR
set -euo pipefail
bin=$1
. "$(dirname "$0")/scratch.sh"
mkdir -p "$work/dst"
seeded_bytes 30000 f > "$work/f"
send() { timeout 60 "$bin/tern-cp/tern-cp" --idle-timeout 5 send 127.0.0.1 "$port" "$work/f" 2> "$work/send.err"; }

[ ! -e "$server_identity" ] || { echo "FAIL: the scratch identity exists before the first serve"; exit 1; }
start_serve "$work/dst"
first_fp=$fp
[ -f "$server_identity" ] || { echo "FAIL: serve created no identity file at $server_identity"; exit 1; }
mode=$(stat -c %a "$server_identity")
[ "$mode" = 600 ] || { echo "FAIL: identity file mode $mode, expected 600"; exit 1; }
grep -q "created the server identity $server_identity" "$work/serve.err" ||
  { cat "$work/serve.err"; echo "FAIL: serve did not say it created its identity"; exit 1; }
send || { cat "$work/send.err"; echo "FAIL: first send failed"; exit 1; }
cmp "$work/f" "$work/dst/f"
rm "$work/dst/f"

# Restart: same file, same key; the client's known_hosts record still holds.
timeout 20 tail --pid="$server_pid" -f /dev/null
start_serve "$work/dst" --port "$port"
[ "$fp" = "$first_fp" ] || { echo "FAIL: the fingerprint changed across restarts ($first_fp, then $fp)"; exit 1; }
! grep -q "created" "$work/serve.err" || { echo "FAIL: the restarted serve created a new identity"; exit 1; }
send || { cat "$work/send.err"; echo "FAIL: send to the restarted server failed"; exit 1; }
! grep -q "HAS CHANGED" "$work/send.err" || { echo "FAIL: the restarted server's key looked changed"; exit 1; }
cmp "$work/f" "$work/dst/f"
[ "$("$bin/tern-cp/tern-cp" id --server --identity "$server_identity")" = "$first_fp" ] ||
  { echo "FAIL: id --server does not print the server's fingerprint"; exit 1; }
timeout 20 tail --pid="$server_pid" -f /dev/null

# refused_identity WHAT: serve must exit non-zero naming the file, without listening.
refused_identity() {
  local status=0
  timeout 20 "$bin/tern-cp/tern-cp" serve --bind 127.0.0.1 --identity "$server_identity" \
    --authorized-keys "$work/authorized_keys" "$work/dst" > "$work/refused.out" 2> "$work/refused.err" || status=$?
  cat "$work/refused.err"
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ] || { echo "FAIL: serve used a $1 identity file (status $status)"; exit 1; }
  grep -q "$server_identity" "$work/refused.err" || { echo "FAIL: the refusal does not name the file"; exit 1; }
  ! grep -q "^port" "$work/refused.out" || { echo "FAIL: serve listened with a $1 identity file"; exit 1; }
}
chmod 644 "$server_identity"
refused_identity "world-readable"
grep -q "0644" "$work/refused.err" || { echo "FAIL: the refusal does not give the mode"; exit 1; }
chmod 600 "$server_identity"
head -c 300 "$server_identity" > "$work/truncated" && cat "$work/truncated" > "$server_identity"
refused_identity "corrupt"
echo "PASS: the server identity lasts across restarts, 0600, readable or corrupt files refused"
