#!/bin/bash
# Real sockets: tern vs kernel TCP (CUBIC, BBR) vs SRT, all crossing the same
# impairments through `tern-netem --tun` (two network namespaces joined
# through TUN devices; 198.18.0.1 sends, 198.18.0.2 receives).
#
#   bench/tcp_compare/run.sh [--quick] [--out FILE] [--build DIR] [--seed N]
#
# For each path (delay 100ms each way, with 0% and 1% loss each way):
#   media: a 4 Mbit/s 30 fps frame stream; p50/p99 end-to-end frame latency
#          and drop rate for tern deadline messages (BBR, tern's default, and
#          CUBIC), TCP CUBIC, TCP BBR and SRT live mode (srt-live-transmit);
#   bulk:  goodput of the same bytes over tern BBR (tern-cp), TCP BBR and
#          TCP CUBIC (iperf3).
# Prints a table and writes one JSON file (--out, default
# bench/results/tcp_compare.json). Needs root (namespaces, TUN). Exits 77
# when it cannot run here (not root, no /dev/net/tun, a tool missing).
# A receiver stops 10 s after the last frame's capture: frames missing then
# count as dropped (a transport that cannot keep up ends in bounded time).
# --quick: about 2 minutes; the full run: about 7.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$root/build/release
out=$root/bench/results/tcp_compare.json
quick=0
seed=1
while [ $# -gt 0 ]; do
  case $1 in
    --quick) quick=1 ;;
    --out) out=$2; shift ;;
    --build) build=$2; shift ;;
    --seed) seed=$2; shift ;;
    *) echo "usage: $0 [--quick] [--out FILE] [--build DIR] [--seed N]" >&2; exit 2 ;;
  esac
  shift
done

skip() { echo "tcp_compare: skipped: $*" >&2; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces and TUN devices)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
for tool in iperf3 srt-live-transmit jq ip; do
  command -v $tool >/dev/null || skip "$tool is not installed"
done
grep -qw bbr /proc/sys/net/ipv4/tcp_available_congestion_control || modprobe tcp_bbr 2>/dev/null ||
  skip "the kernel offers no TCP BBR (tcp_available_congestion_control)"
netem=$build/tools/tern-netem/tern-netem
kframes=$build/bench/tcp_compare/kernel_frames
tframes=$build/bench/tcp_compare/tern_frames
terncp=$build/tools/tern-cp/tern-cp
for b in "$netem" "$kframes" "$tframes" "$terncp"; do
  [ -x "$b" ] || { echo "tcp_compare: $b is not built (cmake --build --preset release --target benchmarks)" >&2; exit 1; }
done

if [ $quick = 1 ]; then media_seconds=6; bulk_bytes=$((2 * 1024 * 1024)); else media_seconds=30; bulk_bytes=$((8 * 1024 * 1024)); fi
rate=4000000
fps=30
deadline_ms=400 # tern: a frame is retransmitted until 400 ms after capture (two RTTs)
srt_latency_ms=400 # SRT live: the same budget, as its receive latency
paths=("delay 100ms" "delay 100ms loss 1%")

work=$(mktemp -d)
pids=()
netem_pid=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  if [ -n "$netem_pid" ]; then kill -TERM "$netem_pid" 2>/dev/null || true; wait "$netem_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_for FILE PATTERN: up to 10 s for PATTERN to appear in FILE.
wait_for() {
  for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "tcp_compare: nothing matched '$2' in $1" >&2
  cat "$1" >&2 || true
  return 1
}
in_a() { ip netns exec "$ns_a" "$@"; }
in_b() { ip netns exec "$ns_b" "$@"; }
shape=(--rate $rate --fps $fps --seconds $media_seconds)
limit=$((media_seconds * 3 + 60)) # no run may hang the benchmark

# Each media_* prints the receiver's JSON line.
media_tcp() {
  local cc=$1
  in_b timeout $limit "$kframes" tcp-recv 5001 "${shape[@]}" > "$work/recv.out" &
  local r=$!
  wait_for "$work/recv.out" '^listening'
  in_a timeout $limit "$kframes" tcp-send 198.18.0.2 5001 "${shape[@]}" --cc "$cc"
  wait $r
  tail -1 "$work/recv.out"
}

media_tern() {
  local cc=$1
  in_b timeout $limit "$tframes" recv 5002 "${shape[@]}" --cc "$cc" > "$work/recv.out" &
  local r=$!
  wait_for "$work/recv.out" '^fingerprint'
  in_a timeout $limit "$tframes" send 198.18.0.2 5002 "$(awk '/^fingerprint/{print $2}' "$work/recv.out")" \
    "${shape[@]}" --deadline $deadline_ms --cc "$cc"
  wait $r
  tail -1 "$work/recv.out"
}

# kernel_frames (UDP) -> srt-live-transmit in A -> SRT across the link ->
# srt-live-transmit in B -> kernel_frames (UDP).
media_srt() {
  in_b timeout $limit "$kframes" udp-recv 5004 "${shape[@]}" --idle 3 > "$work/recv.out" &
  local r=$!
  wait_for "$work/recv.out" '^listening'
  in_b timeout $limit srt-live-transmit -q "srt://:5003?mode=listener&latency=$srt_latency_ms" \
    udp://127.0.0.1:5004 > /dev/null 2> "$work/srt-b.err" &
  pids+=($!)
  in_a timeout $limit srt-live-transmit -q udp://127.0.0.1:5005 \
    "srt://198.18.0.2:5003?mode=caller&latency=$srt_latency_ms" > /dev/null 2> "$work/srt-a.err" &
  pids+=($!)
  sleep 1 # the SRT handshake; frames sent before it would be lost at the UDP input
  in_a timeout $limit "$kframes" udp-send 127.0.0.1 5005 "${shape[@]}"
  wait $r
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  pids=()
  tail -1 "$work/recv.out"
}

