#!/usr/bin/python3
"""The path-condition matrix (tern-sim matrix, docs/congestion.md): BBR,
CUBIC and NewReno on every row, three seeds each (one with --quick), in
virtual time, judged against issue 18's floors.

--smoke runs one row (the shallowest buffer), one seed, BBR alone: the
suite's smoke test (tests/sim/bench_suite).

Writes <out>/matrix.json (the cells, per seed) and <out>/matrix.md (the
table), and prints the table. A floor missed is a finding, not a failure
of this step: the exit status is 0 whenever the matrix ran."""

import json
import shlex
import subprocess
import sys
from pathlib import Path

import common


def main():
    def options(p):
        p.add_argument("--smoke", action="store_true", help="one row, one seed, BBR alone")

    args = common.arguments(__doc__.splitlines()[0], options)
    sim = Path(args.build) / "tools/tern-sim/tern-sim"
    if not sim.exists():
        common.fail("%s not found (build the release preset first)" % sim)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    json_file = out / "matrix.json.raw"
    argv = [str(sim), "matrix", "--seed", str(args.seed), "--seeds", "1" if args.quick else "3",
            "--json-file", str(json_file)]
    if args.smoke:
        argv[4:6] = ["--seeds", "1", "--only", "buffer 0.1 BDP", "--cc", "bbr"]
    run = subprocess.run(argv, capture_output=True, text=True)
    if run.returncode != 0:
        common.fail("tern-sim matrix exited with %d: %s" % (run.returncode, run.stderr.strip()))
    matrix = json.loads(json_file.read_text())
    json_file.unlink()
    matrix["command"] = shlex.join(argv[:-2])
    common.write_result(out / "matrix.json", common.machine(args.build, args.seed, args.quick), "matrix", matrix)
    (out / "matrix.md").write_text(run.stdout)
    sys.stdout.write(run.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
