#!/usr/bin/python3
"""A rate step on real sockets: tern with its adaptive sender, tern at a
fixed rate and SRT live at the fixed rate (SRT has no rate signal), each
through its own tern-netem relay running the same schedule (issue 20's:
`rate 8mbit` -> `rate 2mbit` -> `rate 8mbit`, `delay 50ms`, both ways) with
the same latency budget (tern's deadline, SRT's latency: 300 ms). Per step:
p50 and p99 frame latency (capture to delivery, frames delivered), frames
dropped (never delivered whole) and frames late (delivered after the
budget: SRT hands a packet on at its latency, so its frames arrive at about
the budget, and after it once a queue builds).

  bench/schedule_compare/schedule_compare.py [--step-seconds S] [--rates A,B,C] [--delay MS]
      [--budget MS] [--rate BPS] [--fps N] [--transport NAME]... [--seed N] [--build DIR]
      [--json FILE] [--markdown FILE] [--logs DIR] [--dry-run]
  bench/schedule_compare/schedule_compare.py --format RESULT.json    (table of an earlier run)

The relay's schedule starts with the relay; the stream starts about a
second later (the handshake, SRT's tunnel set-up), so the first step is
that much shorter in stream time. Frames are put in the step their capture
time falls in. Exit status as media_compare.py's: 0 the run completed (a
failed transport is a result), 2 usage, 77 nothing built, 128 + N after
signal N."""

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "media_compare"))

import session  # noqa: E402
import transports  # noqa: E402
from stream import Context, Link, Stream  # noqa: E402
from processes import Processes  # noqa: E402  (path_compare's, via transports)

REPO = Path(__file__).resolve().parents[2]
SKIP = session.SKIP
LEAD_S = 1.0  # the relay runs this long at the first rate before the steps are timed


