#!/usr/bin/python3
"""tern with and without FEC against SRT live (with and without its FEC
filter) and RIST, side by side in one run: the same frame stream (4 Mbit/s,
30 fps by default) through the same tern-netem relay spec (default
`delay 100ms loss 2%` both ways) with the same latency budget (tern's
deadline, SRT's latency, RIST's buffer: 400 ms). For each: p50 and p99
frame latency (capture to delivery, frames that arrived), frames dropped
(never delivered whole), and bytes on the wire per media byte (both
directions through the relay, IPv4 and UDP headers counted).

  bench/media_compare/media_compare.py [--seconds S] [--spec SPEC] [--budget MS]
      [--rate BPS] [--fps N] [--transport NAME]... [--seed N] [--build DIR]
      [--json FILE] [--markdown FILE] [--logs DIR] [--dry-run]
  bench/media_compare/media_compare.py --format RESULT.json     (table of an earlier run)

Exit status: 0 the run completed (a failed transport is a result, in the
table), 2 usage, 77 tern-netem or the frame programs not built, 128 + N
after signal N."""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import session  # noqa: E402
import transports  # noqa: E402
from stream import Context, Link, Stream, wire_bytes  # noqa: E402
from processes import Processes  # noqa: E402  (path_compare's, via transports)

REPO = Path(__file__).resolve().parents[2]
SKIP = session.SKIP


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=20.0, help="length of each transport's stream (default 20)")
    p.add_argument("--spec", default="delay 100ms loss 2%", help="tern-netem spec, both ways")
    session.add_stream_arguments(p, 400, 4e6, "media bits per second", transports.NAMES, REPO,
                                 "keep every program's output (and the relay's counts) in this folder")
    args = p.parse_args(argv)
    if not 1 <= args.seconds <= 3600:
        p.error("--seconds must be between 1 and 3600")
    session.check_stream_arguments(p, args)
    args.transports = [t for t in transports.ALL if not args.transport or t.name in args.transport]
    return args


def summary(name, describe, figures, media_bytes):
    """One table row from a runner's figures."""
    row = {"transport": name, "setup": describe, "frames": figures["frames"], "delivered": figures["delivered"],
           "dropped": figures["frames"] - min(figures["delivered"], figures["frames"]),
           "p50_ms": figures["p50_ms"], "p99_ms": figures["p99_ms"], "max_ms": figures["max_ms"]}
    wire = wire_bytes(figures["relay"])
    row["wire_bytes"] = wire
    row["wire_per_media_byte"] = round(wire / media_bytes, 3)
    row["sender_wire_per_media_byte"] = round(wire_bytes(figures["relay"], ("up",)) / media_bytes, 3)
    if "sender" in figures:
        row["sender_note"] = figures["sender"]
    return row


def markdown(result):
    s = result["stream"]
    lines = ["%g Mbit/s, %d fps, %g s per transport, `%s` both ways (tern-netem UDP relay, seed %d), "
             "latency budget %d ms; 1-minute load at start %.2f on %d cores." % (
                 s["bits_per_second"] / 1e6, s["fps"], s["seconds"], result["spec"], result["seed"],
                 s["budget_ms"], result["machine"]["load_1min_at_start"], result["machine"]["cores"]),
             "",
             "| transport | p50 ms | p99 ms | frames dropped | wire bytes per media byte (sender's direction) |",
             "|---|---|---|---|---|"]
    for r in result["rows"]:
        if "failed" in r:
            lines.append("| %s | **failed** | | | |" % r["transport"])
            continue
        lines.append("| %s | %.1f | %.1f | %d of %d (%.2f%%) | %.3f (%.3f) |" % (
            r["transport"], r["p50_ms"], r["p99_ms"], r["dropped"], r["frames"], 100.0 * r["dropped"] / r["frames"],
            r["wire_per_media_byte"], r["sender_wire_per_media_byte"]))
    notes = ["- %s: %s" % (r["transport"], r["failed"]) for r in result["rows"] if "failed" in r]
    lines += ["", "Setups:"] + ["- %s: %s" % (r["transport"], r["setup"]) for r in result["rows"]]
    if notes:
        lines += ["", "Failed:"] + notes
    return "\n".join(lines)


def main(argv):
    args = parse(argv)
    if args.format:
        return session.format_earlier("media_compare", "media_compare", args.format, markdown)
    stream = Stream(args.rate, args.fps, args.seconds, args.budget)
    if args.logs:
        Path(args.logs).mkdir(parents=True, exist_ok=True)
    work = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="tern-media-compare."))
    processes = Processes()
    ctx = Context(build=Path(args.build), work=work, seed=args.seed, processes=processes, stream=stream,
                  link=Link(args.spec), timeout_s=args.seconds + 60, per_frame=bool(args.logs))
    try:
        if args.dry_run:
            print("spec both ways: %s; %s" % (args.spec, stream))
            for t in args.transports:
                print("  %-9s %s: %s" % (t.name, t.describe, t.missing() or "ready"))
            return 0
        if not session.built("media_compare", ctx):
            return SKIP
        started, machine, rows, interrupted = session.run_transports(
            "media_compare", ctx, args.transports,
            lambda t, figures: summary(t.name, t.describe, figures, stream.media_bytes()),
            lambda row: "p50 %.1f ms, p99 %.1f ms, dropped %d" % (row["p50_ms"], row["p99_ms"], row["dropped"]))
        result = {"started_utc": started, "spec": args.spec, "seed": args.seed,
                  "stream": {"bits_per_second": args.rate, "fps": args.fps, "seconds": args.seconds,
                             "budget_ms": args.budget, "media_bytes": stream.media_bytes()},
                  "machine": machine, "rows": rows, "interrupted": interrupted is not None}
        session.write_result("media_compare", result, markdown, args.json, args.markdown)
        return interrupted if interrupted is not None else 0
    finally:
        processes.stop_all()
        if not args.logs:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
