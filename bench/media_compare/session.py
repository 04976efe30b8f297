"""What a frame-stream comparison does around its transports, shared by
media_compare.py and bench/schedule_compare: check that the programs are
built, run each transport in turn (a failed one is a row saying why; a
signal ends the run with what it has), write the result as JSON and
Markdown, and print an earlier run's table (--format)."""

import datetime
import json
import os
import sys
from pathlib import Path

import transports
from processes import exit_on_signals

SKIP = 77


def built(prog, ctx):
    """Whether tern-netem and the frame programs are built; says which is not."""
    for needed in (ctx.netem, ctx.kernel_frames, ctx.tern_frames):
        if not os.access(needed, os.X_OK):
            print("%s: skipped: %s is not built (cmake --build --preset release --target "
                  "tern-netem kernel_frames tern_frames)" % (prog, needed), file=sys.stderr)
            return False
    return True


def run_transports(prog, ctx, chosen, make_row, progress):
    """Runs each transport of `chosen` once: make_row(transport, figures) is
    its row, progress(row) a one-line summary for stderr. Returns the
    started time, the machine, the rows and the exit status of an
    interrupting signal (None: not interrupted)."""
    exit_on_signals()
    started = datetime.datetime.now(datetime.timezone.utc)
    machine = {"cores": os.cpu_count(), "load_1min_at_start": os.getloadavg()[0]}
    rows = []
    interrupted = None
    try:
        for t in chosen:
            try:
                why = t.missing()
                if why:
                    raise transports.Failed(why)
                row = make_row(t, t.run(ctx, t.name))
            except transports.Failed as e:
                row = {"transport": t.name, "setup": t.describe, "failed": str(e)}
            finally:
                ctx.processes.stop_all()
            rows.append(row)
            print("%s: %-16s %s (load %.2f)" % (prog, t.name, row.get("failed") or progress(row),
                                                os.getloadavg()[0]), file=sys.stderr)
    except SystemExit as stop:
        interrupted = stop.code
    return started.isoformat(timespec="seconds"), machine, rows, interrupted


def write_result(key, result, markdown, json_path, markdown_path):
    """Prints the table and writes {key: result} and the table where asked."""
    text = markdown(result)
    print(text)
    if json_path:
        Path(json_path).parent.mkdir(parents=True, exist_ok=True)
        Path(json_path).write_text(json.dumps({key: result}, indent=1) + "\n")
    if markdown_path:
        Path(markdown_path).write_text(text + "\n")


def format_earlier(prog, key, path, markdown):
    """Prints the table of an earlier run's JSON; 2 when it is not one."""
    try:
        print(markdown(json.loads(Path(path).read_text())[key]))
    except (OSError, ValueError, KeyError, TypeError) as e:
        print("%s: %s: not a result of this script (%s)" % (prog, path, e), file=sys.stderr)
        return 2
    return 0


def add_stream_arguments(p, budget_ms, rate_bps, rate_help, choices, repo, logs_help):
    """The options every frame-stream comparison takes: the stream's budget,
    rate and fps, the transports, the relay's seed, the build, the output
    files and --dry-run / --format."""
    p.add_argument("--budget", type=int, default=budget_ms, help="latency budget in ms (default %d)" % budget_ms)
    p.add_argument("--rate", type=float, default=rate_bps, help="%s (default %g)" % (rate_help, rate_bps))
    p.add_argument("--fps", type=int, default=30, help="frames per second (default 30)")
    p.add_argument("--transport", action="append", default=[], choices=choices,
                   help="only this transport (repeatable)")
    p.add_argument("--seed", type=int, default=7, help="tern-netem's seed")
    p.add_argument("--build", default=str(repo / "build/release"), help="the release build folder")
    p.add_argument("--json", help="write the result here")
    p.add_argument("--markdown", help="write the table here")
    p.add_argument("--logs", help=logs_help)
    p.add_argument("--dry-run", action="store_true", help="print the plan and what is missing")
    p.add_argument("--format", metavar="RESULT_JSON", help="print the table of an earlier run's --json")


def check_stream_arguments(p, args):
    """Usage errors (p.error: exit 2) for the options of add_stream_arguments."""
    if not 10 <= args.budget <= 60000:
        p.error("--budget must be between 10 and 60000 ms")
    if not 1e4 <= args.rate <= 1e9:
        p.error("--rate must be between 1e4 and 1e9 bits per second")
    if not 1 <= args.fps <= 240:
        p.error("--fps must be between 1 and 240")
    if args.seed < 0:
        p.error("--seed must be a non-negative integer")
