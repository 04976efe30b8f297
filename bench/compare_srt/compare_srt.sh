#!/usr/bin/env bash
# tern-cp against SRT's file mode (srt-file-transmit, Debian srt-tools), one
# file through the very same tern-netem relay and spec for both, 4 cases:
# 30 ms and 200 ms RTT, each with 0% and 1% loss (the spec applies to both
# directions, so acknowledgements are lost too). Prints the wall time of
# each transfer (sender start to receiver done) and SRT time / tern time.
# A transfer that fails (timeout, error, incomplete or differing file) is
# reported as "failed" with its reason below the table; the other tool's
# figure is kept. Exits non-zero if any transfer failed.
#
#   bench/compare_srt/compare_srt.sh [--size BYTES] [--rate RATE] [--timeout SECONDS]
#                                    [--rtt "30 200"] [--loss "0 1"] [--logs DIR] [--bin DIR]
#     --size     file size, default 200 MiB (209715200); smaller for quick runs
#     --rate     optional bottleneck added to every spec, e.g. 200mbit
#     --timeout  per transfer, default 1200 s (SRT needs several minutes for
#                200 MiB at 200 ms RTT)
#     --rtt      round-trip times in ms to run, default "30 200"
#     --loss     loss percentages to run, default "0 1"
#     --logs     keep every tool's output of every case in DIR
#     --bin      the build's tools folder, default build/release/tools
#
# SRT setup (docs/tern-cp.md, "Comparison with SRT"): transtype=file (file
# congestion control, stream API, no TSBPD, so `latency` plays no part),
# flow window and both buffers sized for 200 ms at well over 1 Gbit/s, UDP
# socket buffers as large as the kernel allows, 1456-byte payloads, and the
# receiver takes up to 1 MiB per call instead of one payload.
set -euo pipefail
cd "$(dirname "$0")/../.."
size=$((200 * 1024 * 1024)); rate=""; limit=1200; bin=build/release/tools
rtts="30 200"; losses="0 1"; logs=""
usage="usage: $0 [--size BYTES] [--rate RATE] [--timeout SECONDS] [--rtt \"MS...\"] [--loss \"PERCENT...\"] [--logs DIR] [--bin DIR]"
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "$usage" >&2; exit 2; }
  case $1 in
    --size) size=$2 ;;
    --rate) rate=$2 ;;
    --timeout) limit=$2 ;;
    --rtt) rtts=$2 ;;
    --loss) losses=$2 ;;
    --logs) logs=$2 ;;
    --bin) bin=$2 ;;
    *) echo "$usage" >&2; exit 2 ;;
  esac
  shift 2
done
[[ $size =~ ^[0-9]+$ && $size -gt 0 ]] || { echo "compare_srt: --size must be a positive byte count" >&2; exit 2; }
[[ $limit =~ ^[0-9]+$ && $limit -gt 0 ]] || { echo "compare_srt: --timeout must be whole seconds" >&2; exit 2; }
for r in $rtts; do
  [[ $r =~ ^[0-9]+$ && $r -ge 2 && $((r % 2)) = 0 ]] || { echo "compare_srt: --rtt takes even milliseconds" >&2; exit 2; }
done
for l in $losses; do
  [[ $l =~ ^[0-9]+(\.[0-9]+)?$ ]] || { echo "compare_srt: --loss takes percentages" >&2; exit 2; }
done
for tool in "$bin/tern-cp/tern-cp" "$bin/tern-netem/tern-netem"; do
  [ -x "$tool" ] || { echo "compare_srt: $tool not built (cmake --build --preset release)" >&2; exit 2; }
done
command -v srt-file-transmit > /dev/null ||
  { echo "compare_srt: srt-file-transmit not found (apt-get install srt-tools)" >&2; exit 2; }
[ -z "$logs" ] || mkdir -p "$logs"

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
# The receiving srt-file-transmit reads up to this much per srt_recv()
# (default: one 1456-byte payload). The sender keeps its default: it waits
# until SRT can take more, then hands it one chunk, and a chunk larger than
# the free part of SRT's send buffer fails ("no buffer available for
# sending"), which srt-file-transmit reports and yet exits 0.
srt_chunk=$((1024 * 1024))

