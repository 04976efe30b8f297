#!/usr/bin/python3
"""Checks bench/media_compare without running any transport: argument
handling, the plan, and the table of a made-up result (--format), with the
bytes-on-the-wire arithmetic. Exit status 0: all good; 1 with the problems
listed."""

import sys

from script_checks import REPO, check, check_dry_run, check_format, check_usage_errors, reported, run_script

SCRIPT = REPO / "bench/media_compare/media_compare.py"
sys.path.insert(0, str(SCRIPT.parent))

import media_compare  # noqa: E402
import stream  # noqa: E402


def check_arguments():
    check_dry_run(SCRIPT, ("delay 100ms loss 2%", "budget_ms=400", "tern-fec", "srt-fec", "packetfilter=fec", "rist"))
    usage = run_script(SCRIPT, "--help")
    check(usage.returncode == 0 and "--transport" in usage.stdout, "--help does not print the usage: " + usage.stderr)
    check_usage_errors(SCRIPT, (["--seconds", "0"], ["--budget", "5"], ["--fps", "0"], ["--transport", "quic"],
                                ["--seed", "-1"], ["--bogus"]))


def check_table():
    s = stream.Stream(4e6, 30, 20, 400)
    check(s.frames() == 600 and s.media_bytes() == 600 * 16666, "the stream's frame count or bytes are wrong")
    relay = {"up": {"bytes_in": 10_000_000, "packets_in": 8000}, "down": {"bytes_in": 100_000, "packets_in": 2000}}
    check(stream.wire_bytes(relay) == 10_100_000 + 28 * 10_000, "wire_bytes does not count both ways with headers")
    figures = {"frames": 600, "delivered": 597, "p50_ms": 101.2, "p99_ms": 140.5, "max_ms": 180.0, "relay": relay}
    row = media_compare.summary("tern-fec", "adaptive", figures, s.media_bytes())
    check(row["dropped"] == 3, "3 of 600 frames missing is not 3 dropped: %s" % row)
    check(abs(row["wire_per_media_byte"] - 10_380_000 / s.media_bytes()) < 1e-3, "wire per media byte: %s" % row)
    result = {"spec": "delay 100ms loss 2%", "seed": 7, "machine": {"cores": 2, "load_1min_at_start": 1.5},
              "stream": {"bits_per_second": 4e6, "fps": 30, "seconds": 20, "budget_ms": 400},
              "rows": [row, {"transport": "rist", "setup": "main profile", "failed": "ristsender exited 1"}]}
    check_format(SCRIPT, "media_compare", result,
                 ("| tern-fec | 101.2 | 140.5 | 3 of 600 (0.50%) | 1.038", "| rist | **failed**",
                  "ristsender exited 1", "load at start 1.50 on 2 cores"))


check_arguments()
check_table()
sys.exit(reported("media_compare_test"))
