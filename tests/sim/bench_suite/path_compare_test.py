#!/usr/bin/python3
"""Checks bench/path_compare without the peers it compares against.

  path_compare_test.py format              argument handling, the plan, the
                                           table and verdicts from made-up
                                           transfers, the integrity check
  path_compare_test.py transfer BUILD_DIR  one small tern-cp transfer through
                                           the relay, end to end (exit 77 when
                                           tern-cp or tern-netem is not built)

Exit status 0: all good; 1 with the problems listed; 77 skipped."""

import json
import os
import sys
import tempfile
from pathlib import Path

from script_checks import REPO, check, reported, run_script

SCRIPT = REPO / "bench/path_compare/path_compare.py"
sys.path.insert(0, str(SCRIPT.parent))

import payload  # noqa: E402
import report  # noqa: E402

def script(*args, timeout=120):
    return run_script(SCRIPT, *args, timeout=timeout)


def check_arguments():
    proc = script("--dry-run")
    check(proc.returncode == 0, "--dry-run exited %d: %s" % (proc.returncode, proc.stderr))
    for expected in ("clean, 30 ms", "rate 100mbit delay 15ms limit 376", "loss 1%, 200 ms",
                     "rate 100mbit delay 100ms limit 2501 loss 1%", "reorder 3%", "20ms distribution normal",
                     "buffer 0.25 BDP, 40 ms", "rate 100mbit delay 20ms limit 250", "tcp-cubic", "50000000 bytes"):
        check(expected in proc.stdout, "--dry-run does not show %r:\n%s" % (expected, proc.stdout))
    usage = script("--help")
    check(usage.returncode == 0 and "--quick" in usage.stdout and "Traceback" not in usage.stderr,
          "--help does not print the usage: " + usage.stderr)
    quick = script("--dry-run", "--quick")
    check("10000000 bytes" in quick.stdout and "loss 1%, 200 ms" not in quick.stdout,
          "--quick is not 10 MB on fewer rows:\n" + quick.stdout)
    for bad in (["--repetitions", "0"], ["--row", "no such row"], ["--size", "-5"], ["--tool", "vegas"],
                ["--tool", "srt"], ["--timeout", "0"], ["--bogus"]):
        proc = script("--dry-run", *bad)
        check(proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.strip(),
              "%s: expected a usage error (exit 2, no traceback), got %d: %s" % (bad, proc.returncode, proc.stderr))


def transfer(row, tool, repetition, status, seconds=None, reason=""):
    return {"row": row, "tool": tool, "repetition": repetition, "status": status, "seconds": seconds,
            "reason": reason}


