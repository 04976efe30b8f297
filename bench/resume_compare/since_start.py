#!/usr/bin/env python3
"""Runs a command and prints, in ms, when its first output line matching a
pattern came, counted from just before the process was started: one clock
for two clients that count from different origins (resume_compare.sh, "from
process start"). Stdout and stderr are read together, line by line, as they
come; the command's whole output goes to --log.

  since_start.py --pattern REGEX --log FILE [--timeout S] [--wall FILE] -- COMMAND [ARGS...]

Prints "n/a" when no line matched (the command failed or timed out). --wall
appends "START MATCH" to FILE, both on the wall clock in seconds (MATCH
"n/a" when none), for wire_timing.py to set beside a packet capture.
"""
import argparse
import re
import subprocess
import sys
import threading
import time


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pattern", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--wall")
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    command = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not command:
        ap.error("no command")
    pattern = re.compile(a.pattern)
    wall_start = time.time()
    start = time.monotonic()
    wall_found = None
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    # The timeout kills the client, which ends the read loop below.
    timer = threading.Timer(a.timeout, proc.kill)
    timer.start()
    found = None
    with open(a.log, "wb") as log:
        for line in proc.stdout:
            if found is None and pattern.search(line.decode("utf-8", "replace")):
                found = (time.monotonic() - start) * 1000
                wall_found = time.time()
            log.write(line)
    proc.wait()
    timer.cancel()
    if a.wall:
        with open(a.wall, "a") as w:
            w.write(f"{wall_start:.6f} {'n/a' if wall_found is None else f'{wall_found:.6f}'}\n")
    print("n/a" if found is None else f"{found:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
