#!/usr/bin/python3
"""tern-cp against ngtcp2 (HTTP/3, BBR), SRT's file mode and kernel TCP
(BBR and CUBIC), side by side in one run: the same file through the same
tern-netem spec, for path rows drawn from the virtual-time matrix
(rows.py). Every transfer is checked (size and sha256); a failed or
corrupted one is counted as a failure, never as a time.

  bench/path_compare/path_compare.py [--quick] [--size BYTES] [--repetitions N]
      [--row NAME]... [--tool NAME]... [--timeout S] [--seed N]
      [--bin DIR] [--json FILE] [--markdown FILE] [--dry-run]
  bench/path_compare/path_compare.py --format RESULT.json     (table of an earlier run)

Repetitions are interleaved (repetition, then row, then tool) so that every
tool meets the same machine state. Prints the Markdown table; --json writes
the result, --markdown the table. Exit status: 0 the run completed (failed
transfers are results, in the table), 2 usage, 77 tern-cp or tern-netem not
built (nothing to compare), 128 + N after signal N (SIGINT, SIGTERM: the
table and --json of what was measured are still written)."""

import argparse
import datetime
import json
import os
import platform
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import payload  # noqa: E402
import report  # noqa: E402
import rows as path_rows  # noqa: E402
import runners  # noqa: E402
from outcome import UNAVAILABLE, Context, Outcome  # noqa: E402
from processes import Processes, exit_on_signals  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
FULL_BYTES, QUICK_BYTES = 50_000_000, 10_000_000
SKIP = 77


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="10 MB and the rows %s" % "; ".join(path_rows.QUICK_ROW_NAMES).replace("%", "%%"))
    p.add_argument("--size", type=int, help="file size in bytes (default 50 MB, 10 MB with --quick)")
    p.add_argument("--repetitions", type=int, default=1, help="transfers per cell; the table shows the median")
    p.add_argument("--row", action="append", default=[], help="only this row (repeatable)")
    p.add_argument("--tool", action="append", default=[], choices=runners.TOOL_NAMES, help="only this tool (repeatable)")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds a transfer may take before it counts as failed")
    p.add_argument("--seed", type=int, default=7, help="tern-netem's seed (the payload's too)")
    p.add_argument("--bin", default=str(REPO / "build/release/tools"), help="the build's tools folder")
    p.add_argument("--json", help="write the result here")
    p.add_argument("--markdown", help="write the table here")
    p.add_argument("--dry-run", action="store_true", help="print the plan (rows, specs, tools and what is missing)")
    p.add_argument("--format", metavar="RESULT_JSON", help="print the table of an earlier run's --json")
    args = p.parse_args(argv)
    size = args.size if args.size is not None else (QUICK_BYTES if args.quick else FULL_BYTES)
    if size <= 0:
        p.error("--size must be a positive byte count")
    args.size = size
    if args.repetitions < 1:
        p.error("--repetitions must be at least 1")
    if not 0 < args.timeout <= 86400:
        p.error("--timeout must be between 0 and 86400 seconds")
    if args.seed < 0:
        p.error("--seed must be a non-negative integer")
    names = args.row or (path_rows.QUICK_ROW_NAMES if args.quick else [r.name for r in path_rows.STANDARD_ROWS])
    try:
        args.rows = path_rows.rows_named(names)
    except ValueError as e:
        p.error(str(e))
    args.tools = [t for t in runners.all_tools() if not args.tool or t.name in args.tool]
    if runners.TERN not in [t.name for t in args.tools]:
        p.error("the comparison needs tern-cp among the tools")
    return args


def machine_note():
    return {"cores": os.cpu_count(), "kernel": platform.release(),
            "load_1min": os.getloadavg()[0], "python": platform.python_version()}


def render(result):
    tools = result["tools"]
    lines = ["%d bytes per transfer, %d repetition(s), median; goodput = file bits / time." % (
        result["bytes"], result["repetitions"]), "", report.markdown(result["rows"], tools)]
    if result.get("interrupted"):
        lines[0] += " Interrupted: only the transfers measured before are counted."
    notes = report.failure_notes(result["rows"])
    if notes:
        lines += ["", "Failed or unavailable:"] + notes
    return "\n".join(lines)


