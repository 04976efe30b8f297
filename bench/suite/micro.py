#!/usr/bin/python3
"""The micro benchmarks: every Google Benchmark binary of the release build
(build/release/bench/*/bench_*), each run with JSON output.

These measure wall-clock CPU time on this machine, so they vary with the
machine and its load; nothing asserts on them. Writes <out>/micro.json:
{"machine": ..., "micro": {"<binary>": <Google Benchmark JSON>}}."""

import json
import subprocess
import sys
import time
from pathlib import Path

import common


def binaries(build_dir):
    return sorted(p for p in (Path(build_dir) / "bench").glob("*/bench_*") if p.is_file() and p.stat().st_mode & 0o111)


def run(binary, quick):
    # 0.2 s per benchmark keeps the full suite within its time budget
    # (docs/benchmarks.md); Google Benchmark's default is 0.5 s.
    argv = [str(binary), "--benchmark_format=json", "--benchmark_min_time=%s" % ("0.01" if quick else "0.2")]
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=900)
    except subprocess.TimeoutExpired:
        return None, "took over 900 s"
    try:
        report = json.loads(proc.stdout)
    except ValueError:
        report = None
    if proc.returncode != 0 or not isinstance(report, dict) or "benchmarks" not in report:
        return None, proc.stderr.strip() or "exit status %d" % proc.returncode
    return report, None


def main():
    args = common.arguments(__doc__.splitlines()[0])
    found = binaries(args.build)
    if not found:
        common.fail("no bench_* binaries under %s/bench: build the release preset first" % args.build)
    started = time.monotonic()
    reports, failed = {}, 0
    for binary in found:
        report, error = run(binary, args.quick)
        if error:
            failed += 1
            print("bench: %s: %s" % (binary.name, error), file=sys.stderr)
            continue
        reports[binary.name] = report
    machine = common.machine(args.build, args.seed, args.quick)
    common.write_result(Path(args.out) / "micro.json", machine, "micro", reports)
    count = sum(len(r["benchmarks"]) for r in reports.values())
    print("micro: %d benchmarks from %d binaries (%d failed) in %.0f s" % (count, len(reports), failed,
                                                                         time.monotonic() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
