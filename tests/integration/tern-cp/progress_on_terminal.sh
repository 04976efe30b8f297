#!/usr/bin/env bash
# The progress line: on a terminal (script(1) provides one) it is redrawn
# in place (\r) with bytes, rate, ETA, RTT and loss and ends at 100%; with
# stderr not a terminal there is none.  Usage: progress_on_terminal.sh BIN_DIR
set -euo pipefail
bin=$1
command -v script > /dev/null || { echo "SKIP: script(1) (util-linux) not installed"; exit 77; }
. "$(dirname "$0")/scratch.sh"
mkdir -p "$work/dst"
seeded_bytes 2000000 f > "$work/f"

start_serve "$work/dst"
start_relay "$port" "delay 10ms rate 20mbit" --seed 7 # about a second: several redraws
script -qec "timeout 60 '$bin/tern-cp/tern-cp' send --fingerprint '$fp' 127.0.0.1 $relay_port '$work/f'" /dev/null \
  < /dev/null > "$work/tty.out" || { cat "$work/tty.out"; echo "FAIL: send on a terminal failed"; exit 1; }
cat -v "$work/tty.out"
cmp "$work/f" "$work/dst/f"
redraws=$(tr '\r' '\n' < "$work/tty.out" | grep -c 'MB/s  ETA .*RTT [0-9]* ms  loss [0-9.]*%' || true)
[ "$redraws" -ge 2 ] || { echo "FAIL: $redraws progress lines, expected several"; exit 1; }
tr '\r' '\n' < "$work/tty.out" | grep -q '2.0 / 2.0 MB 100%' || { echo "FAIL: no final 100% line"; exit 1; }

rm "$work/dst/f"
start_serve "$work/dst"
timeout 60 "$bin/tern-cp/tern-cp" send --fingerprint "$fp" 127.0.0.1 "$port" "$work/f" 2> "$work/plain.err"
cat "$work/plain.err"
! grep -q 'ETA' "$work/plain.err" || { echo "FAIL: a progress line although stderr is not a terminal"; exit 1; }
echo "PASS: $redraws progress redraws on a terminal, none otherwise"
