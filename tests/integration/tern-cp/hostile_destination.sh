#!/usr/bin/env bash
# A destination the receiver must not write through: MODE=symlink plants
# DIR/tree -> an outside directory; MODE=readonly makes DIR/tree read-only
# (as root, the server runs as nobody, so the permission does apply).
# Passes only if tern-cp send exits non-zero, nothing lands outside, and no
# partial file is left. MODE=full mounts a 512 KiB tmpfs as DIR (root only)
# and sends 2 MB: ENOSPC must be reported.  Usage: hostile_destination.sh BIN_DIR MODE
set -euo pipefail
bin=$1; mode=$2
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if mountpoint -q "$work/dst"; then umount "$work/dst"; fi; chmod -R u+w "$work"; rm -rf "$work"; }
trap cleanup EXIT INT TERM
. "$(dirname "$0")/../../../tools/tern-cp/launch.sh"
mkdir -p "$work/src/tree" "$work/dst" "$work/outside"
seeded_bytes 100000 f > "$work/src/tree/f"
[ "$mode" = full ] && seeded_bytes 2000000 f > "$work/src/tree/f"
case $mode in
  symlink) ln -s "$work/outside" "$work/dst/tree" ;;
  readonly) mkdir "$work/dst/tree"; chmod 555 "$work/dst/tree"
            # Root ignores directory permissions: the server then runs as nobody.
            if [ "$(id -u)" -eq 0 ]; then
              serve_launcher="setpriv --reuid=nobody --regid=nogroup --clear-groups"
              chmod 755 "$work"; chmod 777 "$work/dst"
              $serve_launcher true 2>/dev/null || { echo "SKIP: root, and cannot run the server as nobody"; exit 77; }
            fi ;;
  full) if [ "$(id -u)" -ne 0 ]; then echo "SKIP: mounting a small tmpfs needs root"; exit 77; fi
        mount -t tmpfs -o size=512k tmpfs "$work/dst" || { echo "SKIP: cannot mount tmpfs here"; exit 77; } ;;
esac
start_serve "$work/dst"
status=0
TERN_KNOWN_HOSTS="$work/kh" timeout 60 "$bin/tern-cp/tern-cp" send --fingerprint "$fp" 127.0.0.1 "$port" \
  "$work/src/tree" 2> "$work/send.err" || status=$?
cat "$work/send.err"
[ "$status" -ne 0 ] || { echo "FAIL: send succeeded into a hostile destination"; exit 1; }
grep -q "FAILED tree/f" "$work/send.err" || { echo "FAIL: no per-file failure reported"; exit 1; }
[ -z "$(ls -A "$work/outside")" ] || { echo "FAIL: wrote outside DIR"; exit 1; }
! find "$work/dst" -name '.tern-partial*' | grep -q . || { echo "FAIL: partial left"; exit 1; }
echo "PASS: $mode destination refused"
