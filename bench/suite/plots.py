#!/usr/bin/python3
"""Draws the simulated benchmarks' figures from <out>/simulated.json and the
media CSVs into docs/bench/ (PNG). Needs Debian's python3-matplotlib (run
with /usr/bin/python3; tools/install-deps.sh installs it).

  goodput-vs-loss.png     goodput vs random loss, 50 and 200 ms RTT, per controller
  goodput-vs-rtt.png      goodput vs RTT at 1% loss, per controller
  queue-vs-buffer.png     mean and peak queueing delay vs netem limit, BBR and CUBIC
  media-latency-cdf.png   CDF of frame latency of the media stream, per loss rate"""

import csv
import sys
from pathlib import Path

import common

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    common.fail("matplotlib is missing: apt-get install python3-matplotlib, and run with /usr/bin/python3")

LABELS = {"bbr": "BBR", "cubic": "CUBIC", "newreno": "NewReno"}
MARKERS = {"bbr": "o", "cubic": "s", "newreno": "^"}


def series(simulated, sweep, x_key, y, **match):
    """[(x, mean, min, max)] of y over the seeds, for the groups of a sweep
    whose parameters match, sorted by x."""
    out = []
    for key, results in common.grouped(simulated["points"], sweep).items():
        params = dict(key)
        if all(params.get(k) == v for k, v in match.items()):
            out.append((params[x_key],) + common.spread([y(r) for r in results]))
    return sorted(out)


def draw(ax, xs, **style):
    """A mean line with min-max error bars (no bars when there is one seed)."""
    if not xs:
        return
    x, mean, lo, hi = zip(*xs)
    # max(0, ...): the mean of equal values can round past them.
    below = [max(0.0, m - l) for m, l in zip(mean, lo)]
    above = [max(0.0, h - m) for m, h in zip(mean, hi)]
    ax.errorbar(x, mean, yerr=[below, above], capsize=3, **style)


def mbps(result):
    return result["goodput_bps"] / 1e6


def subtitle(machine, simulated, seeds=None):
    """seeds: how many seeds each point ran with (default: the bulk points')."""
    seeds = seeds or simulated.get("seeds", 1)
    return "tern-sim, virtual time, link %s, %s, tern %s" % (
        simulated["rate"], "seed %s" % machine["seed"] if seeds == 1 else
        "mean and min-max of seeds %s-%s" % (machine["seed"], machine["seed"] + seeds - 1),
        common.short_revision(machine))


def legend(ax, **options):
    """A legend when something was drawn (a sweep may have no points)."""
    if ax.get_legend_handles_labels()[0]:
        ax.legend(**options)


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print("plot: %s" % path)


def goodput_vs_loss(simulated, machine, path):
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, rtt in zip(axes, (50, 200)):
        for cc in LABELS:
            draw(ax, series(simulated, "loss", "loss_pct", mbps, cc=cc, rtt_ms=rtt), marker=MARKERS[cc],
                 label=LABELS[cc])
        ax.set_title("RTT %d ms" % rtt)
        # Linear below 1%, logarithmic above: the low-loss points stay apart.
        ax.set_xscale("symlog", linthresh=1)
        losses = sorted({x for cc in LABELS for x, *_ in series(simulated, "loss", "loss_pct", mbps, cc=cc)})
        ax.set_xticks(losses, ["%g" % x for x in losses])
        ax.set_xlabel("random loss on the data path (%)")
        ax.set_yscale("log")
        ax.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("goodput (Mbit/s, log)")
    legend(axes[0])
    fig.suptitle("Goodput vs random loss (%s)" % subtitle(machine, simulated), fontsize=9)
    save(fig, path)


def goodput_vs_rtt(simulated, machine, path):
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for cc in LABELS:
        draw(ax, series(simulated, "rtt", "rtt_ms", mbps, cc=cc), marker=MARKERS[cc], label=LABELS[cc])
    ax.set_xscale("log")
    ax.set_xlabel("round-trip time (ms, log)")
    ax.set_ylabel("goodput (Mbit/s)")
    ax.set_ylim(bottom=0)
    ax.grid(True, which="both", alpha=0.3)
    legend(ax)
    ax.set_title("Goodput vs RTT, 1%% random loss\n(%s)" % subtitle(machine, simulated), fontsize=9)
    save(fig, path)