def check_report():
    size = 10_000_000
    rows = [{"name": "fast", "spec": "a"}, {"name": "slow", "spec": "b"}, {"name": "flaky", "spec": "c"}]
    tools = ["tern-cp", "ngtcp2", "tcp-bbr"]
    transfers = [
        transfer("fast", "tern-cp", 0, "ok", 1.0), transfer("fast", "tern-cp", 1, "ok", 3.0),
        transfer("fast", "tern-cp", 2, "ok", 2.0), transfer("fast", "ngtcp2", 0, "ok", 2.5),
        transfer("fast", "tcp-bbr", 0, "unavailable", reason="no bbr"),
        transfer("slow", "tern-cp", 0, "ok", 4.0), transfer("slow", "ngtcp2", 0, "ok", 2.0),
        transfer("slow", "tcp-bbr", 0, "failed", reason="timed out"),
        transfer("flaky", "tern-cp", 0, "ok", 1.0), transfer("flaky", "tern-cp", 1, "failed", reason="sha256 differs"),
        transfer("flaky", "ngtcp2", 0, "ok", 5.0),
    ]
    summary = report.summarize(transfers, rows, tools, "tern-cp", size)
    fast, slow, flaky = summary
    check(fast["cells"]["tern-cp"]["median_s"] == 2.0, "median of 1, 3, 2 s is not 2 s: %r" % fast["cells"])
    check(fast["cells"]["tern-cp"]["mbit_per_s"] == 40.0, "10 MB in 2 s is not 40 Mbit/s")
    check(fast["tern_at_least_as_fast"] is True, "tern 2 s vs 2.5 s is not judged at least as fast")
    check(slow["tern_at_least_as_fast"] is False and "2.00x slower" in slow["verdict"],
          "tern 4 s vs 2 s: %r" % slow["verdict"])
    check(flaky["tern_at_least_as_fast"] is False and "failed 1/2" in flaky["verdict"],
          "a failed tern repetition still counts as a win: %r" % flaky["verdict"])
    table = report.markdown(summary, tools)
    lines = table.splitlines()
    check(len(lines) == 5 and all(line.count("|") == len(tools) + 3 for line in lines),
          "the table is not 2 header lines and 3 rows of %d cells:\n%s" % (len(tools) + 2, table))
    check("unavailable" in lines[2] and "**failed 1/1**" in lines[3] and "(**1/2 failed**)" in lines[4],
          "unavailable and failed cells are not shown as such:\n" + table)
    notes = "\n".join(report.failure_notes(summary))
    check("sha256 differs" in notes and "no bbr" in notes and "timed out" in notes,
          "the reasons are not listed:\n" + notes)

    with tempfile.TemporaryDirectory() as d:
        result = {"bytes": size, "repetitions": 3, "tools": tools, "rows": summary}
        (Path(d) / "r.json").write_text(json.dumps({"path_compare": result}))
        proc = script("--format", str(Path(d) / "r.json"))
        check(proc.returncode == 0 and table in proc.stdout, "--format does not print the table: " + proc.stderr)
        (Path(d) / "bad.json").write_text("{\"something\": 1}")
        proc = script("--format", str(Path(d) / "bad.json"))
        check(proc.returncode == 2 and "Traceback" not in proc.stderr, "--format on a foreign file: " + proc.stderr)


def check_integrity():
    with tempfile.TemporaryDirectory() as d:
        original = Path(d) / "payload.bin"
        digest = payload.make(original, 300_000, 7)
        check(digest == payload.make(Path(d) / "again.bin", 300_000, 7), "the payload is not the same for one seed")
        check(payload.problem(original, 300_000, digest) is None, "an intact file is judged damaged")
        data = bytearray(original.read_bytes())
        data[123_456] ^= 1
        damaged = Path(d) / "damaged.bin"
        damaged.write_bytes(bytes(data))
        check("sha256" in (payload.problem(damaged, 300_000, digest) or ""), "one flipped bit is not caught")
        damaged.write_bytes(bytes(data[:-1]))
        check("299999 of 300000" in (payload.problem(damaged, 300_000, digest) or ""), "a short file is not caught")
        check(payload.problem(Path(d) / "absent", 300_000, digest) == "no file received", "a missing file")


def check_transfer(build):
    tools = Path(build) / "tools"
    for needed in (tools / "tern-cp/tern-cp", tools / "tern-netem/tern-netem"):
        if not os.access(needed, os.X_OK):
            print("path_compare_test: skipped: %s is not built" % needed)
            return 77
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "result.json"
        proc = script("--bin", str(tools), "--size", "2000000", "--row", "loss 1%, 30 ms", "--tool", "tern-cp",
                      "--repetitions", "2", "--timeout", "60", "--json", str(out), timeout=300)
        check(proc.returncode == 0, "exited %d: %s" % (proc.returncode, proc.stderr))
        result = json.loads(out.read_text())["path_compare"] if out.exists() else {}
        cells = result.get("rows", [{}])[0].get("cells", {})
        tern = cells.get("tern-cp", {})
        check(tern.get("ok") == 2 and tern.get("median_s", 0) > 0,
              "two intact tern-cp transfers expected: %r\n%s" % (tern, proc.stderr))
        check(len(result.get("transfers", [])) == 2, "not one record per transfer")
    return 0


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else ""
    if mode == "format":
        check_arguments()
        check_report()
        check_integrity()
    elif mode == "transfer" and len(sys.argv) == 3:
        if check_transfer(sys.argv[2]) == 77:
            return 77
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return reported("FAIL")


if __name__ == "__main__":
    sys.exit(main())