echo "compare_srt: generating $size bytes"
head -c "$size" /dev/urandom > "$work/payload.bin"

now() { date +%s.%N; }
seconds_between() { echo "$1 $2" | awk '{ printf "%.2f", $2 - $1 }'; }
load() { cut -d' ' -f1 /proc/loadavg; }
free_udp_port() {
  python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# received_problem FILE: empty if FILE is byte-identical to the payload,
# else what is wrong with it.
received_problem() {
  if [ ! -f "$1" ]; then echo "no file received"; return; fi
  local got
  got=$(stat -c %s "$1")
  if [ "$got" != "$size" ]; then echo "received $got of $size bytes"; return; fi
  cmp -s "$work/payload.bin" "$1" || echo "all $size bytes arrived but the content differs"
}
# keep_logs NAME FILE...: copies the files into --logs DIR, prefixed by NAME
# (case and tool).
keep_logs() {
  [ -n "$logs" ] || return 0
  local name=$1; shift
  for f in "$@"; do [ -f "$f" ] && cp "$f" "$logs/$name.$(basename "$f")"; done
  return 0
}

# Both runners are called in a command substitution, a subshell with its
# own EXIT trap. Each prints one line: "SECONDS" or "failed REASON".

# run_tern SPEC CASE
run_tern() {
  trap stop_all EXIT
  rm -rf "$work/dst"; mkdir -p "$work/dst"
  start_serve "$work/dst"
  start_relay "$port" "$1" --seed 7
  local t0 t1 rc=0 problem
  t0=$(now)
  TERN_KNOWN_HOSTS="$work/known_hosts" timeout "$limit" "$bin/tern-cp/tern-cp" send --fingerprint "$fp" \
    127.0.0.1 "$relay_port" "$work/payload.bin" 2> "$work/tern-send.err" || rc=$?
  t1=$(now)
  stop_all
  rm -f "$work/known_hosts"
  keep_logs "$2.tern" "$work/tern-send.err" "$work/serve.err" "$work/netem.err"
  problem=$(received_problem "$work/dst/payload.bin")
  if [ $rc = 124 ]; then echo "failed timed out after $limit s (${problem:-file complete})"
  elif [ $rc != 0 ]; then echo "failed send exited $rc: $(tail -n 1 "$work/tern-send.err")"
  elif [ -n "$problem" ]; then echo "failed send reported success but $problem"
  else seconds_between "$t0" "$t1"; fi
}

# run_srt SPEC CASE: the receiver listens, the sender calls through the
# relay. The sender returns once its buffer is acknowledged (it polls every
# 250 ms) and then closes; the receiver ends when it sees the close. SRT's
# file mode has no end-of-file marker: a receiver whose sender was stopped
# also ends "complete", so the file's size and content are what count.
# Prints the receiver's end, then (the most generous figure for SRT) when
# the received file first held all its bytes, polled every 50 ms, and when
# the sender saw everything acknowledged.
run_srt() {
  trap stop_all EXIT
  rm -rf "$work/dst"; mkdir -p "$work/dst"
  rm -f "$work/srt-full.at"
  local srt_port t0 t_sent t1 t_full rc=0 receiver_rc=0 problem
  srt_port=$(free_udp_port)
  # Without -q, each side reports its connection's events on stderr
  # ("Buffers flushed", "Download COMPLETE.", SRT errors).
  srt-file-transmit -chunk "$srt_chunk" "srt://127.0.0.1:$srt_port?mode=listener&$srt_options" \
    "file://$work/dst/" > /dev/null 2> "$work/srt-recv.err" &
  local receiver=$!
  pids+=($receiver)
  for _ in $(seq 100); do ss -uln | grep -q "127.0.0.1:$srt_port " && break; sleep 0.05; done
  start_relay "$srt_port" "$1" --seed 7
  t0=$(now)
  (
    until [ "$(stat -c %s "$work/dst/payload.bin" 2> /dev/null || echo 0)" -ge "$size" ]; do sleep 0.05; done
    now > "$work/srt-full.at"
  ) &
  pids+=($!)
  timeout "$limit" srt-file-transmit "file://$work/payload.bin" \
    "srt://127.0.0.1:$relay_port?$srt_options" > /dev/null 2> "$work/srt-send.err" || rc=$?
  t_sent=$(now)
  local left
  left=$(awk -v l="$limit" -v a="$t0" -v b="$t_sent" 'BEGIN { r = l - (b - a); print (r < 5 ? 5 : int(r)) }')
  timeout "$left" tail --pid="$receiver" -f /dev/null || receiver_rc=124
  t1=$(now)
  [ $receiver_rc = 124 ] || wait "$receiver" || receiver_rc=$?
  sleep 0.1 # the poller's last look
  stop_all
  t_full=$(cat "$work/srt-full.at" 2> /dev/null || echo "$t1")
  keep_logs "$2.srt" "$work/srt-send.err" "$work/srt-recv.err" "$work/netem.err"
  problem=$(received_problem "$work/dst/payload.bin")
  if [ $rc = 124 ]; then echo "failed sender timed out after $limit s (${problem:-file complete})"
  elif [ $rc != 0 ]; then echo "failed sender exited $rc: $(tail -n 1 "$work/srt-send.err")"
  elif ! grep -q "Buffers flushed" "$work/srt-send.err"; then echo "failed sender never saw its buffer acknowledged"
  elif [ $receiver_rc = 124 ]; then echo "failed receiver still running $limit s after the start (${problem:-file complete})"
  elif [ -n "$problem" ]; then echo "failed $problem"
  else echo "$(seconds_between "$t0" "$t1") $(seconds_between "$t0" "$t_full") $(seconds_between "$t0" "$t_sent")"; fi
}

status=0
results=()
reasons=()
echo "compare_srt: 1-minute load at start $(load)"
for rtt in $rtts; do
  for loss in $losses; do
    spec="delay $((rtt / 2))ms"
    [ "$loss" = 0 ] || spec+=" loss $loss%"
    [ -z "$rate" ] || spec+=" rate $rate"
    name="${rtt}ms-${loss}pct"
    echo "compare_srt: RTT ${rtt} ms, '$spec' each way (load $(load))"
    tern=$(run_tern "$spec" "$name")
    srt=$(run_srt "$spec" "$name")
    srt_full=n/a
    srt_acked=n/a
    ratio=n/a
    if [ "${tern%% *}" = failed ]; then
      status=1; reasons+=("$rtt ms / $loss%: tern-cp ${tern#failed }"); tern=failed
    fi
    if [ "${srt%% *}" = failed ]; then
      status=1; reasons+=("$rtt ms / $loss%: srt ${srt#failed }"); srt=failed
    else
      read -r srt srt_full srt_acked <<< "$srt"
    fi
    [ "$tern" = failed ] || [ "$srt" = failed ] ||
      ratio=$(awk -v a="$srt" -v b="$tern" 'BEGIN { printf "%.2f", a / b }')
    echo "compare_srt:   tern-cp $tern, srt $srt (file complete at $srt_full, sender acknowledged at $srt_acked)"
    results+=("$(printf '%-6s %-5s %10s %10s %10s %10s' "${rtt}ms" "$loss%" "$tern" "$srt" "$ratio" "$srt_full")")
  done
done

echo
echo "compare_srt: $size bytes${rate:+, bottleneck $rate}; times in seconds, ratio = srt / tern-cp;"
echo "compare_srt: srt-full = when SRT's received file first held every byte (before its receiver ended)"
printf '%-6s %-5s %10s %10s %10s %10s\n' RTT loss tern-cp srt ratio srt-full
printf '%s\n' "${results[@]}"
for r in "${reasons[@]}"; do echo "compare_srt: FAILED $r"; done
echo "compare_srt: 1-minute load at end $(load)"
exit $status
