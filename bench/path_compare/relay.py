"""tern-netem in the two forms the tools cross: a UDP relay on loopback
(tern-cp, ngtcp2, SRT) and --tun between two network namespaces (kernel
TCP). The same spec goes both ways in both (counting the UDP relay's packets
with their IP and UDP headers, rows.py), with the same seed; the link
runs as SCHED_FIFO (--realtime) so that, on a loaded machine, a descheduled
relay does not add its own stalls to whichever tool happens to be running."""

import json
import time
from dataclasses import dataclass

from processes import wait_for_line

REALTIME_PRIORITY = "10"


@dataclass
class Relay:
    proc: object
    port: int = 0          # UDP relay: where clients connect
    sender_ns: str = ""    # --tun: 198.18.0.1 lives here
    receiver_ns: str = ""  # --tun: 198.18.0.2 lives here
    started_ns: int = 0    # UDP relay: CLOCK_MONOTONIC just before it was started


TUN_RECEIVER_ADDRESS = "198.18.0.2"


def _start(ctx, name, mode_args, spec, stats_json=False, schedule=None):
    argv = [str(ctx.netem)] + mode_args + ["--up", spec, "--down", spec, "--seed", str(ctx.seed),
                                           "--realtime", REALTIME_PRIORITY] + (["--stats-json"] if stats_json else [])
    if schedule:
        # tern-netem reads its schedule from a file; its clock starts with the relay.
        path = ctx.work / (name + ".schedule")
        path.write_text(schedule + "\n")
        argv += ["--schedule", str(path)]
    out, err = ctx.work / (name + ".netem.out"), ctx.work / (name + ".netem.err")
    return ctx.processes.start(argv, out, err), out, err


def start_udp(ctx, name, server_port, row, stats_json=False, schedule=None):
    """A relay with row's path in front of 127.0.0.1:server_port; None if it
    did not come up. stats_json: it prints its counts at exit (stats_of).
    schedule: tern-netem --schedule text (time-varying specs, both ways),
    timed from the relay's start, which Relay.started_ns gives (CLOCK_MONOTONIC,
    the clock of the frame programs' capture times)."""
    started_ns = time.monotonic_ns()
    proc, out, _ = _start(ctx, name, ["--listen", "127.0.0.1:0", "--connect", "127.0.0.1:%d" % server_port],
                          row.spec(udp_payloads=True), stats_json, schedule)
    m = wait_for_line(out, r"^listening \S*:(\d+)", proc)
    return Relay(proc, port=int(m.group(1)), started_ns=started_ns) if m else None


def start_tun(ctx, name, row):
    """Two namespaces joined through a link with row's path; None if it did
    not come up."""
    proc, out, _ = _start(ctx, name, ["--tun"], row.spec())
    m = wait_for_line(out, r"^tun (\S+) \S+ (\S+) \S+", proc)
    return Relay(proc, sender_ns=m.group(1), receiver_ns=m.group(2)) if m else None


def stats_of(ctx, name):
    """The counts a relay started with stats_json printed when it was
    stopped (tern-netem --stats-json: "up" and "down", packets and bytes
    in and out), or None."""
    try:
        lines = (ctx.work / (name + ".netem.out")).read_text(errors="replace").splitlines()
        return json.loads(next(line for line in reversed(lines) if line.startswith("{")))
    except (OSError, StopIteration, ValueError):
        return None


def log_of(ctx, name):
    return ctx.work / (name + ".netem.err")
