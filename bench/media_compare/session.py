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
