"""What the bench-script tests share: a list of problems found, check() to
add one, a way to run the script under test, and how they report."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

problems = []


def check(condition, what):
    if not condition:
        problems.append(what)
    return condition


def run_script(script, *args, timeout=60):
    return subprocess.run(["/usr/bin/python3", str(script)] + [str(a) for a in args], capture_output=True,
                          text=True, timeout=timeout)


def check_format(script, name, result, expected_lines):
    """The script's --format prints every expected line for a made-up
    result, and refuses a file that holds no result."""
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "r.json"
        path.write_text(json.dumps({name: result}))
        proc = run_script(script, "--format", path)
        check(proc.returncode == 0, "--format exited %d: %s" % (proc.returncode, proc.stderr))
        for expected in expected_lines:
            check(expected in proc.stdout, "--format does not show %r:\n%s" % (expected, proc.stdout))
        path.write_text("{}")
        proc = run_script(script, "--format", path)
        check(proc.returncode == 2 and "not a result" in proc.stderr, "--format of {} is not refused: %s" % proc.stderr)


def reported(prefix):
    """Prints the problems found; the exit status to return."""
    for p in problems:
        print("%s: %s" % (prefix, p), file=sys.stderr)
    return 1 if problems else 0


def check_dry_run(script, expected_lines):
    """--dry-run succeeds and shows every expected piece of the plan."""
    proc = run_script(script, "--dry-run")
    check(proc.returncode == 0, "--dry-run exited %d: %s" % (proc.returncode, proc.stderr))
    for expected in expected_lines:
        check(expected in proc.stdout, "--dry-run does not show %r:\n%s" % (expected, proc.stdout))


def check_usage_errors(script, bad_arguments):
    """Each bad argument list is a usage error: exit 2, a message, no traceback."""
    for bad in bad_arguments:
        proc = run_script(script, "--dry-run", *bad)
        check(proc.returncode == 2 and "Traceback" not in proc.stderr and proc.stderr.strip(),
              "%s: expected a usage error (exit 2, no traceback), got %d: %s" % (bad, proc.returncode, proc.stderr))
