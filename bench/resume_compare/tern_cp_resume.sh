#!/usr/bin/env bash
# tern-cp with and without 0-RTT: the wall time of `tern-cp send
# --fingerprint FP --resume` of a small file, from process start to exit,
# on loopback through tern-netem (delay 50 ms each way: 100 ms RTT). Every
# run resumes a kept session ticket; with 0-RTT its resume request goes in
# the first flight, with --no-early-data it waits for the handshake (one
# round trip more). The destination copy is removed between runs, so each
# run sends the whole file. Runs alternate between the two; median of --runs.
#
#   bench/resume_compare/tern_cp_resume.sh [--build DIR] [--runs N] [--size BYTES] [--no-capture]
#
# Prints a markdown table (docs/benchmarks.md, docs/tern-cp.md). With
# tcpdump (and leave to capture on lo) it also counts, from a capture of the
# relay's client side (wire_timing.py), the datagrams the client sent before
# the server's first answer reached it: 1 when the resume request rides in
# the Initial's datagram. KEEP_PCAP=DIR keeps the capture (cp.pcap) and the
# runs' start times (runs) for wire_timing.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
build=build/release
runs=5
size=10000
capture=1
while [ $# -gt 0 ]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --no-capture) capture=0; shift ;;
    *) echo "tern_cp_resume: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
bin=$build/tools
for b in "$bin/tern-cp/tern-cp" "$bin/tern-netem/tern-netem"; do
  [ -x "$b" ] || { echo "tern_cp_resume: $b not built" >&2; exit 2; }
done
spec="delay 50ms"
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; [ -z "${KEEP_PCAP:-}" ] || cp "$work/cp.pcap" "$work/runs" "$KEEP_PCAP"/ 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
export TERN_KNOWN_HOSTS="$work/known_hosts"
. tools/tern-cp/launch.sh
mkdir -p "$work/dst"
head -c "$size" /dev/urandom > "$work/f"
start_server "$work/dst" > /dev/null 2>&1
start_relay "$port" "$spec" --seed 1 > /dev/null
command -v tcpdump > /dev/null || capture=0
if [ "$capture" = 1 ]; then
  tcpdump -i lo -U -n --immediate-mode --time-stamp-precision=nano -w "$work/cp.pcap" \
    "udp and (port $relay_port or port $port)" 2> "$work/tcpdump.err" &
  pids+=($!)
  tcpdump_pid=$!
  for _ in $(seq 100); do grep -q 'listening' "$work/tcpdump.err" 2> /dev/null && break; sleep 0.05; done
  grep -q 'listening' "$work/tcpdump.err" || capture=0
fi
median() { sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# timed_send [ARGS...]: ms from start to exit of one resumed send.
timed_send() {
  rm -f "$work/dst/f"
  local t0 t1
  t0=$(date +%s%N)
  echo "$t0 n/a" | awk '{printf "%.6f %s\n", $1 / 1e9, $2}' >> "$work/runs"
  "$bin/tern-cp/tern-cp" send --fingerprint "$fp" --resume --json "$@" 127.0.0.1 "$relay_port" "$work/f" \
    > "$work/send.json" 2> "$work/send.err" || { cat "$work/send.err" >&2; echo "tern_cp_resume: send failed" >&2; exit 1; }
  t1=$(date +%s%N)
  cmp -s "$work/f" "$work/dst/f" || { echo "tern_cp_resume: the copy differs" >&2; exit 1; }
  grep -q '"session_resumed":true' "$work/send.json" || echo "tern_cp_resume: a run did not resume" >&2
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", (b - a) / 1e6 }'
}
timed_send > /dev/null 2>&1 # keeps the first ticket (a full handshake)
rm -f "$work/runs"
early=(); late=()
for _ in $(seq "$runs"); do
  early+=("$(timed_send)")
  grep -q '"early_data_accepted":true' "$work/send.json" || echo "tern_cp_resume: 0-RTT not accepted" >&2
  late+=("$(timed_send --no-early-data)")
done
echo "tern-cp send --fingerprint FP --resume, $size-byte file, resumed session, ms from start to exit"
echo "(median of $runs), loopback through tern-netem '$spec' both ways"
echo
echo "| tern-cp send | median ms | runs |"
echo "|---|---|---|"
echo "| 0-RTT (default) | $(printf '%s\n' "${early[@]}" | median) | ${early[*]} |"
echo "| --no-early-data | $(printf '%s\n' "${late[@]}" | median) | ${late[*]} |"
if [ "$capture" = 1 ]; then
  sleep 0.2
  kill -INT "$tcpdump_pid" 2> /dev/null || true
  wait "$tcpdump_pid" 2> /dev/null || true
  # Runs alternate: 0-RTT, then --no-early-data.
  flights=$(bench/resume_compare/wire_timing.py --pcap "$work/cp.pcap" --relay-port "$relay_port" \
    --server-port "$port" --runs "$work/runs" |
    sed -n 's/.*"first_flight": {"datagrams": \([0-9]*\).*/\1/p' | paste -sd' ')
  echo
  echo "datagrams sent before the server's first answer arrived, per run (0-RTT, --no-early-data alternating):"
  echo "$flights"
fi
