"""SRT's file mode (srt-file-transmit, Debian srt-tools), set up as
bench/compare_srt/compare_srt.sh does (docs/tern-cp.md, "Comparison with
SRT"): transtype=file, flow window and buffers for 200 ms at well over
1 Gbit/s, UDP buffers as large as the kernel allows, 1456-byte payloads, a
receiver that takes up to 1 MiB per call. The receiver listens behind the
relay, the sender calls through it. The time is from the sender's start to
the receiver's exit: SRT's file mode has no end-of-file marker, the
receiver ends when the sender closes once all is acknowledged."""

import shutil

import relay
from outcome import FAILED, Outcome, Stopwatch
from processes import tail, wait_for_udp_port
from runners.ngtcp2 import free_udp_port

NAME = "srt"
TOOL = "srt-file-transmit"
FLOW_WINDOW_PACKETS = 60000
PAYLOAD_BYTES = 1456
RECEIVE_CHUNK = 1024 * 1024


def missing(ctx):
    return None if shutil.which(TOOL) else "%s not found (apt-get install srt-tools)" % TOOL


def _options():
    try:
        with open("/proc/sys/net/core/rmem_max") as f:
            udp_buffer = int(f.read())
    except (OSError, ValueError):
        udp_buffer = 4 * 1024 * 1024
    buffer = FLOW_WINDOW_PACKETS * PAYLOAD_BYTES
    return ("transtype=file&fc=%d&rcvbuf=%d&sndbuf=%d&udp_rcvbuf=%d&udp_sndbuf=%d&payloadsize=%d&peeridletimeo=30000"
            % (FLOW_WINDOW_PACKETS, buffer, buffer, udp_buffer, udp_buffer, PAYLOAD_BYTES))


def run(ctx, row, name):
    options = _options()
    dst = ctx.fresh_dir("srt-dst")
    port = free_udp_port()
    receiver_err = ctx.work / (name + ".recv.err")
    # Without -q each side reports its events on stderr ("Buffers flushed").
    receiver = ctx.processes.start(
        [TOOL, "-chunk", str(RECEIVE_CHUNK), "srt://127.0.0.1:%d?mode=listener&%s" % (port, options),
         "file://%s/" % dst], ctx.work / (name + ".recv.out"), receiver_err)
    if not wait_for_udp_port(port, receiver):
        return Outcome(FAILED, reason="receiver did not start: " + tail(receiver_err))
    link = relay.start_udp(ctx, name, port, row)
    if not link:
        return Outcome(FAILED, reason="tern-netem did not start: " + tail(relay.log_of(ctx, name)))
    sender_err = ctx.work / (name + ".send.err")
    clock = Stopwatch()
    status = ctx.processes.run([TOOL, "file://%s" % ctx.payload, "srt://127.0.0.1:%d?%s" % (link.port, options)],
                               ctx.work / (name + ".send.out"), sender_err, ctx.timeout_s)
    receiver_status = ctx.processes.wait(receiver, max(ctx.timeout_s - clock.seconds(), 5))
    seconds = clock.seconds()
    ctx.processes.stop(link.proc)
    if status is None:
        return Outcome(FAILED, reason="sender timed out after %g s" % ctx.timeout_s)
    if status != 0:
        return Outcome(FAILED, reason="sender exited %d: %s" % (status, tail(sender_err)))
    with open(sender_err, errors="replace") as f:
        if "Buffers flushed" not in f.read():
            return Outcome(FAILED, reason="sender never saw its buffer acknowledged")
    if receiver_status is None:
        return Outcome(FAILED, reason="receiver still running %g s after the start" % ctx.timeout_s)
    return ctx.judged(dst / ctx.payload.name, seconds)
