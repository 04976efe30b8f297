#!/usr/bin/env bash
# Cost per byte of each UDP ceiling mode, beside tern-bench-loopback's JSON.
#
#   bench/loopback/profile.sh [path/to/tern-bench-loopback] [duration-ms] [--tern-* options]
#   TERN_ONLY=1 bench/loopback/profile.sh ...   # skip the UDP ceiling modes
#
# For each mode (plain, sendmmsg, gso) at 1200-byte datagrams:
# - user-space instructions per received byte, sender and receiver thread
#   apart, from valgrind --tool=callgrind (collection on only inside the send
#   and receive loops). Callgrind sees no kernel instructions.
# - where the CPU time goes, kernel included, from perf sampling the
#   cpu-clock software event (works where hardware counters do not, e.g. in a
#   VM): the top symbols by share of samples.
# Then tern's own connection (--no-ceiling): callgrind instructions per
# goodput byte and per packet over both threads with the top functions by
# self cost, the instructions per call of the per-packet functions, and
# perf's top symbols, kernel included. Every run is one trial (--trials 1).
#
# Under valgrind the two endpoint threads run one at a time, many times
# slower, so the transfer runs in another regime (a few packets per wakeup,
# setup a large share): its instructions per byte overstate the real cost.
# The per-call figures of the per-packet functions (seal, open, building and
# processing a packet) do not depend on the regime; perf's shares describe
# the real run.
set -euo pipefail
bin=${1:-build/release/bench/loopback/tern-bench-loopback}
ms=${2:-2000}
shift $(( $# < 2 ? $# : 2 ))
out=$(mktemp -d /tmp/tern-bench-profile.XXXXXX)
have_perf=0
if command -v perf >/dev/null && perf stat -e cpu-clock true >/dev/null 2>&1; then have_perf=1; fi

modes="plain sendmmsg gso"
[ "${TERN_ONLY:-0}" = 1 ] && modes=""
for mode in $modes; do
  echo "== $mode (1200-byte datagrams, ${ms} ms)"
  if command -v valgrind >/dev/null; then
    valgrind --tool=callgrind --separate-threads=yes --collect-atstart=no \
      '--toggle-collect=*run_sender*' '--toggle-collect=*run_receiver*' \
      --callgrind-out-file="$out/cg.$mode" \
      "$bin" --trials 1 --sizes 1200 --modes "$mode" --duration-ms "$ms" >"$out/$mode.cg.json" 2>"$out/$mode.cg.err"
    python3 - "$out" "$mode" <<'PY'
import glob, json, re, sys
out, mode = sys.argv[1], sys.argv[2]
r = json.load(open(f"{out}/{mode}.cg.json"))["udp_ceiling"]["1200"][mode]
threads = []
for f in sorted(glob.glob(f"{out}/cg.{mode}-*")):
    m = re.search(r"^summary:\s*(\d+)", open(f).read(), re.M)
    if m and int(m.group(1)) > 0: threads.append(int(m.group(1)))
# Threads start receiver first, then sender.
names = ["receiver", "sender"]
b, d = r["received_bytes"], r["received_datagrams"]
for name, ir in zip(names, threads):
    print(f"  callgrind {name:8s}: {ir:>12d} Ir  {ir / b:7.4f} Ir/byte  {ir / d:8.1f} Ir/datagram")
print(f"  (under valgrind: {d} datagrams, {b} bytes received, {r['tx_syscalls']} send calls, {r['rx_syscalls']} receive calls)")
PY
  fi
  if [ "$have_perf" = 1 ]; then
    perf record -q -e cpu-clock -o "$out/perf.$mode" \
      "$bin" --trials 1 --sizes 1200 --modes "$mode" --duration-ms "$ms" >"$out/$mode.perf.json" 2>/dev/null
    python3 - "$out" "$mode" <<'PY'
import json, sys
out, mode = sys.argv[1], sys.argv[2]
r = json.load(open(f"{out}/{mode}.perf.json"))["udp_ceiling"]["1200"][mode]
cpu = sum(r["tx_cpu_s"].values()) + sum(r["rx_cpu_s"].values())
print(f"  perf run: {r['bps'] / 1e9:.2f} Gbit/s, cpu {cpu:.2f} s "
      f"(tx user {r['tx_cpu_s']['user']:.2f} sys {r['tx_cpu_s']['sys']:.2f}, "
      f"rx user {r['rx_cpu_s']['user']:.2f} sys {r['rx_cpu_s']['sys']:.2f}), "
      f"{r['cpu_ns_per_received_byte']:.2f} cpu-ns/byte")
PY
    perf report -i "$out/perf.$mode" --no-children --sort sym --stdio 2>/dev/null |
      { grep -E '^ +[0-9.]+%' || true; } | head -12 | sed 's/^/  /' || true
  fi
done
# tern itself: one encrypted connection, one stream (both threads), with the
# tern::config of the remaining arguments (e.g. --tern-gro 0).
echo "== tern (${ms} ms) $*"
if command -v valgrind >/dev/null; then
  valgrind --tool=callgrind --collect-atstart=no '--toggle-collect=*measure_tern_goodput*' \
    --callgrind-out-file="$out/cg.tern" \
    "$bin" --trials 1 --no-ceiling --duration-ms "$ms" "$@" >"$out/tern.cg.json" 2>"$out/tern.cg.err"
  python3 - "$out" <<'PY'
import json, re, sys
out = sys.argv[1]
t = json.load(open(f"{out}/tern.cg.json"))["tern"]
ir = int(re.search(r"^summary:\s*(\d+)", open(f"{out}/cg.tern").read(), re.M).group(1))
b = t["goodput_bytes"]
print(f"  callgrind both threads: {ir} Ir, {b} goodput bytes, {ir / max(b, 1):.2f} Ir/byte, "
      f"{ir / max(t['packets_sent'], 1):.0f} Ir/packet sent ({t['datagram_size']}-byte datagrams)")
PY
  callgrind_annotate --threshold=100 "$out/cg.tern" 2>/dev/null |
    awk '/^ *[0-9,]+ \([ 0-9.]+%\)/ {print}' | head -15 | sed 's/^/  /' || true
  # Inclusive instructions per call, from the call records (cfn= / calls=).
  python3 - "$out/cg.tern" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().split("\n")
names, calls, cost = {}, {}, {}
for i, line in enumerate(lines):
    m = re.match(r"^c?fn=\((\d+)\)(?: (.*))?$", line)
    if m and m.group(2):
        names[m.group(1)] = m.group(2)
    m = re.match(r"^cfn=\((\d+)\)", line)
    if m and i + 2 < len(lines) and lines[i + 1].startswith("calls="):
        k = m.group(1)
        calls[k] = calls.get(k, 0) + int(lines[i + 1].split("=")[1].split()[0])
        cost[k] = cost.get(k, 0) + int(lines[i + 2].split()[1])
wanted = ["packet_protector::seal(", "packet_protector::open(", "header_protector::apply(",
          "header_protector::remove(", "connection::build_packet(", "connection::poll_transmit(",
          "connection::process_packet(", "connection::on_datagram_in_place(", "connection::on_datagram(",
          "udp_socket::send(", "udp_socket::receive("]
print("  per call (inclusive Ir / calls):")
for w in wanted:
    ks = [k for k, v in names.items() if w in v and k in calls]
    n, c = sum(calls[k] for k in ks), sum(cost[k] for k in ks)
    if n:
        print(f"    {w.rstrip('('):36s} {c / n:9.0f} Ir/call  ({n} calls)")
PY
fi
if [ "$have_perf" = 1 ]; then
  perf record -q -e cpu-clock -o "$out/perf.tern" "$bin" --trials 1 --no-ceiling --duration-ms "$ms" "$@" \
    >"$out/tern.perf.json" 2>/dev/null
  python3 - "$out" <<'PY'
import json, sys
t = json.load(open(f"{sys.argv[1]}/tern.perf.json"))
g = t["tern"]
print(f"  perf run: {t['tern_goodput_bps'] / 1e9:.2f} Gbit/s, cpu {g['client_cpu_s'] + g['server_cpu_s']:.2f} s, "
      f"{g['cpu_ns_per_goodput_byte']:.2f} cpu-ns/byte")
PY
  perf report -i "$out/perf.tern" --no-children --sort sym --stdio 2>/dev/null |
    { grep -E '^ +[0-9.]+%' || true; } | head -15 | sed 's/^/  /' || true
fi
echo "(raw files in $out)"
