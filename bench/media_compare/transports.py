"""The transports of the media comparison, each run once through its own
tern-netem relay (the same spec and seed): a runner returns the receiver's
figures (latency_report JSON of frame_stream.cpp) plus the relay's counts,
or raises Failed saying why.

tern: tern_frames, each frame one deadline message (deadline = the budget),
with --fec off or adaptive on both ends (tern-fec-unordered: on an unordered
message flow, each frame handed out as soon as it is whole).
SRT live and RIST carry what kernel_frames udp-send emits (each frame cut in
datagrams of at most 1316 bytes, each stamped with the frame id and capture
time) from a local UDP port to the far side's local UDP port, where
kernel_frames udp-recv counts a frame once all its pieces arrived:
  udp-send -> srt-live-transmit / ristsender -> relay -> srt-live-transmit /
  ristreceiver -> udp-recv
SRT's latency and RIST's recovery buffer are set to the budget: both hold
every packet until capture + budget (a fixed-delay receiver), then hand it
on or give it up."""

import json
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "path_compare"))

import relay  # noqa: E402
from processes import tail, wait_for_line, wait_for_udp_port  # noqa: E402
from runners.ngtcp2 import free_udp_port  # noqa: E402

# SRT's FEC filter (SRTO_PACKETFILTER, docs/features/packet-filtering-and-fec.md
# in SRT's sources) as it is commonly configured: 10 columns, 5 rows, the
# staircase layout and retransmission of what FEC cannot rebuild
# (arq:onreq): 15 repair packets per 50, one loss per row or column
# rebuilt, which is the common case at 2%.
SRT_FEC = "fec,cols:10,rows:5,layout:staircase,arq:onreq"
HANDSHAKE_S = 1.0  # frames sent before the tunnel is up would be lost at its UDP input
IDLE_S = 3         # udp-recv ends this long after the last datagram


class Failed(Exception):
    pass


@dataclass(frozen=True)
class Transport:
    name: str
    describe: str
    run: object         # run(ctx, name) -> dict
    needs: tuple = ()   # programs on PATH

    def missing(self):
        absent = [p for p in self.needs if not shutil.which(p)]
        return "%s not found" % ", ".join(absent) if absent else None


def _last_json(path):
    try:
        lines = Path(path).read_text(errors="replace").splitlines()
        return json.loads(next(line for line in reversed(lines) if line.startswith("{")))
    except (OSError, StopIteration, ValueError):
        return None


def _relay(ctx, name, port):
    link = relay.start_udp(ctx, name, port, ctx.link, stats_json=True, schedule=ctx.schedule or None)
    if not link:
        raise Failed("tern-netem did not start: " + tail(relay.log_of(ctx, name)))
    return link


def _finish(ctx, name, link, receiver_out):
    """Stops the relay, then the receiver's figures with the relay's counts."""
    ctx.processes.stop(link.proc)
    figures = _last_json(receiver_out)
    if figures is None:
        raise Failed("the receiver printed no result: " + tail(receiver_out))
    stats = relay.stats_of(ctx, name)
    if stats is None:
        raise Failed("tern-netem printed no counts")
    figures["relay"] = stats
    figures["relay_started_ns"] = link.started_ns
    if ctx.per_frame:
        figures["frames_file"] = str(_frames_file(ctx, name))
    return figures


def _frames_file(ctx, name):
    return ctx.work / (name + ".frames")


def _frames_out(ctx, name):
    """The receiver's per-frame output option, when the run wants it."""
    return ["--frames-out", str(_frames_file(ctx, name))] if ctx.per_frame else []


def _tern(fec, unordered=False, sender_options=()):
    def run(ctx, name):
        s = ctx.stream
        out, err = ctx.work / (name + ".recv.out"), ctx.work / (name + ".recv.err")
        receiver = ctx.processes.start([str(ctx.tern_frames), "recv", "0"] + s.args() + ["--fec", fec] +
                                       _frames_out(ctx, name), out, err)
        fp = wait_for_line(out, r"^fingerprint (\S+)", receiver)
        port = wait_for_line(out, r"^port (\d+)", receiver)
        if not fp or not port:
            raise Failed("tern_frames recv did not start: " + tail(err))
        link = _relay(ctx, name, int(port.group(1)))
        send_err = ctx.work / (name + ".send.err")
        status = ctx.processes.run(
            [str(ctx.tern_frames), "send", "127.0.0.1", str(link.port), fp.group(1)] + s.args() +
            ["--deadline", str(s.budget_ms), "--fec", fec] + (["--unordered"] if unordered else []) +
            list(sender_options), ctx.work / (name + ".send.out"), send_err, ctx.timeout_s)
        if status != 0:
            raise Failed("tern_frames send %s: %s" % ("timed out" if status is None else "exited %d" % status,
                                                      tail(send_err)))
        if ctx.processes.wait(receiver, 30) is None:
            raise Failed("tern_frames recv did not end")
        figures = _finish(ctx, name, link, out)
        figures["sender"] = tail(send_err, 1)
        return figures
    return run


