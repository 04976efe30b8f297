"""The path rows of the real-socket comparison, drawn from the virtual-time
matrix (tern-sim matrix, docs/congestion.md "path-condition matrix"): the
same rate, delays, impairments and queue sizes, expressed as one tern-netem
spec that every tool's traffic crosses in both directions (data and
acknowledgements alike, so every tool meets the same reordering, jitter and
loss on its ACK path too).

The rate counts what a wire would carry. Through --tun the link sees whole
IP packets (kernel TCP pays its IP and TCP headers); through the UDP relay
it sees datagram payloads, so the UDP tools' link adds the 28 bytes of IPv4
and UDP headers per packet (netem's `rate RATE PACKETOVERHEAD`), and every
tool pays for its headers alike.

A row's queue limit follows the matrix's rule: netem's `limit` counts the
packets still in the delay line, so it is the one-way delay line plus the
wanted queue, in 1500-byte packets at the row's rate."""

import math
from dataclasses import dataclass

PACKET_BYTES = 1500
UDP_IP_HEADER_BYTES = 28


@dataclass(frozen=True)
class PathRow:
    name: str          # what the table shows
    rtt_ms: int        # base round trip (twice the one-way delay)
    impairment: str    # netem keywords after rate, delay and limit; may be ""
    jitter: str = ""   # "JITTER distribution D", appended to the delay
    queue_bdp: float = 1.0
    rate_mbit: int = 100

    def limit_packets(self):
        packets_per_second = self.rate_mbit * 1e6 / (PACKET_BYTES * 8)
        delay_line = packets_per_second * self.rtt_ms / 1000 / 2
        queue = max(1.0, round(packets_per_second * self.rtt_ms / 1000 * self.queue_bdp))
        return math.ceil(delay_line) + int(queue)

    def spec(self, udp_payloads=False):
        """The tern-netem spec; udp_payloads for the UDP relay, whose link
        sees datagram payloads without their IP and UDP headers."""
        rate = "rate %dmbit" % self.rate_mbit
        if udp_payloads:
            rate += " %d" % UDP_IP_HEADER_BYTES
        delay = "delay %dms" % (self.rtt_ms // 2)
        if self.jitter:
            delay += " " + self.jitter
        parts = [rate, delay, "limit %d" % self.limit_packets(), self.impairment]
        return " ".join(p for p in parts if p)


STANDARD_ROWS = [
    PathRow("clean, 30 ms", 30, ""),
    PathRow("loss 1%, 30 ms", 30, "loss 1%"),
    PathRow("loss 1%, 200 ms", 200, "loss 1%"),
    PathRow("reorder 3%, 50 ms", 50, "reorder 3%"),
    PathRow("jitter 20ms normal, 40 ms", 40, "", jitter="20ms distribution normal"),
    PathRow("buffer 0.25 BDP, 40 ms", 40, "", queue_bdp=0.25),
]

# --quick: the paths tern was tuned on, and one that is not.
QUICK_ROW_NAMES = ["clean, 30 ms", "loss 1%, 30 ms", "buffer 0.25 BDP, 40 ms"]


def rows_named(names):
    """The standard rows whose names are given, in the standard order; an
    unknown name raises ValueError naming it."""
    known = {r.name for r in STANDARD_ROWS}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise ValueError("no such row: %s (rows: %s)" % (", ".join(unknown), "; ".join(sorted(known))))
    return [r for r in STANDARD_ROWS if r.name in names]