def parse(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--step-seconds", type=float, default=20.0, help="length of each step (default 20)")
    p.add_argument("--rates", default="8mbit,2mbit,8mbit", help="the path's rate per step (tern-netem units)")
    p.add_argument("--delay", type=int, default=50, help="one-way delay in ms, both ways (default 50)")
    session.add_stream_arguments(p, 300, 6e6, "media bits per second: the fixed senders' rate and the adaptive "
                                 "sender's ceiling", transports.SCHEDULE_NAMES, REPO,
                                 "keep every program's output in this folder")
    args = p.parse_args(argv)
    if not 2 <= args.step_seconds <= 600:
        p.error("--step-seconds must be between 2 and 600")
    args.rate_steps = [r.strip() for r in args.rates.split(",") if r.strip()]
    if not 1 <= len(args.rate_steps) <= 20 or not all(r[0].isdigit() and r.replace(".", "").isalnum()
                                                       for r in args.rate_steps):
        p.error("--rates takes 1 to 20 comma-separated rates such as 8mbit")
    if not 0 <= args.delay <= 10000:
        p.error("--delay must be between 0 and 10000 ms")
    session.check_stream_arguments(p, args)
    args.transports = [t for t in transports.SCHEDULE if not args.transport or t.name in args.transport]
    return args


def schedule_text(rates, delay_ms, step_s):
    """tern-netem's schedule: each rate for step_s, the first LEAD_S longer."""
    return "; ".join("at %gs: rate %s delay %dms" % (0 if i == 0 else LEAD_S + i * step_s, r, delay_ms)
                     for i, r in enumerate(rates))


def read_frames(path):
    """{seq: (capture_ns, latency_ms)} from a receiver's --frames-out."""
    frames = {}
    for line in Path(path).read_text().splitlines():
        seq, capture, ms = line.split()
        frames[int(seq)] = (int(capture), float(ms))
    return frames


def percentile(values, q):
    if not values:
        return 0.0
    v = sorted(values)
    return v[min(len(v) - 1, int(q * len(v)))]


def per_step(figures, stream, rates, step_s):
    """The run's frames split by step: the step a frame's capture time falls in."""
    frames = read_frames(figures["frames_file"])
    if not frames:
        raise transports.Failed("no frame arrived")
    interval_ns = 1e9 / stream.fps
    start_ns = min(capture - seq * interval_ns for seq, (capture, _) in frames.items())
    relay_ns = figures["relay_started_ns"]
    bounds = [LEAD_S + i * step_s for i in range(1, len(rates))]  # seconds after the relay's start
    steps = [{"rate": r, "frames": 0, "dropped": 0, "late": 0, "latencies": []} for r in rates]
    for seq in range(stream.frames()):
        capture = start_ns + seq * interval_ns
        at = (capture - relay_ns) / 1e9
        step = steps[sum(1 for b in bounds if at >= b)]
        step["frames"] += 1
        got = frames.get(seq)
        if got is None:
            step["dropped"] += 1
            continue
        step["latencies"].append(got[1])
        if got[1] > stream.budget_ms:
            step["late"] += 1
    out = []
    for s in steps:
        out.append({"rate": s["rate"], "frames": s["frames"], "dropped": s["dropped"], "late": s["late"],
                    "p50_ms": round(percentile(s["latencies"], 0.5), 1),
                    "p99_ms": round(percentile(s["latencies"], 0.99), 1)})
    return {"stream_start_after_relay_s": round((start_ns - relay_ns) / 1e9, 3), "steps": out}


def markdown(result):
    s = result["stream"]
    lines = ["%g Mbit/s at most, %d fps, steps of %g s: `%s` (tern-netem UDP relay, both ways, seed %d), "
             "latency budget %d ms; 1-minute load at start %.2f on %d cores. Per step: p50 / p99 ms of the "
             "frames delivered; frames dropped (never delivered) + late (after the budget) of the step's." % (
                 s["bits_per_second"] / 1e6, s["fps"], result["step_seconds"], result["schedule"], result["seed"],
                 s["budget_ms"], result["machine"]["load_1min_at_start"], result["machine"]["cores"]),
             "",
             "| transport | " + " | ".join("%s: p50 / p99 ms, dropped + late" % r for r in result["rates"]) + " |",
             "|---|" + "---|" * len(result["rates"])]
    for r in result["rows"]:
        if "failed" in r:
            lines.append("| %s | **failed** |%s" % (r["transport"], " |" * (len(result["rates"]) - 1)))
            continue
        cells = ["%.1f / %.1f, %d + %d of %d" % (st["p50_ms"], st["p99_ms"], st["dropped"], st.get("late", 0),
                                                 st["frames"]) for st in r["steps"]]
        lines.append("| %s | %s |" % (r["transport"], " | ".join(cells)))
    lines += ["", "Setups:"] + ["- %s: %s" % (r["transport"], r["setup"]) for r in result["rows"]]
    failed = ["- %s: %s" % (r["transport"], r["failed"]) for r in result["rows"] if "failed" in r]
    if failed:
        lines += ["", "Failed:"] + failed
    return "\n".join(lines)


def main(argv):
    args = parse(argv)
    if args.format:
        return session.format_earlier("schedule_compare", "schedule_compare", args.format, markdown)
    seconds = args.step_seconds * len(args.rate_steps)
    stream = Stream(args.rate, args.fps, seconds, args.budget)
    schedule = schedule_text(args.rate_steps, args.delay, args.step_seconds)
    spec = "rate %s delay %dms" % (args.rate_steps[0], args.delay)
    if args.logs:
        Path(args.logs).mkdir(parents=True, exist_ok=True)
    work = Path(args.logs) if args.logs else Path(tempfile.mkdtemp(prefix="tern-schedule-compare."))
    processes = Processes()
    ctx = Context(build=Path(args.build), work=work, seed=args.seed, processes=processes, stream=stream,
                  link=Link(spec), timeout_s=seconds + 60, schedule=schedule, per_frame=True)
    try:
        if args.dry_run:
            print("schedule both ways: %s; %s" % (schedule, stream))
            for t in args.transports:
                print("  %-16s %s: %s" % (t.name, t.describe, t.missing() or "ready"))
            return 0
        if not session.built("schedule_compare", ctx):
            return SKIP

        def row_of(t, figures):
            row = {"transport": t.name, "setup": t.describe}
            row.update(per_step(figures, stream, args.rate_steps, args.step_seconds))
            return row

        started, machine, rows, interrupted = session.run_transports(
            "schedule_compare", ctx, args.transports, row_of,
            lambda row: ", ".join("%s %.0f/%.0f ms %d dropped %d late" % (
                s["rate"], s["p50_ms"], s["p99_ms"], s["dropped"], s["late"]) for s in row["steps"]))
        result = {"started_utc": started, "schedule": schedule, "seed": args.seed,
                  "rates": args.rate_steps, "step_seconds": args.step_seconds,
                  "stream": {"bits_per_second": args.rate, "fps": args.fps, "seconds": seconds,
                             "budget_ms": args.budget},
                  "machine": machine, "rows": rows, "interrupted": interrupted is not None}
        session.write_result("schedule_compare", result, markdown, args.json, args.markdown)
        return interrupted if interrupted is not None else 0
    finally:
        processes.stop_all()
        if not args.logs:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
