#!/usr/bin/python3
"""Prints the short table of a benchmark run from the result files in <out>
and writes the same text to <out>/summary.txt. Sections whose result file is
missing are left out; skipped or failed real-socket steps say why."""

import sys
from pathlib import Path

import common

# The micro benchmarks worth a line in the summary (name prefixes); every
# benchmark is in micro.json.
MICRO_HEADLINES = [
    "bm_packet_encode/one_full_stream", "bm_packet_decode/one_full_stream", "bm_ack_decode/32",
    "seal/aes_128_gcm_1200B", "open/aes_128_gcm_1200B", "seal/chacha20_poly1305_1200B",
    "open/chacha20_poly1305_1200B", "bm_ack_with_sack_ranges/", "BM_reassembly_in_order",
    "BM_reassembly_reordered_5pct", "bm_simulator/",
]
CONTROLLERS = ["bbr", "cubic", "newreno"]


def micro_lines(micro):
    lines = ["micro (Google Benchmark, CPU time per iteration)"]
    rows = [b for report in micro.values() for b in report["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    for prefix in MICRO_HEADLINES:
        for b in (b for b in rows if b["name"].startswith(prefix)):
            rate = b.get("items_per_second")
            lines.append("  %-44s %12.1f %-2s%s" % (b["name"], b["cpu_time"], b["time_unit"],
                                                    "  %10.3g items/s" % rate if rate else ""))
    return lines


def key(**params):
    return tuple(sorted(params.items()))


def mean_of(groups, field, scale=1.0, **params):
    """The mean over the seeds of one field, formatted; '-' when no run of
    these parameters succeeded."""
    results = groups.get(key(**params))
    if not results:
        return "%9s" % "-"
    return "%9.2f" % (common.spread([r[field] * scale for r in results])[0])


def simulated_lines(sim):
    pts = sim["points"]
    seeds = sim.get("seeds", 1)
    lines = ["simulated (tern-sim, virtual time, link %s, %s): goodput Mbit/s"
             % (sim["rate"], "mean of %d seeds" % seeds if seeds > 1 else "one seed")]
    loss = common.grouped(pts, "loss")
    lines.append("  %-18s" % "RTT, random loss" + "".join("%9s" % cc for cc in CONTROLLERS))
    for rtt in sorted({dict(k)["rtt_ms"] for k in loss}):
        for pct in sorted({dict(k)["loss_pct"] for k in loss}):
            lines.append("  %-18s" % ("%d ms, %g%%" % (rtt, pct)) + "".join(
                mean_of(loss, "goodput_bps", 1e-6, cc=cc, rtt_ms=rtt, loss_pct=pct) for cc in CONTROLLERS))
    rtt_sweep = common.grouped(pts, "rtt")
    lines.append("  %-18s" % "RTT (1% loss)" + "".join("%9s" % cc for cc in CONTROLLERS))
    for rtt in sorted({dict(k)["rtt_ms"] for k in rtt_sweep}):
        lines.append("  %-18s" % ("%d ms" % rtt) + "".join(
            mean_of(rtt_sweep, "goodput_bps", 1e-6, cc=cc, rtt_ms=rtt, loss_pct=1) for cc in CONTROLLERS))
    buffer = common.grouped(pts, "buffer")
    if buffer:
        lines.append("  queue vs netem limit (RTT 40 ms)  mean ms  peak ms  goodput Mbit/s")
    for k in sorted(buffer, key=lambda k: (dict(k)["cc"], dict(k)["limit_packets"])):
        p = dict(k)
        lines.append("    %-7s limit %5d        " % (p["cc"], p["limit_packets"]) + "".join(
            mean_of(buffer, field, scale, **p) for field, scale in
            (("mean_queue_delay_ms", 1), ("peak_queue_delay_ms", 1), ("goodput_bps", 1e-6))))
    media = sorted((p for p in pts if p["sweep"] == "media" and "result" in p), key=lambda p: p["params"]["loss_pct"])
    if media:
        lines.append("  media 4 Mbit/s 30 fps, deadline 400 ms, RTT 100 ms, BBR: delivered, latency p50 / p99 / max ms")
    for p in media:
        r = p["result"]
        lines.append("    loss %4g%%  %5d/%-5d  %7.1f / %7.1f / %7.1f" % (
            p["params"]["loss_pct"], r["frames_delivered"], r["frames_sent"], r["latency_p50_ms"],
            r["latency_p99_ms"], r["latency_max_ms"]))
    failed = [p for p in pts if "error" in p]
    if failed:
        lines.append("  %d simulated points failed (see simulated.json)" % len(failed))
    return lines


def real_socket_lines(out):
    lines = ["real sockets"]
    for name in ("loopback", "tcp_compare", "compare_srt", "path_compare", "media_compare", "resume_compare",
                 "schedule_compare"):
        _, value = common.read_result(out / (name + ".json"), name)
        if value is None:
            continue
        if not isinstance(value, dict):
            lines.append("  %-12s done (%s.json)" % (name, name))
        elif "skipped" in value or "error" in value:
            lines.append("  %-12s %s: %s" % (name, "skipped" if "skipped" in value else "error",
                                            value.get("skipped") or value.get("error")))
        elif name == "loopback":
            lines.append("  %-12s UDP plain %.0f / sendmmsg %.0f / GSO %.0f Mbit/s; tern %.0f Mbit/s" % (
                name, value.get("plain_bps", 0) / 1e6, value.get("sendmmsg_bps", 0) / 1e6,
                value.get("gso_bps", 0) / 1e6, value.get("tern_goodput_bps", 0) / 1e6))
        elif name == "compare_srt" and value.get("runs"):
            for r in value["runs"]:
                fmt = lambda x: "failed" if x is None else "%.2f s" % x
                lines.append("  %-12s %d ms, %g%% loss: tern-cp %s, srt %s%s" % (
                    name, r["rtt_ms"], r["loss_percent"], fmt(r["tern_cp_s"]), fmt(r["srt_s"]),
                    "" if r["ratio"] is None else " (%.2fx)" % r["ratio"]))
        elif name == "path_compare" and value.get("rows"):
            for r in value["rows"]:
                tern = r["cells"].get("tern-cp", {})
                shown = "%.2f s" % tern["median_s"] if "median_s" in tern else "failed"
                lines.append("  %-12s %-26s tern-cp %s; at least as fast as the best other: %s" % (
                    name, r["row"], shown, r["verdict"].replace("**", "")))
        elif name == "media_compare" and value.get("rows"):
            for r in value["rows"]:
                lines.append("  %-12s %-9s %s" % (name, r["transport"], r.get("failed") or (
                    "frames p50 %.1f ms, p99 %.1f ms, %d of %d dropped, %.2f wire bytes per media byte" % (
                        r["p50_ms"], r["p99_ms"], r["dropped"], r["frames"], r["wire_per_media_byte"]))))
        elif name == "resume_compare" and isinstance(value.get("tern"), dict):
            ngtcp2 = value.get("ngtcp2") or {}
            lines.append("  %-12s first byte: tern full %s / 0-RTT %s / resumed %s ms; ngtcp2 %s" % (
                name, value["tern"].get("full_ms"), value["tern"].get("zero_rtt_ms"),
                value["tern"].get("resumed_ms"), ngtcp2.get("skipped") or "full %s / 0-RTT %s ms" % (
                    ngtcp2.get("full_ms"), ngtcp2.get("zero_rtt_ms"))))
        elif name == "schedule_compare" and value.get("rows"):
            for r in value["rows"]:
                lines.append("  %-12s %-13s %s" % (name, r["transport"], r.get("failed") or "; ".join(
                    "%s p50 %.0f / p99 %.0f ms, %d dropped + %d late of %d" % (
                        st["rate"], st["p50_ms"], st["p99_ms"], st["dropped"], st.get("late", 0), st["frames"])
                    for st in r["steps"])))
        elif name == "tcp_compare" and value.get("runs"):
            for r in value["runs"]:
                m, b = r.get("media") or {}, r.get("bulk")
                lines.append("  %-12s %-20s %-10s frames p99 %s ms, %.1f%% dropped%s" % (
                    name, r["path"], r["transport"], m.get("p99_ms"), 100 * m.get("drop_rate", 0),
                    "" if not b else ", bulk %s Mbit/s" % b.get("mbit_per_s")))
        else:
            lines.append("  %-12s done (%s.json)" % (name, name))
    return lines


def main():
    args = common.arguments(__doc__.splitlines()[0])
    out = Path(args.out)
    machine, sim = common.read_result(out / "simulated.json", "simulated")
    micro_machine, micro = common.read_result(out / "micro.json", "micro")
    machine = machine or micro_machine
    lines = []
    if machine:
        lines.append("tern %s on %s (%s cores), Linux %s, %s, seed %s%s" % (
            common.short_revision(machine), machine["cpu_model"], machine["cores"], machine["kernel"],
            machine["compiler"], machine["seed"], ", quick" if machine["quick"] else ""))
    if micro is not None:
        lines += micro_lines(micro)
    if sim is not None:
        lines += simulated_lines(sim)
    _, matrix = common.read_result(out / "matrix.json", "matrix")
    if matrix is not None:
        judged = [c for c in matrix["cells"] if "pass" in c]
        lines.append("matrix (tern-sim matrix, seeds: %d): %d of %d %s cells miss a floor (matrix.md)" % (
            len(matrix["seeds"]), matrix["failed_cells"], len(judged), matrix["controllers"][0]))
    real = real_socket_lines(out)
    if len(real) > 1:
        lines += real
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.txt").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(common.run_reader(main))
