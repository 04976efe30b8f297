#!/usr/bin/env bash
# What the receiver does with what a sender asks for (docs/tern-cp.md,
# "Receiver safety"):
# - modes: a setuid 0777 file arrives without setuid and with the
#   receiver's umask applied (umask 027: 0750);
# - an existing target is refused ("exists"), left untouched, and the
#   sender's output says why; `serve --overwrite` replaces it;
# - a refused file leaves no partial (folders made for a refused file:
#   lying_peer.sh, whose lies go into new folders);
# - peer text is escaped: a file name holding an escape sequence, and a
#   receiver's ERR reason quoting it, reach neither terminal nor --json raw,
#   and the --json output stays valid JSON.
# Usage: receiver_policy.sh BIN_DIR
set -euo pipefail
bin=$1
. "$(dirname "$0")/scratch.sh"
umask 027
mkdir -p "$work/src" "$work/dst"
printf 'one' > "$work/src/m"
chmod 4777 "$work/src/m"
esc_name=$'name\x1b]0;owned\x07\x1b[31m'
printf 'x' > "$work/src/$esc_name"
mkdir -p "$work/src/.tern-evil/sub"
printf 'y' > "$work/src/.tern-evil/sub/$esc_name"
send() { timeout 60 "$bin/tern-cp/tern-cp" send --fingerprint "$fp" 127.0.0.1 "$port" "$@"; }
no_controls() { ! LC_ALL=C grep -q '[[:cntrl:]]' <(tr -d '\n' < "$1"); }

start_server "$work/dst"
send "$work/src/m" 2> "$work/send1.err" || { cat "$work/send1.err" "$work/serve.err"; echo "FAIL: first send"; exit 1; }
mode=$(stat -c %a "$work/dst/m")
[ "$mode" = 750 ] || { echo "FAIL: received mode $mode, expected 750 (4777 without setuid, umask 027)"; exit 1; }

printf 'two' > "$work/src/m"
status=0
send "$work/src/m" 2> "$work/send2.err" || status=$?
cat "$work/send2.err"
[ "$status" -ne 0 ] || { echo "FAIL: sending over an existing file succeeded silently"; exit 1; }
grep -q "FAILED m: receiver refused: exists" "$work/send2.err" || { echo "FAIL: the sender does not say why"; exit 1; }
[ "$(cat "$work/dst/m")" = one ] || { echo "FAIL: the existing file was changed"; exit 1; }

# Escaped peer text, both ways: the name on the server's log; the name and
# the server's reason (which quotes the refused path) on the sender's.
send "$work/src/$esc_name" 2> "$work/send3.err" || { cat "$work/send3.err"; echo "FAIL: escape-named send"; exit 1; }
# Another content under the placed name: refused as existing (the same
# content from the same client would be "already complete": already_complete.sh).
printf 'x2' > "$work/src/$esc_name"
status=0
send --json "$work/src/$esc_name" "$work/src/.tern-evil" > "$work/send4.json" 2> "$work/send4.err" || status=$?
cat "$work/send4.json" "$work/send4.err"
[ "$status" -ne 0 ] || { echo "FAIL: a reserved name or an existing file was accepted"; exit 1; }
jq -e '.failures | length == 2' "$work/send4.json" > /dev/null || { echo "FAIL: --json is not valid JSON with 2 failures"; exit 1; }
jq -e '[.failures[] | select(contains("\\x1b]0;owned\\x07"))] | length == 2' "$work/send4.json" > /dev/null ||
  { echo "FAIL: --json does not show the escape sequences escaped"; exit 1; }
jq -e '[.failures[] | select(contains("reserved name") and contains("sub/name\\x1b"))] | length == 1' "$work/send4.json" > /dev/null ||
  { echo "FAIL: the receiver's reason quoting the path is not shown escaped"; exit 1; }
! find "$work/dst" -name '.tern-partial*' | grep -q . || { echo "FAIL: a partial stayed"; exit 1; }
for f in "$work/send3.err" "$work/send4.json" "$work/send4.err" "$work/serve.err"; do
  no_controls "$f" || { echo "FAIL: a raw control character reached $f"; exit 1; }
done
grep -qF 'received name\x1b]0;owned\x07\x1b[31m' "$work/serve.err" || { echo "FAIL: serve does not show the name escaped"; exit 1; }

kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
start_server "$work/dst" --overwrite
send "$work/src/m" 2> "$work/send6.err" || { cat "$work/send6.err"; echo "FAIL: serve --overwrite refused"; exit 1; }
[ "$(cat "$work/dst/m")" = two ] || { echo "FAIL: serve --overwrite did not replace the file"; exit 1; }
echo "PASS: mode masked (750), existing file refused then replaced with --overwrite, peer text escaped both ways"