def queue_vs_buffer(simulated, machine, path):
    fig, (delay, goodput) = plt.subplots(1, 2, figsize=(11, 4.2))
    for cc in ("bbr", "cubic"):
        for key, style, what in (("mean_queue_delay_ms", "-", "mean"), ("peak_queue_delay_ms", "--", "peak")):
            draw(delay, series(simulated, "buffer", "limit_packets", lambda r: r[key], cc=cc), linestyle=style,
                 marker=MARKERS[cc], label="%s %s" % (LABELS[cc], what))
        draw(goodput, series(simulated, "buffer", "limit_packets", mbps, cc=cc), marker=MARKERS[cc],
             label=LABELS[cc])
    for ax in (delay, goodput):
        ax.set_xscale("log")
        ax.set_xlabel("bottleneck buffer, netem limit (packets, log)")
        ax.grid(True, which="both", alpha=0.3)
        legend(ax)
    delay.set_yscale("symlog", linthresh=1)
    delay.set_ylim(bottom=0)
    delay.set_ylabel("queueing delay at the bottleneck (ms)")
    delay.set_title("Queueing delay (RTT 40 ms, no random loss)")
    goodput.set_ylabel("goodput (Mbit/s)")
    goodput.set_ylim(bottom=0)
    goodput.set_title("Goodput")
    fig.suptitle("Queueing delay vs buffer size (%s)" % subtitle(machine, simulated), fontsize=9)
    save(fig, path)


def frame_latencies(csv_path):
    """Latencies of delivered frames (ms) and the number of frames sent."""
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    return [float(r["latency_ms"]) for r in rows if r["latency_ms"]], len(rows)


def media_latency_cdf(simulated, machine, out_dir, path):
    pts = sorted((p for p in simulated["points"] if p["sweep"] == "media" and "result" in p),
                 key=lambda p: p["params"]["loss_pct"])
    fig, ax = plt.subplots(figsize=(7.5, 4.5))
    deadline = None
    for p in pts:
        csv_path = Path(out_dir) / p["params"]["frame_latencies_csv"]
        if not csv_path.exists():
            continue
        latencies, sent = frame_latencies(csv_path)
        if not sent:
            continue
        latencies.sort()
        # Dropped frames never arrive: the curve tops out at the delivered share.
        ys = [(i + 1) / sent for i in range(len(latencies))]
        ax.step(latencies, ys, where="post",
                label="loss %g%%: %d/%d delivered" % (p["params"]["loss_pct"], len(latencies), sent))
        deadline = p["result"].get("deadline_ms", deadline)
    if deadline:
        ax.axvline(deadline, color="grey", linestyle=":", label="deadline %g ms" % deadline)
    ax.set_xlabel("frame latency, send to receive_message() (ms)")
    ax.set_ylabel("fraction of frames sent")
    ax.set_ylim(0, 1.01)
    ax.grid(True, alpha=0.3)
    legend(ax, loc="lower right", fontsize=8)
    ax.set_title("Media: 4 Mbit/s 30 fps deadline messages, RTT 100 ms, BBR\n(%s)"
                 % subtitle(machine, simulated, seeds=1), fontsize=9)
    save(fig, path)


def main():
    args = common.arguments(__doc__.splitlines()[0], lambda p: p.add_argument(
        "--plots", default=str(common.REPO / "docs/bench"), help="where the PNGs go"))
    machine, simulated = common.read_result(Path(args.out) / "simulated.json", "simulated")
    if simulated is None:
        common.fail("%s/simulated.json not found: run bench/suite/simulated.py first" % args.out)
    plots = Path(args.plots)
    plots.mkdir(parents=True, exist_ok=True)
    goodput_vs_loss(simulated, machine, plots / "goodput-vs-loss.png")
    goodput_vs_rtt(simulated, machine, plots / "goodput-vs-rtt.png")
    queue_vs_buffer(simulated, machine, plots / "queue-vs-buffer.png")
    media_latency_cdf(simulated, machine, args.out, plots / "media-latency-cdf.png")
    return 0


if __name__ == "__main__":
    sys.exit(common.run_reader(main))
