#!/bin/sh
# Prints the four congestion-control target figures (docs/congestion.md),
# with CUBIC beside BBR, by running tern-sim in virtual time. The results are
# deterministic for a seed; wall time is the only figure that varies.
#
#   bench/recovery/congestion_targets.sh [path/to/tern-sim] [seed]
set -eu
SIM=${1:-build/release/tools/tern-sim/tern-sim}
SEED=${2:-1}
[ -x "$SIM" ] || { echo "tern-sim not found at $SIM (build the tern-sim target first)" >&2; exit 2; }

run() { "$SIM" "$@" --seed "$SEED" --json || true; }

summarise() {
  python3 -c '
import json, sys
label = sys.argv[1]
for line in sys.stdin:
    d = json.loads(line)
    if "per_flow" in d:
        f = d["per_flow"]
        fair = sum(x["window_goodput_bps"] for x in f) / len(f)
        shares = " ".join("%.1f Mb/s (%.2f of fair)" % (x["window_goodput_bps"] / 1e6, x["window_goodput_bps"] / fair) for x in f)
        print("%-34s %-7s window %.0f-%.0f s: %s  Jain %.4f  queue mean %.2f ms  wall %.2f s"
              % (label, d["cc"], d["fairness_window_s"][0], d["fairness_window_s"][1], shares, d["jain_index"],
                 d["mean_queue_delay_ms"], d["wall_time_s"]))
    else:
        print("%-34s %-7s goodput %6.2f Mb/s = %5.1f%% of link  (after start-up %6.2f Mb/s)  %7.2f s virtual  %5.2f s wall  lost %d  retx %d  spurious %d  queue mean %.2f / peak %.1f ms  min RTT %.1f ms  done %s"
              % (label, d["cc"], d["goodput_bps"] / 1e6, 100 * d["goodput_ratio"], d["steady_goodput_bps"] / 1e6,
                 d["virtual_duration_s"], d["wall_time_s"], d["packets_lost"], d["packets_retransmitted"],
                 d["spurious_retransmits"], d["mean_queue_delay_ms"], d["peak_queue_delay_ms"], d["min_rtt_ms"],
                 d["completed"]))
' "$1"
}

echo "tern-sim congestion targets (seed $SEED, $(basename "$SIM"))"
for cc in bbr cubic; do
  run --link "rate 100mbit delay 100ms loss 1% limit 3000" --down "delay 100ms" --cc $cc --bytes 100M \
    | summarise "1. 100M, 200ms, 1% loss, limit 3000"
done
run --link "rate 100mbit delay 100ms loss 1% limit 3000" --down "delay 100ms" --cc bbr --bytes 100M \
  --bbr-startup standard | summarise "1. same, --bbr-startup standard"
run --link "rate 100mbit delay 100ms loss 1%" --down "delay 100ms" --cc bbr --bytes 100M \
  | summarise "1b. same, netem default limit 1000"
for cc in bbr cubic; do
  run --link "rate 100mbit delay 10ms limit 1000" --down "delay 10ms" --cc $cc --bytes 100M \
    | summarise "2. 100M, 20ms, no loss, limit 1000"
done
for cc in bbr cubic; do
  run --link "rate 10mbit delay 150ms loss gemodel 1% 20%" --down "delay 150ms" --cc $cc --bytes 20M \
    | summarise "3. 10M, 300ms, gemodel 1% 20%"
done
run --link "rate 100mbit delay 10ms limit 1000" --down "delay 10ms" --cc bbr --flows 2 --stagger 2s \
  --fairness-warmup 15s --bytes 400M | summarise "4. two BBR flows, 100M, 20ms"
