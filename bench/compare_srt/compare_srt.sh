#!/usr/bin/env bash
# tern-cp against SRT's file mode (srt-file-transmit, Debian srt-tools), one
# file through the very same tern-netem relay and spec for both, 4 cases:
# 30 ms and 200 ms RTT, each with 0% and 1% loss (the spec applies to both
# directions, so acknowledgements are lost too). Prints the wall time of
# each transfer (sender start to receiver done) and SRT time / tern time.
# Exits non-zero if any received file is not byte-identical (a timeout counts).
#
#   bench/compare_srt/compare_srt.sh [--size BYTES] [--rate RATE] [--timeout SECONDS] [--bin DIR]
#     --size     file size, default 200 MB (209715200); smaller for quick runs
#     --rate     optional bottleneck added to every spec, e.g. 200mbit
#     --timeout  per transfer, default 300 s
#     --bin      the build's tools folder, default build/release/tools
#
# SRT setup (docs/tern-cp.md, "Comparison with SRT"): transtype=file (file
# congestion control, stream API, no TSBPD, so `latency` plays no part),
# flow window and both buffers sized for 200 ms at well over 1 Gbit/s, UDP
# socket buffers as large as the kernel allows, 1456-byte payloads.
set -euo pipefail
cd "$(dirname "$0")/../.."
size=$((200 * 1024 * 1024)); rate=""; limit=300; bin=build/release/tools
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --timeout) limit=$2; shift 2 ;;
    --bin) bin=$2; shift 2 ;;
    *) echo "usage: $0 [--size BYTES] [--rate RATE] [--timeout SECONDS] [--bin DIR]" >&2; exit 2 ;;
  esac
done
[[ $size =~ ^[0-9]+$ && $size -gt 0 ]] || { echo "compare_srt: --size must be a positive byte count" >&2; exit 2; }
[[ $limit =~ ^[0-9]+$ && $limit -gt 0 ]] || { echo "compare_srt: --timeout must be whole seconds" >&2; exit 2; }
for tool in "$bin/tern-cp/tern-cp" "$bin/tern-netem/tern-netem"; do
  [ -x "$tool" ] || { echo "compare_srt: $tool not built (cmake --build --preset release)" >&2; exit 2; }
done
command -v srt-file-transmit > /dev/null ||
  { echo "compare_srt: srt-file-transmit not found (apt-get install srt-tools)" >&2; exit 2; }

work=$(mktemp -d /tmp/tern-compare-srt.XXXXXX)
pids=()
stop_all() { for p in "${pids[@]}"; do kill "$p" 2> /dev/null || true; wait "$p" 2> /dev/null || true; done; pids=(); }
trap 'stop_all; rm -rf "$work"' EXIT INT TERM
. tools/tern-cp/launch.sh

# Flow window in packets and buffers in bytes: 200 ms at 2 Gbit/s is 50 MB.
srt_fc=60000
srt_buffer=$((srt_fc * 1456))
srt_udp_buffer=$(cat /proc/sys/net/core/rmem_max 2> /dev/null || echo 4194304)
srt_options="transtype=file&fc=$srt_fc&rcvbuf=$srt_buffer&sndbuf=$srt_buffer&udp_rcvbuf=$srt_udp_buffer"
srt_options+="&udp_sndbuf=$srt_udp_buffer&payloadsize=1456&peeridletimeo=30000"

echo "compare_srt: generating $size bytes"
head -c "$size" /dev/urandom > "$work/payload.bin"

now() { date +%s.%N; }
free_udp_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# identical RECEIVED: byte-identical to the payload, else a message and false.
identical() {
  [ -f "$1" ] && cmp -s "$work/payload.bin" "$1" && return 0
  echo "compare_srt: $1 is missing or differs from what was sent" >&2
  return 1
}

# run_tern SPEC: prints seconds, or "failed". Both runners are called in a
# command substitution, a subshell with its own EXIT trap.
run_tern() {
  trap stop_all EXIT
  rm -rf "$work/dst"; mkdir -p "$work/dst"
  start_serve "$work/dst"
  start_relay "$port" "$1" --seed 7
  local t0 t1 ok=1
  t0=$(now)
  TERN_KNOWN_HOSTS="$work/known_hosts" timeout "$limit" "$bin/tern-cp/tern-cp" send --fingerprint "$fp" \
    127.0.0.1 "$relay_port" "$work/payload.bin" 2> "$work/tern-send.err" || ok=0
  t1=$(now)
  stop_all
  rm -f "$work/known_hosts"
  if [ $ok = 1 ] && identical "$work/dst/payload.bin"; then echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }'
  else echo failed; sed 's/^/  tern-cp: /' "$work/tern-send.err" >&2; fi
}

# run_srt SPEC: the receiver listens, the sender calls through the relay.
run_srt() {
  trap stop_all EXIT
  rm -rf "$work/dst"; mkdir -p "$work/dst"
  local srt_port t0 t1 ok=1
  srt_port=$(free_udp_port)
  srt-file-transmit -q "srt://127.0.0.1:$srt_port?mode=listener&$srt_options" "file://$work/dst/" \
    > "$work/srt-recv.out" 2>&1 &
  local receiver=$!
  pids+=($receiver)
  for _ in $(seq 100); do ss -uln | grep -q "127.0.0.1:$srt_port " && break; sleep 0.05; done
  start_relay "$srt_port" "$1" --seed 7
  t0=$(now)
  timeout "$limit" srt-file-transmit -q "file://$work/payload.bin" \
    "srt://127.0.0.1:$relay_port?$srt_options" > "$work/srt-send.out" 2>&1 || ok=0
  # The sender returns once its buffer is acknowledged; the receiver ends
  # when it sees the connection close.
  timeout "$limit" tail --pid="$receiver" -f /dev/null || ok=0
  t1=$(now)
  stop_all
  if [ $ok = 1 ] && identical "$work/dst/payload.bin"; then echo "$t0 $t1" | awk '{ printf "%.2f", $2 - $1 }'
  else echo failed; sed 's/^/  srt: /' "$work/srt-send.out" "$work/srt-recv.out" >&2; fi
}

status=0
results=()
for rtt_delay in "30ms:15ms" "200ms:100ms"; do
  for loss in 0 1; do
    spec="delay ${rtt_delay#*:}"
    [ "$loss" = 0 ] || spec+=" loss $loss%"
    [ -z "$rate" ] || spec+=" rate $rate"
    echo "compare_srt: RTT ${rtt_delay%%:*}, '$spec' each way"
    tern=$(run_tern "$spec")
    srt=$(run_srt "$spec")
    ratio=n/a
    if [ "$tern" = failed ] || [ "$srt" = failed ]; then status=1
    else ratio=$(awk -v a="$srt" -v b="$tern" 'BEGIN { printf "%.2f", a / b }'); fi
    results+=("$(printf '%-6s %-5s %10s %10s %10s' "${rtt_delay%%:*}" "$loss%" "$tern" "$srt" "$ratio")")
  done
done

echo
echo "compare_srt: $size bytes${rate:+, bottleneck $rate}; times in seconds, ratio = srt / tern-cp"
printf '%-6s %-5s %10s %10s %10s\n' RTT loss tern-cp srt ratio
printf '%s\n' "${results[@]}"
exit $status
