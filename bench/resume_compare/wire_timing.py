#!/usr/bin/env python3
"""Reads a loopback capture of resume_compare.sh's runs and times each run
on the wire, one clock for every client: the capture's timestamps and the
wall-clock moment each client said it had its first byte.

  wire_timing.py --pcap FILE --relay-port R --server-port S --runs FILE
                 [--kinds NAME,NAME... --per N]

--runs holds one line per client run, "START FIRST_BYTE [OWN_MS]": START
and FIRST_BYTE in seconds of the wall clock (since_start.py --wall),
FIRST_BYTE "n/a" when there was none; OWN_MS, when given, is the client's
own stamp of its first byte in whole ms from its first datagram sent (a
client whose log lines reach the pipe late, as ngtcp2's verbose log does:
its stamp, not the line's arrival, then finds the answer's datagram).
The capture (tcpdump -i lo -w) holds both legs of the relay (tern-netem):
client -> relay port R and relay -> server port S, and back. For each run
(its packets are those after START and before the next run's START) it
prints one JSON line, all times in ms (with --kinds: the runs are taken
as --per runs of each kind in turn, and one JSON object follows on the last
line, the median of each figure per kind):

  answer_on_wire    first client datagram on the wire -> the datagram that
                    brought the first byte on the wire to the client (the
                    last one before the first byte): the like-for-like
                    figure, the same start and end for every client
  wire_first_byte   first client datagram on the wire -> the client's line
  first_flight      client datagrams sent before the server's first answer
                    reached the client, and their bytes
  server_turn       the server's first answer leaving it minus the last
                    datagram of the client's first flight reaching it (its
                    processing of the first flight)
  relay_up / relay_down
                    relay latency on each leg for the first datagram
  client_answer     last datagram to the client before the first byte ->
                    the first byte (the client's processing of the answer)
  start_to_wire     process start -> first client datagram (start-up and
                    building the first flight)
"""
import argparse
import json
import statistics
import struct
import sys

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113
LINKTYPE_NULL = 0


def packets(path):
    """Yields (time in s, src port, dst port, UDP payload bytes) per UDP/IPv4 datagram."""
    with open(path, "rb") as f:
        header = f.read(24)
        if len(header) < 24:
            return
        magic = struct.unpack("<I", header[:4])[0]
        if magic in (0xA1B2C3D4, 0xA1B23C4D):
            endian = "<"
        else:
            endian = ">"
            magic = struct.unpack(">I", header[:4])[0]
        if magic not in (0xA1B2C3D4, 0xA1B23C4D):
            raise ValueError(f"{path}: not a pcap file")
        fraction = 1e-9 if magic == 0xA1B23C4D else 1e-6
        linktype = struct.unpack(endian + "I", header[20:24])[0]
        offset = {LINKTYPE_ETHERNET: 14, LINKTYPE_LINUX_SLL: 16, LINKTYPE_NULL: 4}.get(linktype)
        if offset is None:
            raise ValueError(f"{path}: link type {linktype} not handled")
        while True:
            record = f.read(16)
            if len(record) < 16:
                return
            sec, frac, caplen, _ = struct.unpack(endian + "IIII", record)
            data = f.read(caplen)
            ip = data[offset:]
            if len(ip) < 28 or ip[0] >> 4 != 4 or ip[9] != 17:
                continue
            ihl = (ip[0] & 0x0F) * 4
            sport, dport, length = struct.unpack(">HHH", ip[ihl:ihl + 6])
            yield sec + frac * fraction, sport, dport, length - 8


def time_run(pkts, start, first_byte, own_ms, relay_port, server_port):
    up = [p for p in pkts if p[2] == relay_port]  # client -> relay
    if not up:
        return {"error": "no client datagram"}
    client_port = up[0][1]
    up = [p for p in up if p[1] == client_port]
    down = [p for p in pkts if p[1] == relay_port and p[2] == client_port]  # relay -> client
    to_server = [p for p in pkts if p[2] == server_port]
    from_server = [p for p in pkts if p[1] == server_port]
    t0 = up[0][0]
    out = {"start_to_wire": (t0 - start) * 1000}
    if to_server:
        out["relay_up"] = (to_server[0][0] - t0) * 1000
    if from_server:
        answer = from_server[0][0]
        flight_in = [p for p in to_server if p[0] < answer]
        if flight_in:
            out["server_turn"] = (answer - flight_in[-1][0]) * 1000
            out["server_first_flight_datagrams"] = len(flight_in)
        if down:
            out["relay_down"] = (down[0][0] - answer) * 1000
    if down:
        flight = [p for p in up if p[0] < down[0][0]]
        out["first_flight"] = {"datagrams": len(flight), "bytes": sum(p[3] for p in flight)}
        out["first_answer_at"] = (down[0][0] - t0) * 1000
    if first_byte is not None:
        out["wire_first_byte"] = (first_byte - t0) * 1000
        # A whole-ms own stamp was cut down: the byte came within the next ms.
        seen_by = first_byte if own_ms is None else t0 + (own_ms + 1) / 1000
        before = [p for p in down if p[0] <= seen_by]
        if before:
            out["answer_on_wire"] = (before[-1][0] - t0) * 1000
            out["client_answer"] = (first_byte - before[-1][0]) * 1000
            out["answer_datagrams_before_first_byte"] = len(before)
    return {k: (round(v, 2) if isinstance(v, float) else v) for k, v in out.items()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pcap", required=True)
    ap.add_argument("--relay-port", type=int, required=True)
    ap.add_argument("--server-port", type=int, required=True)
    ap.add_argument("--runs", required=True)
    ap.add_argument("--kinds", default="")
    ap.add_argument("--per", type=int, default=0)
    a = ap.parse_args()
    runs = []
    with open(a.runs) as f:
        for line in f:
            fields = line.split()
            if len(fields) >= 2:
                own = float(fields[2]) if len(fields) > 2 and fields[2] != "n/a" and fields[2] else None
                runs.append((float(fields[0]), None if fields[1] == "n/a" else float(fields[1]), own))
    ports = (a.relay_port, a.server_port)
    pkts = [p for p in packets(a.pcap) if p[1] in ports or p[2] in ports]
    timed = []
    for i, (start, first_byte, own_ms) in enumerate(runs):
        end = runs[i + 1][0] if i + 1 < len(runs) else float("inf")
        mine = [p for p in pkts if start <= p[0] < end]
        timed.append(time_run(mine, start, first_byte, own_ms, a.relay_port, a.server_port))
        print(json.dumps(timed[-1]))
    if a.kinds and a.per > 0:
        medians = {}
        for k, kind in enumerate(a.kinds.split(",")):
            group = timed[k * a.per:(k + 1) * a.per]
            figures = {}
            for name in ("answer_on_wire", "wire_first_byte", "start_to_wire", "relay_up", "server_turn", "relay_down",
                         "client_answer", "first_answer_at"):
                values = [r[name] for r in group if name in r]
                if values:
                    figures[name] = round(statistics.median(values), 2)
            flights = [r["first_flight"]["datagrams"] for r in group if "first_flight" in r]
            if flights:
                figures["first_flight_datagrams"] = statistics.median(flights)
            medians[kind] = figures
        print(json.dumps(medians))
    return 0


if __name__ == "__main__":
    sys.exit(main())
