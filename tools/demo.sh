#!/usr/bin/env bash
# make demo: a 64 MB file through tern-netem ("delay 40ms 5ms loss 2%" each
# way) with tern-cp, verified with sha256sum. Kills everything it started.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=build/release/tools
work=$(mktemp -d /tmp/tern-demo.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT INT TERM
spec="delay 40ms 5ms loss 2%"
. tools/tern-cp/launch.sh

echo "demo: generating a 64 MB file"
mkdir -p "$work/dst"
head -c $((64 * 1024 * 1024)) /dev/urandom > "$work/demo.bin"

start_serve "$work/dst"
echo "demo: tern-cp serve on port $port, fingerprint $fp"

start_relay "$port" "$spec"
echo "demo: tern-netem relay on port $relay_port with '$spec' each way"

# On a terminal, send shows its progress line.
TERN_KNOWN_HOSTS="$work/known_hosts" "$bin/tern-cp/tern-cp" send --fingerprint "$fp" \
  127.0.0.1 "$relay_port" "$work/demo.bin"

a=$(sha256sum < "$work/demo.bin"); b=$(sha256sum < "$work/dst/demo.bin")
cmp "$work/demo.bin" "$work/dst/demo.bin"
echo "demo: sha256 ${a%% *}"
echo "demo: received file is byte-identical"
