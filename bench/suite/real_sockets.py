#!/usr/bin/python3
"""The real-socket benchmarks other parts of the suite deliver, called by
name and skipped with a note when absent:

  build/release/bench/loopback/tern-bench-loopback   prints one JSON object
  bench/tcp_compare/run.sh [--quick] --out FILE      tern vs TCP vs SRT via tern-netem --tun (root)
  bench/compare_srt/compare_srt.sh --size BYTES       tern-cp vs srt-file-transmit (50 MB; 10 MB quick)
  bench/path_compare/path_compare.py --json FILE      tern-cp vs ngtcp2, SRT, kernel TCP on matrix rows
                                                      (10 MB, 3 rows; median of 3 unless quick)
  bench/media_compare/media_compare.py --json FILE    tern with/without FEC vs SRT live (with/without FEC)
                                                      and RIST, one 4 Mbit/s frame stream, 2% loss
                                                      (20 s per transport; 8 s quick)
  bench/resume_compare/resume_compare.sh --json FILE  time to first byte, tern vs ngtcp2, full and
                                                      resumed 0-RTT, 100 ms RTT (5 runs; 3 quick)
  bench/schedule_compare/schedule_compare.py --json FILE
                                                      tern adaptive / fixed vs SRT live through the rate
                                                      step 8 -> 2 -> 8 Mbit/s (20 s steps; 8 s quick)

Writes <out>/loopback.json, <out>/tcp_compare.json, <out>/compare_srt.json,
<out>/path_compare.json, <out>/media_compare.json, <out>/resume_compare.json and
<out>/schedule_compare.json (each {"machine": ..., "<name>": ...}); a skipped or failed step is recorded
as {"skipped": why} or {"error": why} so the table can say so."""

import json
import os
import subprocess
import sys
from pathlib import Path

import common

TIMEOUT_S = 900