def plan(args, ctx):
    print("rows (the same spec both ways; through the UDP relay the rate counts 28 header bytes per packet):")
    for r in args.rows:
        print("  %-28s %s" % (r.name, r.spec()))
    print("tools:")
    for t in args.tools:
        print("  %-10s %s" % (t.name, t.missing(ctx) or "ready"))
    print("%d bytes, %d repetition(s), timeout %g s per transfer" % (args.size, args.repetitions, args.timeout))


def measure(args, ctx, missing, transfers):
    """Appends one record per transfer to transfers, as each ends."""
    for repetition in range(args.repetitions):
        for r in args.rows:
            for t in args.tools:
                name = "%s.%s.%d" % (t.name, "".join(c if c.isalnum() else "-" for c in r.name), repetition)
                if missing[t.name]:
                    outcome = Outcome(UNAVAILABLE, reason=missing[t.name])
                else:
                    try:
                        outcome = t.run(ctx, r, name)
                    finally:
                        ctx.processes.stop_all()
                transfers.append(dict(row=r.name, tool=t.name, repetition=repetition, **outcome.as_json()))
                shown = "%.2f s" % outcome.seconds if outcome.seconds is not None else outcome.status
                print("path_compare: [%d] %-28s %-10s %s %s (load %.2f)" % (
                    repetition + 1, r.name, t.name, shown, outcome.reason, os.getloadavg()[0]), file=sys.stderr)


def main(argv):
    args = parse(argv)
    if args.format:
        try:
            print(render(json.loads(Path(args.format).read_text())["path_compare"]))
        except (OSError, ValueError, KeyError, TypeError) as e:
            print("path_compare: %s: not a result of this script (%s)" % (args.format, e), file=sys.stderr)
            return 2
        return 0
    exit_on_signals()
    work = Path(tempfile.mkdtemp(prefix="tern-path-compare."))
    processes = Processes()
    try:
        ctx = Context(bin_dir=Path(args.bin), work=work, payload=work / "payload.bin", size=args.size, digest="",
                      timeout_s=args.timeout, seed=args.seed, processes=processes)
        if args.dry_run:
            plan(args, ctx)
            return 0
        for needed in (ctx.netem, ctx.bin_dir / "tern-cp/tern-cp"):
            if not os.access(needed, os.X_OK):
                print("path_compare: skipped: %s is not built (cmake --build --preset release)" % needed,
                      file=sys.stderr)
                return SKIP
        missing = {t.name: t.missing(ctx) for t in args.tools}
        ctx.digest = payload.make(ctx.payload, args.size, args.seed)
        started = datetime.datetime.now(datetime.timezone.utc)
        load_before = os.getloadavg()[0]
        transfers = []
        interrupted = None
        try:
            measure(args, ctx, missing, transfers)
        except SystemExit as stop:
            # A run cut short (SIGINT, SIGTERM) still reports what it measured.
            interrupted = stop.code
            print("path_compare: interrupted after %d transfers" % len(transfers), file=sys.stderr)
        row_specs = [{"name": r.name, "spec": r.spec(), "udp_relay_spec": r.spec(udp_payloads=True)} for r in args.rows]
        tool_names = [t.name for t in args.tools]
        result = {"started_utc": started.isoformat(timespec="seconds"), "bytes": args.size,
                  "repetitions": args.repetitions, "timeout_s": args.timeout, "seed": args.seed,
                  "tools": tool_names, "machine": dict(machine_note(), load_1min_at_start=load_before),
                  "rows": report.summarize(transfers, row_specs, tool_names, runners.TERN, args.size),
                  "transfers": transfers, "interrupted": interrupted is not None}
        text = render(result)
        print(text)
        if args.json:
            Path(args.json).parent.mkdir(parents=True, exist_ok=True)
            Path(args.json).write_text(json.dumps({"path_compare": result}, indent=1) + "\n")
        if args.markdown:
            Path(args.markdown).write_text(text + "\n")
        return interrupted if interrupted is not None else 0
    finally:
        processes.stop_all()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
