#!/usr/bin/python3
"""The real-socket benchmarks other parts of the suite deliver, called by
name and skipped with a note when absent:

  build/release/bench/loopback/tern-bench-loopback   prints one JSON object
  bench/tcp_compare/run.sh [--quick] --out FILE      tern vs TCP vs SRT via tern-netem --tun (root)
  bench/compare_srt/run.sh                            tern-cp vs srt-file-transmit

Writes <out>/loopback.json, <out>/tcp_compare.json and <out>/compare_srt.json
(each {"machine": ..., "<name>": ...}); a skipped or failed step is recorded
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


def compare_srt():
    script = common.REPO / "bench/compare_srt/run.sh"
    if not script.exists():
        return {"skipped": "bench/compare_srt/run.sh is not in this tree"}
    stdout, _, error = call([str(script)])
    if error:
        return {"error": error}
    value = parsed_json(stdout)
    return value if value is not None else {"output": stdout.strip().splitlines()}


def main():
    args = common.arguments(__doc__.splitlines()[0])
    machine = common.machine(args.build, args.seed, args.quick)
    steps = {
        "loopback": lambda: loopback(args.build, args.quick),
        "tcp_compare": lambda: tcp_compare(args.build, args.out, args.quick),
        "compare_srt": compare_srt,
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
