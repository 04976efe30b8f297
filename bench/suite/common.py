"""What every step of the benchmark suite shares: where things are, the
machine description that goes into every result file, and JSON I/O.

Results are written as {"machine": {...}, <section>: ...} so that each file
says on its own which machine, compiler, revision and seed produced it."""

import json
import os
import platform
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def fail(message):
    print("bench: " + message, file=sys.stderr)
    sys.exit(2)


def _first_line(command):
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=30, cwd=REPO)
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = out.stdout.strip().splitlines()
    return lines[0] if out.returncode == 0 and lines else None


def _cpu_model():
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    for key in ("model name", "Hardware", "cpu model"):
        m = re.search(r"^%s\s*:\s*(.+)$" % key, text, re.MULTILINE)
        if m:
            return m.group(1).strip()
    return platform.processor() or "unknown"


def _compiler(build_dir):
    """The C++ compiler CMake configured the build with, as `--version` names it."""
    cache = Path(build_dir) / "CMakeCache.txt"
    try:
        m = re.search(r"^CMAKE_CXX_COMPILER:\w+=(.+)$", cache.read_text(), re.MULTILINE)
    except OSError:
        m = None
    compiler = m.group(1).strip() if m else "c++"
    return _first_line([compiler, "--version"]) or compiler


def machine(build_dir, seed, quick):
    revision = _first_line(["git", "rev-parse", "HEAD"]) or "unknown"
    dirty = _first_line(["git", "status", "--porcelain", "--untracked-files=no"]) is not None
    return {
        "cpu_model": _cpu_model(),
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "os": platform.system(),
        "compiler": _compiler(build_dir),
        "tern_revision": revision + ("-dirty" if dirty else ""),
        "seed": seed,
        "quick": quick,
    }


def short_revision(machine_description):
    """The revision as people read it: 12 hex digits, -dirty kept."""
    revision = machine_description["tern_revision"]
    return revision[:12] + ("-dirty" if revision.endswith("-dirty") else "")


def write_result(path, machine_description, section, value):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps({"machine": machine_description, section: value}, indent=1) + "\n")
    tmp.replace(path)


def read_result(path, section):
    """(machine description, section) of a result file, or (None, None) when
    the file is absent. A file that is there but not a result of this suite
    is an error, not a skip."""
    path = Path(path)
    if not path.exists():
        return None, None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        fail("%s: not valid JSON (%s)" % (path, e))
    if not isinstance(data, dict) or section not in data or not isinstance(data.get("machine"), dict):
        fail("%s: not a result file of this suite (no \"machine\" or \"%s\")" % (path, section))
    return data["machine"], data[section]


def arguments(description, extra=None):
    """The options every step takes; `extra(parser)` may add its own."""
    import argparse

    p = argparse.ArgumentParser(description=description)
    p.add_argument("--build", default=str(REPO / "build/release"), help="the release build directory")
    p.add_argument("--out", default=str(REPO / "bench/results/latest"), help="where result files go")
    p.add_argument("--seed", type=int, default=1, help="seed of every simulated run")
    p.add_argument("--quick", action="store_true", help="fewer points and shorter runs")
    if extra:
        extra(p)
    args = p.parse_args()
    if args.seed < 0:
        fail("--seed must be a non-negative integer")
    return args


def grouped(points, sweep):
    """The successful results of one sweep, grouped by their parameters less
    the seed: {((param, value), ...): [result, ...]}."""
    groups = {}
    for p in points:
        if p["sweep"] != sweep or "result" not in p:
            continue
        key = tuple(sorted((k, v) for k, v in p["params"].items() if k not in ("seed", "frame_latencies_csv")))
        groups.setdefault(key, []).append(p["result"])
    return groups


def spread(values):
    """(mean, min, max) of a non-empty list."""
    return sum(values) / len(values), min(values), max(values)


def run_reader(main):
    """Runs the main of a step that reads result files, turning a file with
    unexpected content (a field missing, of the wrong type) into a clear
    error instead of a traceback. Returns the exit status."""
    try:
        return main()
    except (KeyError, TypeError, ValueError, IndexError) as e:
        fail("a result file does not have the expected content (%s: %s); rerun bench/run.sh"
             % (type(e).__name__, e))
