#!/usr/bin/python3
"""Runs the benchmark suite's steps on the smallest input (simulated.py
--smoke, matrix.py --smoke, then plots.py and table.py) and checks what they wrote: every
field the plots and the table read is there and has the right type, the
per-frame CSV agrees with the media summary, the PNGs are PNGs; and that a
malformed result file gets a clear error, not a traceback.

  smoke_test.py BUILD_DIR SCRATCH_DIR        (exit status 0: all good)"""

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from script_checks import REPO, check, reported

SUITE = REPO / "bench/suite"
SEED = 7



def step(script, build, out, *extra):
    argv = ["/usr/bin/python3", str(SUITE / script), "--build", str(build), "--out", str(out), "--seed", str(SEED)]
    proc = subprocess.run(argv + list(extra), capture_output=True, text=True, timeout=300)
    check(proc.returncode == 0, "%s exited %d: %s" % (script, proc.returncode, proc.stderr.strip()))
    return proc.stdout


NUMBER = "number"  # tern-sim writes numbers in %g form: 400 parses as int, 0.5 as float


def typed(obj, fields, where):
    for name, kind in fields.items():
        value = obj.get(name)
        if kind == NUMBER:
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        else:
            ok = isinstance(value, kind) and (kind is bool or not isinstance(value, bool))
        check(ok, "%s: field %s missing or not %s (got %r)" % (where, name, getattr(kind, "__name__", kind), value))


def check_simulated(out):
    data = json.loads((out / "simulated.json").read_text())
    typed(data.get("machine", {}), {"cpu_model": str, "cores": int, "kernel": str, "compiler": str,
                                    "tern_revision": str, "seed": int, "quick": bool}, "machine")
    check(data.get("machine", {}).get("seed") == SEED, "machine.seed is not the seed given")
    points = data.get("simulated", {}).get("points", [])
    check([p.get("sweep") for p in points] == ["loss", "media"], "expected one loss and one media point")
    for p in points:
        where = "point %s" % p.get("sweep")
        if not check("result" in p and "error" not in p, "%s failed: %s" % (where, p.get("error"))):
            continue
        r = p["result"]
        check(r.get("seed") == SEED, "%s: tern-sim ran with another seed" % where)
        if p["sweep"] == "loss":
            typed(r, {"goodput_bps": NUMBER, "mean_queue_delay_ms": NUMBER, "peak_queue_delay_ms": NUMBER}, where)
            check(0 < r.get("goodput_bps", 0) <= 20e6, "%s: goodput outside (0, link rate]" % where)
        else:
            typed(r, {"frames_sent": int, "frames_delivered": int, "latency_p50_ms": NUMBER,
                      "latency_p99_ms": NUMBER, "latency_max_ms": NUMBER, "deadline_ms": NUMBER}, where)
            check_frame_csv(out / p["params"]["frame_latencies_csv"], r)


def check_matrix(out):
    data = json.loads((out / "matrix.json").read_text())
    check(data.get("machine", {}).get("seed") == SEED, "matrix.json: machine.seed is not the seed given")
    matrix = data.get("matrix", {})
    check(matrix.get("seeds") == [SEED], "matrix.json: expected the one seed given")
    cells = matrix.get("cells", [])
    if not check(len(cells) == 1, "matrix.json: expected one cell, got %d" % len(cells)):
        return
    c = cells[0]
    typed(c, {"row": str, "cc": str, "link": str, "link_ratio_median": NUMBER, "baseline_ratio_median": NUMBER,
              "drop_fraction_max": NUMBER, "pass": bool, "runs": list}, "matrix cell")
    check(0 < c.get("link_ratio_median", 0) <= 1, "matrix cell: link ratio outside (0, 1]")
    check("tern-sim matrix" in matrix.get("command", ""), "matrix.json: no command")
    check((out / "matrix.md").exists() and "| buffer 0.1 BDP |" in (out / "matrix.md").read_text(),
          "matrix.md missing or without the row")


def check_frame_csv(path, media):
    if not check(path.exists(), "%s not written" % path.name):
        return
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    check(len(rows) == media.get("frames_sent"), "%s: %d rows for %s frames" % (path.name, len(rows),
                                                                             media.get("frames_sent")))
    delivered = [float(r["latency_ms"]) for r in rows if r["latency_ms"]]
    check(len(delivered) == media.get("frames_delivered"), "%s: delivered count differs from the JSON" % path.name)
    check(delivered and abs(max(delivered) - media.get("latency_max_ms", -1)) < 0.01,
          "%s: largest latency differs from latency_max_ms" % path.name)
    check(min(delivered or [0]) >= 50, "%s: a frame arrived faster than the 50 ms one-way delay" % path.name)


def check_bad_input(build, scratch):
    """A result file that is not what the suite wrote: a clear error, status 2, no traceback."""
    bad = scratch / "bad"
    bad.mkdir(parents=True)
    for content in ("not json", '{"machine": {}, "simulated": {"points": [{"sweep": "loss"}]}}'):
        (bad / "simulated.json").write_text(content)
        for script in ("plots.py", "table.py"):
            argv = ["/usr/bin/python3", str(SUITE / script), "--build", str(build), "--out", str(bad)]
            if script == "plots.py":
                argv += ["--plots", str(bad / "plots")]
            proc = subprocess.run(argv, capture_output=True, text=True, timeout=120)
            check(proc.returncode == 2 and proc.stderr.startswith("bench: ") and "Traceback" not in proc.stderr,
                  "%s on %r: status %d, stderr %r" % (script, content[:20], proc.returncode, proc.stderr[-200:]))


def main():
    build, scratch = Path(sys.argv[1]), Path(sys.argv[2])
    shutil.rmtree(scratch, ignore_errors=True)
    out, plots = scratch / "results", scratch / "plots"
    step("simulated.py", build, out, "--smoke")
    if (out / "simulated.json").exists():
        check_simulated(out)
    else:
        check(False, "simulated.json not written")
    step("matrix.py", build, out, "--smoke")
    if check((out / "matrix.json").exists(), "matrix.json not written"):
        check_matrix(out)
    step("plots.py", build, out, "--plots", str(plots))
    for png in ("goodput-vs-loss", "goodput-vs-rtt", "queue-vs-buffer", "media-latency-cdf"):
        path = plots / (png + ".png")
        check(path.exists() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", "%s.png missing or not a PNG" % png)
    table = step("table.py", build, out)
    check("50 ms, 1%" in table, "the table has no line for the loss point")
    check("loss    5%" in table, "the table has no line for the media point")
    check(" of 1 bbr cells miss a floor" in table, "the table has no line for the matrix")
    check_bad_input(build, scratch)
    return reported("bench_suite.smoke (seed %d)" % SEED)


if __name__ == "__main__":
    sys.exit(main())
