#!/usr/bin/python3
"""Checks bench/schedule_compare without running any transport: argument
handling, the plan with its schedule, the split of a made-up run's frames
into steps (lost frames dropped, late ones counted apart, capture times against the
relay's start) and the table (--format). Exit status 0: all good; 1 with
the problems listed."""

import sys
import tempfile
from pathlib import Path

from script_checks import REPO, check, check_dry_run, check_format, check_usage_errors, reported

SCRIPT = REPO / "bench/schedule_compare/schedule_compare.py"
sys.path.insert(0, str(SCRIPT.parent))

import schedule_compare  # noqa: E402
from stream import Stream  # noqa: E402  (media_compare's, via schedule_compare)


def check_arguments():
    check_dry_run(SCRIPT, ("at 0s: rate 8mbit delay 50ms; at 21s: rate 2mbit delay 50ms; at 41s: rate 8mbit delay 50ms",
                           "budget_ms=300", "tern-adaptive", "tern-adaptive-rt", "tern-fixed", "srt"))
    check_usage_errors(SCRIPT, (["--step-seconds", "1"], ["--rates", ""], ["--rates", "8mbit;x"], ["--budget", "5"],
                                ["--transport", "quic"], ["--bogus"]))


def check_steps():
    # 3 steps of 2 s at 10 fps, the stream starting 0.5 s after the relay:
    # boundaries at 3 s and 5 s after the relay, 2.5 s and 4.5 s in stream time.
    s = Stream(1e6, 10, 6, 300)
    relay_ns = 1_000_000_000
    start_ns = relay_ns + 500_000_000
    lines = []
    for seq in range(60):
        if seq in (30, 31):
            continue  # lost, in the second step
        latency = 400.0 if seq == 50 else 60.0 + seq  # frame 50 late, in the third
        lines.append("%d %d %.3f" % (seq, start_ns + seq * 100_000_000, latency))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "frames"
        path.write_text("\n".join(lines) + "\n")
        r = schedule_compare.per_step({"frames_file": str(path), "relay_started_ns": relay_ns}, s,
                                      ["8mbit", "2mbit", "8mbit"], 2.0)
    steps = r["steps"]
    check([st["frames"] for st in steps] == [25, 20, 15], "frames per step: %s" % steps)
    check([st["dropped"] for st in steps] == [0, 2, 0], "dropped per step: %s" % steps)
    check([st["late"] for st in steps] == [0, 0, 1], "late per step: %s" % steps)
    check(steps[0]["p50_ms"] == 72.0 and steps[0]["p99_ms"] == 84.0, "first step's percentiles: %s" % steps[0])
    check(r["stream_start_after_relay_s"] == 0.5, "stream start: %s" % r)
    return steps


def check_table(steps):
    result = {"schedule": "at 0s: rate 8mbit delay 50ms; at 21s: rate 2mbit delay 50ms", "seed": 7,
              "rates": ["8mbit", "2mbit", "8mbit"], "step_seconds": 20,
              "machine": {"cores": 2, "load_1min_at_start": 1.5},
              "stream": {"bits_per_second": 6e6, "fps": 30, "seconds": 60, "budget_ms": 300},
              "rows": [{"transport": "tern-adaptive", "setup": "adaptive", "steps": steps},
                       {"transport": "srt", "setup": "live", "failed": "srt-live-transmit not found"}]}
    check_format(SCRIPT, "schedule_compare", result,
                 ("| tern-adaptive | 72.0 / 84.0, 0 + 0 of 25 |", "2mbit: p50 / p99 ms, dropped + late",
                  "| srt | **failed**", "srt-live-transmit not found"))


check_arguments()
check_table(check_steps())
sys.exit(reported("schedule_compare_test"))