def call(argv):
    """(stdout, exit status, why it failed or None)."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, cwd=common.REPO)
    except subprocess.TimeoutExpired:
        return "", None, "took over %d s" % TIMEOUT_S
    except OSError as e:
        return "", None, str(e)
    if proc.returncode != 0:
        tail = (proc.stderr.strip() or proc.stdout.strip()).splitlines()[-3:]
        return proc.stdout, proc.returncode, "exit status %d: %s" % (proc.returncode, " / ".join(tail))
    return proc.stdout, 0, None


def parsed_json(text):
    try:
        return json.loads(text)
    except ValueError:
        return None


def loopback(build_dir, quick):
    binary = Path(build_dir) / "bench/loopback/tern-bench-loopback"
    if not binary.exists():
        return {"skipped": "%s not built" % binary}
    stdout, status, error = call([str(binary)] + (["--duration-ms", "500"] if quick else []))
    value = parsed_json(stdout)
    if not isinstance(value, dict):
        return {"error": error or "output is not one JSON object"}
    # Exit status 1 flags one failed measurement; the object says which.
    if error:
        value["exit_status"] = status
    return value


def tcp_compare(build_dir, out_dir, quick):
    script = common.REPO / "bench/tcp_compare/run.sh"
    if not script.exists():
        return {"skipped": "bench/tcp_compare/run.sh is not in this tree"}
    if os.geteuid() != 0:
        return {"skipped": "needs root (tern-netem --tun)"}
    raw = Path(out_dir) / "tcp_compare.raw.json"
    _, _, error = call([str(script)] + (["--quick"] if quick else []) + ["--out", str(raw)])
    if error:
        return {"error": error}
    value = parsed_json(raw.read_text()) if raw.exists() else None
    return value if value is not None else {"error": "%s: missing or not JSON" % raw.name}


# compare_srt.sh prints a table; each row is "RTT loss tern-cp srt ratio
# srt-full", a time being seconds or "failed".
COMPARE_SRT_BYTES = 50_000_000
COMPARE_SRT_QUICK_BYTES = 10_000_000


def seconds_or_none(text):
    try:
        return float(text)
    except ValueError:
        return None


def compare_srt_rows(stdout):
    rows, failures = [], []
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) == 6 and fields[0].endswith("ms") and fields[1].endswith("%"):
            rows.append({"rtt_ms": int(fields[0][:-2]), "loss_percent": float(fields[1][:-1]),
                         "tern_cp_s": seconds_or_none(fields[2]), "srt_s": seconds_or_none(fields[3]),
                         "ratio": seconds_or_none(fields[4]), "srt_file_complete_s": seconds_or_none(fields[5])})
        elif line.startswith("compare_srt: FAILED "):
            failures.append(line[len("compare_srt: FAILED "):])
    return rows, failures


def compare_srt(quick):
    script = common.REPO / "bench/compare_srt/compare_srt.sh"
    if not script.exists():
        return {"skipped": "bench/compare_srt/compare_srt.sh is not in this tree"}
    size = COMPARE_SRT_QUICK_BYTES if quick else COMPARE_SRT_BYTES
    stdout, status, error = call([str(script), "--size", str(size)])
    rows, failures = compare_srt_rows(stdout)
    if not rows:
        return {"error": error or "compare_srt.sh printed no result rows"}
    # A failed transfer is a result (the other tool's time is kept), not a
    # failed benchmark step.
    return {"bytes": size, "runs": rows, "failures": failures, "exit_status": status}


def json_script(out_dir, name, options):
    """Runs bench/<name>/<name>.py with options and --json, and returns what
    it wrote under its name; skipped when it exits 77 (nothing built to
    compare) or is not in this tree."""
    script = common.REPO / "bench" / name / (name + ".py")
    if not script.exists():
        return {"skipped": "bench/%s/%s.py is not in this tree" % (name, name)}
    raw = Path(out_dir) / (name + ".raw.json")
    _, status, error = call(["/usr/bin/python3", str(script)] + options + ["--json", str(raw)])
    if status == 77:
        return {"skipped": error}
    if error:
        return {"error": error}
    value = parsed_json(raw.read_text()) if raw.exists() else None
    if not isinstance(value, dict) or name not in value:
        return {"error": "%s: missing or not JSON" % raw.name}
    return value[name]


def path_compare(out_dir, build_dir, quick):
    # Its quick row set either way (the full six rows at 50 MB take several
    # minutes a repetition; docs/benchmarks.md has that table): one
    # repetition for BENCH_QUICK, the median of three otherwise.
    return json_script(out_dir, "path_compare", ["--bin", str(Path(build_dir) / "tools"), "--quick",
                                                 "--repetitions", "1" if quick else "3"])


def media_compare(out_dir, build_dir, quick):
    return json_script(out_dir, "media_compare", ["--build", str(build_dir), "--seconds", "8" if quick else "20"])


def resume_compare(out_dir, build_dir, quick):
    script = common.REPO / "bench/resume_compare/resume_compare.sh"
    if not script.exists():
        return {"skipped": "bench/resume_compare/resume_compare.sh is not in this tree"}
    raw = Path(out_dir) / "resume_compare.raw.json"
    _, status, error = call([str(script), "--build", str(build_dir), "--runs", "3" if quick else "5",
                             "--json", str(raw)])
    if status == 2:
        return {"skipped": error}
    if error:
        return {"error": error}
    value = parsed_json(raw.read_text()) if raw.exists() else None
    return value if isinstance(value, dict) else {"error": "%s: missing or not JSON" % raw.name}


def schedule_compare(out_dir, build_dir, quick):
    return json_script(out_dir, "schedule_compare", ["--build", str(build_dir), "--step-seconds",
                                                     "8" if quick else "20"])


def main():
    args = common.arguments(__doc__.splitlines()[0])
    machine = common.machine(args.build, args.seed, args.quick)
    steps = {
        "loopback": lambda: loopback(args.build, args.quick),
        "tcp_compare": lambda: tcp_compare(args.build, args.out, args.quick),
        "compare_srt": lambda: compare_srt(args.quick),
        "path_compare": lambda: path_compare(args.out, args.build, args.quick),
        "media_compare": lambda: media_compare(args.out, args.build, args.quick),
        "resume_compare": lambda: resume_compare(args.out, args.build, args.quick),
        "schedule_compare": lambda: schedule_compare(args.out, args.build, args.quick),
    }
    failed = 0
    for name, step in steps.items():
        value = step()
        note = value.get("skipped") or value.get("error") if isinstance(value, dict) else None
        if isinstance(value, dict) and "error" in value:
            failed += 1
        print("%s: %s" % (name, note or "done"))
        common.write_result(Path(args.out) / (name + ".json"), machine, name, value)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