# Each bulk_* prints {"bytes":N,"seconds":S,"mbit_per_s":R}.
bulk_tcp() {
  local cc=$1
  in_b timeout $limit iperf3 -s -1 -p 5201 > /dev/null 2>&1 &
  local r=$!
  sleep 0.5
  in_a timeout $limit iperf3 -c 198.18.0.2 -p 5201 -n $bulk_bytes -C "$cc" -J > "$work/iperf.json"
  wait $r || true
  jq -c '{bytes: .end.sum_received.bytes, seconds: .end.sum_received.seconds,
          mbit_per_s: ((.end.sum_received.bits_per_second / 1e4 | round) / 100)}' "$work/iperf.json"
}

bulk_tern() {
  rm -rf "$work/dst" && mkdir -p "$work/dst"
  # Identities and authorized_keys in the scratch folder, not root's ~/.config.
  [ -e "$work/authorized_keys" ] ||
    "$terncp" id --identity "$work/client_identity.pem" > "$work/authorized_keys"
  rm -f "$work/serve.out" # the job truncates it only once it runs
  in_b timeout $limit "$terncp" serve --bind 198.18.0.2 --once --identity "$work/server_identity.pem" \
    --authorized-keys "$work/authorized_keys" "$work/dst" > "$work/serve.out" 2> "$work/serve.err" &
  local r=$!
  wait_for "$work/serve.out" '^fingerprint'
  in_a timeout $limit "$terncp" --cc bbr send --json --identity "$work/client_identity.pem" --known-hosts "$work/known_hosts" \
    --fingerprint "$(awk '/^fingerprint/{print $2}' "$work/serve.out")" \
    198.18.0.2 "$(awk '/^port/{print $2}' "$work/serve.out")" "$work/bulk.bin" > "$work/cp.json" 2> "$work/cp.err"
  wait $r || true
  jq -c '{bytes, seconds, mbit_per_s}' "$work/cp.json"
}

head -c $bulk_bytes /dev/urandom > "$work/bulk.bin"
results=()
printf '%-22s %-10s %10s %10s %8s %12s\n' path transport "p50 ms" "p99 ms" drops "bulk Mbit/s"
for spec in "${paths[@]}"; do
  # SCHED_FIFO for the link only: on a loaded machine a descheduled relay
  # would add its own stalls (hundreds of ms were seen) to every transport.
  rm -f "$work/netem.out" # the job truncates it only once it runs
  "$netem" --tun --up "$spec" --down "$spec" --seed "$seed" --realtime 10 --stats-json > "$work/netem.out" 2> "$work/netem.err" &
  netem_pid=$!
  wait_for "$work/netem.out" '^tun '
  read -r _ ns_a _ ns_b _ < "$work/netem.out"
  for t in tern tern-cubic tcp-cubic tcp-bbr srt; do
    case $t in
      tern) m=$(media_tern bbr); b=$(bulk_tern) ;;
      tern-cubic) m=$(media_tern cubic); b=null ;; # media only: is BBR's ProbeRTT what drops frames?
      tcp-cubic) m=$(media_tcp cubic); b=$(bulk_tcp cubic) ;;
      tcp-bbr) m=$(media_tcp bbr); b=$(bulk_tcp bbr) ;;
      srt) m=$(media_srt); b=null ;;
    esac
    results+=("$(jq -cn --arg path "$spec" --arg t "$t" --argjson m "$m" --argjson b "$b" \
      '{path: $path, transport: $t, media: $m, bulk: $b}')")
    printf '%-22s %-10s %10s %10s %8s %12s\n' "$spec" $t "$(jq -r .p50_ms <<<"$m")" "$(jq -r .p99_ms <<<"$m")" \
      "$(jq -r '.drop_rate * 1000 | round / 10 | tostring + "%"' <<<"$m")" "$( [ "$b" = null ] && echo - || jq -r .mbit_per_s <<<"$b")"
  done
  kill -TERM $netem_pid
  wait $netem_pid
  netem_pid=
  link=$(grep '^{' "$work/netem.out")
  results+=("$(jq -cn --arg path "$spec" --argjson s "$link" '{path: $path, netem: $s}')")
  jq -r '"  link lateness (A->B): mean \(.up.lateness_mean_us) us, p99 \(.up.lateness_p99_us) us, max \(.up.lateness_max_us) us"' <<<"$link"
done

mkdir -p "$(dirname "$out")"
printf '%s\n' "${results[@]}" | jq -s \
  --arg kernel "$(uname -r)" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')" \
  --arg cores "$(nproc)" --arg iperf "$(iperf3 --version | head -1)" \
  --arg srt "$(srt-live-transmit -version 2>&1 | grep -m1 'SRT Library version' | sed 's/.*version: //')" \
  --arg rev "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
  --argjson quick $quick --argjson seed "$seed" --argjson seconds $media_seconds --argjson bytes $bulk_bytes \
  '{benchmark: "tcp_compare", quick: ($quick == 1), seed: $seed, tern_revision: $rev,
    machine: {kernel: $kernel, cpu: $cpu, cores: ($cores | tonumber)}, versions: {iperf3: $iperf, srt: $srt},
    media: {bits_per_second: '$rate', fps: '$fps', seconds: $seconds, tern_deadline_ms: '$deadline_ms',
            srt_latency_ms: '$srt_latency_ms'},
    bulk_bytes: $bytes,
    runs: [.[] | select(.transport)], links: [.[] | select(.netem)]}' > "$out"
echo "wrote $out"
