#!/usr/bin/python3
"""The simulated benchmarks: tern-sim runs in virtual time, so every figure
is exact for a seed and only wall time varies between machines.

Sweeps (one point = one tern-sim run; loss and queueing are on the data
direction, the return path only has the delay):
  loss    goodput vs random loss 0-20% at 50 and 200 ms RTT, BBR/CUBIC/NewReno
  rtt     goodput vs RTT at 1% loss, the three controllers
  buffer  queueing delay vs bottleneck buffer (netem `limit`), BBR (CUBIC beside it)
  media   per-frame latency of a 4 Mbit/s 30 fps deadline stream under loss,
          full tern connections (tern-sim --mode connection --media)

Bulk points send a fixed number of bytes or stop at a virtual time limit,
whichever comes first; goodput is bytes delivered over the time taken
(tern-sim: exit status 1 when the limit came first, still a valid figure).
Each bulk point runs with SEEDS consecutive seeds from --seed (one with
--quick): where losses fall moves a single run's goodput by several percent,
so the plots and the table show the mean and the spread.

Writes <out>/simulated.json and <out>/media-loss-<pct>.csv."""

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import common

CONTROLLERS = ["bbr", "cubic", "newreno"]
RATE = "20mbit"
SEEDS = 3


def bulk_point(sweep, cc, rtt_ms, loss_pct, size, limit, seed, netem_limit=None):
    one_way = "%gms" % (rtt_ms / 2)
    link = "rate %s delay %s" % (RATE, one_way)
    if loss_pct:
        link += " loss %g%%" % loss_pct
    if netem_limit:
        link += " limit %d" % netem_limit
    params = {"cc": cc, "rtt_ms": rtt_ms, "loss_pct": loss_pct, "seed": seed}
    if netem_limit:
        params["limit_packets"] = netem_limit
    argv = ["--link", link, "--down", "delay " + one_way, "--cc", cc, "--bytes", size,
            "--time-limit", limit, "--seed", str(seed), "--json"]
    return {"sweep": sweep, "params": params, "argv": argv}


def media_point(loss_pct, duration, seed, out_dir):
    link = "rate %s delay 50ms" % RATE + (" loss %g%%" % loss_pct if loss_pct else "")
    csv = Path(out_dir) / ("media-loss-%g.csv" % loss_pct)
    argv = ["--mode", "connection", "--media", "--media-rate", "4mbit", "--fps", "30", "--deadline", "400ms",
            "--duration", duration, "--link", link, "--down", "delay 50ms", "--cc", "bbr", "--seed", str(seed),
            "--frame-latencies", str(csv), "--json"]
    return {"sweep": "media", "params": {"cc": "bbr", "rtt_ms": 100, "loss_pct": loss_pct, "seed": seed,
                                          "frame_latencies_csv": csv.name}, "argv": argv}


def plan(quick, seed, out_dir):
    losses = [0, 1, 5, 20] if quick else [0, 0.5, 1, 2, 5, 10, 15, 20]
    rtts = [10, 50, 200] if quick else [10, 25, 50, 100, 200, 400]
    limits = [20, 100, 1000] if quick else [10, 25, 50, 100, 200, 500, 1000, 3000]
    media_losses = [0, 5] if quick else [0, 1, 2, 5, 10]
    size, limit = ("5M", "20s") if quick else ("50M", "60s")
    seeds = [seed] if quick else list(range(seed, seed + SEEDS))
    points = []
    for n in seeds:
        for rtt in (50, 200):
            for cc in CONTROLLERS:
                points += [bulk_point("loss", cc, rtt, loss, size, limit, n) for loss in losses]
        for cc in CONTROLLERS:
            points += [bulk_point("rtt", cc, rtt, 1, size, limit, n) for rtt in rtts]
        for cc in ("bbr", "cubic"):
            points += [bulk_point("buffer", cc, 40, 0, size, limit, n, netem_limit) for netem_limit in limits]
    points += [media_point(loss, "10s" if quick else "60s", seed, out_dir) for loss in media_losses]
    return points


def smoke_plan(seed, out_dir):
    """One short point of each kind, for the suite's own test."""
    return [bulk_point("loss", "bbr", 50, 1, "1M", "10s", seed), media_point(5, "2s", seed, out_dir)]


def run(sim, point):
    started = time.monotonic()
    try:
        proc = subprocess.run([sim] + point["argv"], capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired:
        return dict(point, error="tern-sim took over 600 s of wall time")
    wall = time.monotonic() - started
    try:
        result = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        result = None
    if proc.returncode not in (0, 1) or not isinstance(result, dict) or "error" in result:
        why = (result or {}).get("error") or proc.stderr.strip() or "exit status %d" % proc.returncode
        return dict(point, error=why, wall_s=wall)
    return dict(point, result=result, wall_s=wall)


def main():
    def options(p):
        p.add_argument("--jobs", type=int, default=2, help="tern-sim runs at once (default 2)")
        p.add_argument("--smoke", action="store_true", help="one short bulk and one media point only")

    args = common.arguments(__doc__.splitlines()[0], options)
    sim = Path(args.build) / "tools/tern-sim/tern-sim"
    if not sim.exists():
        common.fail("%s not found: build the release preset first" % sim)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    points = smoke_plan(args.seed, args.out) if args.smoke else plan(args.quick, args.seed, args.out)
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        done = list(pool.map(lambda p: run(str(sim), p), points))
    failed = [p for p in done if "error" in p]
    for p in failed:
        print("bench: simulated %s %s: %s" % (p["sweep"], p["params"], p["error"]), file=sys.stderr)
    machine = common.machine(args.build, args.seed, args.quick)
    common.write_result(Path(args.out) / "simulated.json", machine, "simulated",
                        {"rate": RATE, "seeds": 1 if args.quick or args.smoke else SEEDS,
                         "wall_s": time.monotonic() - started, "points": done})
    print("simulated: %d points (%d failed) in %.0f s wall" % (len(done), len(failed), time.monotonic() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
