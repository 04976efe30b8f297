#!/usr/bin/python3
"""Checks bench/media_compare without running any transport: argument
handling, the plan, and the table of a made-up result (--format), with the
bytes-on-the-wire arithmetic. Exit status 0: all good; 1 with the problems
listed."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "bench/media_compare/media_compare.py"
sys.path.insert(0, str(SCRIPT.parent))

import media_compare  # noqa: E402
import stream  # noqa: E402

problems = []


def check(condition, what):
    if not condition:
        problems.append(what)
    return condition


def script(*args):
    return subprocess.run(["/usr/bin/python3", str(SCRIPT)] + list(args), capture_output=True, text=True,
                          timeout=60)


def check_arguments():
    proc = script("--dry-run")
    check(proc.returncode == 0, "--dry-run exited %d: %s" % (proc.returncode, proc.stderr))
    for expected in ("delay 100ms loss 2%", "budget_ms=400", "tern-fec", "srt-fec", "packetfilter=fec", "rist"):
        check(expected in proc.stdout, "--dry-run does not show %r:\n%s" % (expected, proc.stdout))
    usage = script("--help")
    check(usage.returncode == 0 and "--transport" in usage.stdout, "--help does not print the usage: " + usage.stderr)
    for bad in (["--seconds", "0"], ["--budget", "5"], ["--fps", "0"], ["--transport", "quic"], ["--seed", "-1"],
                ["--bogus"]):
        proc = script("--dry-run", *bad)
        check(proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.strip(),
              "%s: expected a usage error (exit 2, no traceback), got %d: %s" % (bad, proc.returncode, proc.stderr))


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
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.json"
        path.write_text(json.dumps({"media_compare": result}))
        proc = script("--format", str(path))
        check(proc.returncode == 0, "--format exited %d: %s" % (proc.returncode, proc.stderr))
        for expected in ("| tern-fec | 101.2 | 140.5 | 3 of 600 (0.50%) | 1.038", "| rist | **failed**",
                         "ristsender exited 1", "load at start 1.50 on 2 cores"):
            check(expected in proc.stdout, "--format does not show %r:\n%s" % (expected, proc.stdout))
        path.write_text("{}")
        proc = script("--format", str(path))
        check(proc.returncode == 2 and "not a result" in proc.stderr, "--format of {} is not refused: %s" % proc.stderr)


check_arguments()
check_table()
for p in problems:
    print("media_compare_test: " + p, file=sys.stderr)
sys.exit(1 if problems else 0)