def _tunnel(ctx, name, far_argv, near_argv, far_port):
    """udp-recv, the far tunnel end (listening on far_port), the relay in
    front of it, the near end (near_argv(relay_port, input_port)); then the
    stream into the near end's UDP input. Returns the figures."""
    s = ctx.stream
    out_port = free_udp_port()
    out, err = ctx.work / (name + ".recv.out"), ctx.work / (name + ".recv.err")
    receiver = ctx.processes.start([str(ctx.kernel_frames), "udp-recv", str(out_port)] + s.args() +
                                   ["--idle", str(IDLE_S)] + _frames_out(ctx, name), out, err)
    if not wait_for_line(out, r"^listening", receiver):
        raise Failed("udp-recv did not start: " + tail(err))
    far_err = ctx.work / (name + ".far.err")
    far = ctx.processes.start(far_argv(out_port), ctx.work / (name + ".far.out"), far_err)
    if not wait_for_udp_port(far_port, far):
        raise Failed("%s did not start: %s" % (far_argv(out_port)[0], tail(far_err)))
    link = _relay(ctx, name, far_port)
    in_port = free_udp_port()
    near_err = ctx.work / (name + ".near.err")
    near = ctx.processes.start(near_argv(link.port, in_port), ctx.work / (name + ".near.out"), near_err)
    if not wait_for_udp_port(in_port, near):
        raise Failed("%s did not start: %s" % (near_argv(link.port, in_port)[0], tail(near_err)))
    time.sleep(HANDSHAKE_S)
    send_err = ctx.work / (name + ".send.err")
    status = ctx.processes.run([str(ctx.kernel_frames), "udp-send", "127.0.0.1", str(in_port)] + s.args(),
                               ctx.work / (name + ".send.out"), send_err, ctx.timeout_s)
    if status != 0:
        raise Failed("udp-send %s: %s" % ("timed out" if status is None else "exited %d" % status, tail(send_err)))
    if ctx.processes.wait(receiver, s.budget_ms / 1000 + IDLE_S + 30) is None:
        raise Failed("udp-recv did not end")
    figures = _finish(ctx, name, link, out)
    ctx.processes.stop(near)
    ctx.processes.stop(far)
    return figures


def _srt(fec):
    def run(ctx, name):
        options = "latency=%d" % ctx.stream.budget_ms + ("&packetfilter=" + SRT_FEC if fec else "")
        port = free_udp_port()
        return _tunnel(
            ctx, name,
            lambda out_port: ["srt-live-transmit", "srt://127.0.0.1:%d?mode=listener&%s" % (port, options),
                              "udp://127.0.0.1:%d" % out_port],
            lambda relay_port, in_port: ["srt-live-transmit", "udp://127.0.0.1:%d" % in_port,
                                         "srt://127.0.0.1:%d?mode=caller&%s" % (relay_port, options)],
            port)
    return run


def _rist(ctx, name):
    budget = ctx.stream.budget_ms
    port = free_udp_port()
    # -p 1: the main profile, one UDP port each way (the simple profile's
    # RTP/RTCP port pair would need two relays).
    return _tunnel(
        ctx, name,
        lambda out_port: ["ristreceiver", "-p", "1", "-b", str(budget), "-S", "0",
                          "-i", "rist://@127.0.0.1:%d?buffer=%d" % (port, budget), "-o", "udp://127.0.0.1:%d" % out_port],
        lambda relay_port, in_port: ["ristsender", "-p", "1", "-b", str(budget), "-S", "0",
                                     "-i", "udp://127.0.0.1:%d" % in_port,
                                     "-o", "rist://127.0.0.1:%d?buffer=%d" % (relay_port, budget)],
        port)


ALL = [
    Transport("tern", "tern deadline messages, FEC off", _tern("off")),
    Transport("tern-fec", "tern deadline messages, adaptive FEC", _tern("adaptive")),
    Transport("tern-fec-unordered", "tern deadline messages, adaptive FEC, unordered flow",
              _tern("adaptive", unordered=True)),
    Transport("srt", "srt-live-transmit, live mode", _srt(False), ("srt-live-transmit",)),
    Transport("srt-fec", "srt-live-transmit, packetfilter=" + SRT_FEC, _srt(True), ("srt-live-transmit",)),
    Transport("rist", "ristsender/ristreceiver, main profile", _rist, ("ristsender", "ristreceiver")),
]
NAMES = [t.name for t in ALL]

# The rate-schedule comparison (bench/schedule_compare): FEC off (the path
# loses nothing; what is measured is how each sender meets a rate step).
SCHEDULE = [
    Transport("tern-adaptive", "tern deadline messages, synthetic GOP encoder following the target rate "
              "(--adaptive)", _tern("off", sender_options=("--adaptive",))),
    Transport("tern-adaptive-rt", "as tern-adaptive, in real-time mode (--real-time)",
              _tern("off", sender_options=("--adaptive", "--real-time"))),
    Transport("tern-fixed", "tern deadline messages at the fixed rate, FEC off", _tern("off")),
    Transport("srt", "srt-live-transmit, live mode, at the fixed rate", _srt(False), ("srt-live-transmit",)),
]
SCHEDULE_NAMES = [t.name for t in SCHEDULE]
