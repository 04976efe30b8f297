#!/bin/sh
# Runs the recovery issue's simulator targets in both tern-sim modes - the
# packet-level bulk sender (wire codec, no encryption, no streams) and full
# tern connections (TLS 1.3, AEAD packet protection, streams, flow control)
# - and prints goodput side by side with the ratio connection / packet.
# Both measure unique application bytes over the time from the first byte
# offered to the last byte's arrival (connection mode: from the handshake's
# completion). Virtual-time results are exact for a seed.
#
#   bench/core/connection_vs_packet.sh [path/to/tern-sim] [seed] [cc]
set -eu
SIM=${1:-build/release/tools/tern-sim/tern-sim}
SEED=${2:-1}
CC=${3:-bbr}
[ -x "$SIM" ] || { echo "tern-sim not found at $SIM (build the tern-sim target first)" >&2; exit 2; }

compare() {
  label=$1
  shift
  p=$("$SIM" --mode packet "$@" --cc "$CC" --seed "$SEED" --json || true)
  c=$("$SIM" --mode connection "$@" --cc "$CC" --seed "$SEED" --json || true)
  python3 -c '
import json, sys
label, p, c = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
def row(mode, d):
    extra = ""
    if mode == "connection":
        extra = "  sha256_match %s  handshake %.2f s" % (d["sha256_match"], d["handshake_s"])
    return ("  %-10s goodput %6.2f Mb/s = %5.1f%% of link  %7.2f s virtual  %5.2f s wall  sent %d  lost %d  retx %d  "
            "spurious %d  queue mean %.2f / peak %.1f ms  min RTT %.1f ms  done %s%s"
            % (mode, d["goodput_bps"] / 1e6, 100 * d["goodput_ratio"], d["virtual_duration_s"], d["wall_time_s"],
               d["packets_sent"], d["packets_lost"], d["packets_retransmitted"], d["spurious_retransmits"],
               d["mean_queue_delay_ms"], d["peak_queue_delay_ms"], d["min_rtt_ms"], d["completed"], extra))
print(label)
print(row("packet", p))
print(row("connection", c))
print("  ratio connection/packet: %.3f" % (c["goodput_bps"] / p["goodput_bps"] if p["goodput_bps"] else 0))
' "$label" "$p" "$c"
}

echo "tern-sim packet vs connection (seed $SEED, cc $CC)"
compare "1. 100M, 200ms, 1% loss, limit 3000" \
  --link "rate 100mbit delay 100ms loss 1% limit 3000" --down "delay 100ms" --bytes 100M
compare "2. 100M, 20ms, no loss, limit 1000" \
  --link "rate 100mbit delay 10ms limit 1000" --down "delay 10ms" --bytes 100M
compare "3. 10M, 300ms, gemodel 1% 20%" \
  --link "rate 10mbit delay 150ms loss gemodel 1% 20%" --down "delay 150ms" --bytes 20M
