#!/usr/bin/env bash
# A file placed whose OK never reached its sender (the connection was cut
# after the rename): the sender's retry is answered "already complete"
# instead of "exists", but only for the client that placed it, the content
# it placed, and the file as it placed it (placement_record.hpp).
#  1. lying_sender (mode placed) sends a file honestly and gets its OK;
#     from the receiver's side this is exactly a placed file whose OK was
#     lost, since the receiver learns nothing of what became of its OK;
#  2. the same client sends the same file again with --resume (what
#     `send --retries` does after a lost connection): success, no content
#     byte sent, the whole file counted as already held, the file untouched;
#     and without --resume (the content is sent, verified and dropped);
#  3. another authorized client sending the same file: exists;
#  4. the same client with other content under that name: exists;
#  5. the placed file changed since (chmod): exists;
#  6. the records live in DIR/.tern-placed (mode 0700), one per (client, path).
# Usage: already_complete.sh BIN_DIR LYING_SENDER
set -euo pipefail
bin=$1; liar=$2
. "$(dirname "$0")/scratch.sh"
tern_cp="$bin/tern-cp/tern-cp"
mkdir -p "$work/src" "$work/other" "$work/dst"
head -c 20000 /dev/zero | tr '\0' p > "$work/src/f" # lying_sender's "placed" file, path f
other="$work/other_identity.pem"
authorize_client # this test's client, then another one
echo "$("$tern_cp" id --identity "$other") other-client" >> "$work/authorized_keys"
start_server "$work/dst"
send() { timeout 60 "$tern_cp" send --fingerprint "$fp" --json 127.0.0.1 "$port" "$@"; }
field() { sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" "$2"; }

# 1.
timeout 30 "$liar" 127.0.0.1 "$port" "$fp" placed > "$work/liar.out" || { cat "$work/serve.err"; echo "FAIL: the first send got no result"; exit 1; }
grep -qx OK "$work/liar.out" || { cat "$work/liar.out"; echo "FAIL: the first send was refused"; exit 1; }
cmp "$work/src/f" "$work/dst/f" || { echo "FAIL: the placed file differs"; exit 1; }
inode=$(stat -c %i "$work/dst/f")

# 2.
send --resume "$work/src/f" > "$work/retry.json" 2> "$work/retry.err" ||
  { cat "$work/retry.err" "$work/retry.json"; echo "FAIL: the retry of a placed file failed"; exit 1; }
cat "$work/retry.json"
[ "$(field bytes "$work/retry.json")" -eq 0 ] || { echo "FAIL: the retry sent content again"; exit 1; }
[ "$(field resumed_bytes "$work/retry.json")" -eq 20000 ] || { echo "FAIL: the retry did not count the file as held"; exit 1; }
grep -q "received f (already complete)" "$work/serve.err" || { cat "$work/serve.err"; echo "FAIL: serve does not say already complete"; exit 1; }
send "$work/src/f" > "$work/again.json" 2> "$work/again.err" ||
  { cat "$work/again.err"; echo "FAIL: sending the placed file again without --resume failed"; exit 1; }
[ "$(stat -c %i "$work/dst/f")" = "$inode" ] && cmp "$work/src/f" "$work/dst/f" ||
  { echo "FAIL: the placed file was replaced"; exit 1; }
[ "$(grep -c "received f (already complete)" "$work/serve.err")" -eq 2 ] || { echo "FAIL: the second confirmation is not logged"; exit 1; }

# 3.
status=0
send --resume --identity "$other" "$work/src/f" > "$work/stranger.json" 2> "$work/stranger.err" || status=$?
[ "$status" -ne 0 ] && grep -q "exists" "$work/stranger.err" ||
  { cat "$work/stranger.err"; echo "FAIL: another client's send of the same file was not refused as existing"; exit 1; }

# 4.
head -c 20000 /dev/zero | tr '\0' q > "$work/other/f"
status=0
send --resume "$work/other/f" > "$work/changed.json" 2> "$work/changed.err" || status=$?
[ "$status" -ne 0 ] && grep -q "exists" "$work/changed.err" ||
  { cat "$work/changed.err"; echo "FAIL: other content under the placed name was not refused as existing"; exit 1; }
cmp "$work/src/f" "$work/dst/f" || { echo "FAIL: the placed file changed"; exit 1; }

# 5.
chmod 600 "$work/dst/f"
status=0
send --resume "$work/src/f" > "$work/touched.json" 2> "$work/touched.err" || status=$?
[ "$status" -ne 0 ] && grep -q "exists" "$work/touched.err" ||
  { cat "$work/touched.err"; echo "FAIL: a file changed since it was placed still counted as complete"; exit 1; }

# 6.
[ "$(stat -c %a "$work/dst/.tern-placed")" = 700 ] || { echo "FAIL: the records folder is not 0700"; exit 1; }
records=$(find "$work/dst/.tern-placed" -type f | wc -l)
[ "$records" -eq 1 ] || { ls -la "$work/dst/.tern-placed"; echo "FAIL: $records records for one placed file"; exit 1; }
[ -z "$(ls -A "$work/dst/.tern-partial" 2>/dev/null)" ] || { echo "FAIL: a partial stayed"; exit 1; }
echo "PASS: the placing client's retry is already complete (0 bytes resent); another client, other content or a changed file: exists"
