"""Kernel TCP with a chosen congestion control (BBR, CUBIC) through
tern-netem --tun: the receiver (tcp_file.py recv) in one namespace, the
sender in the other, every IP packet crossing the link. Linux's own buffer
auto-tuning sizes the windows (its defaults allow several MB, more than
100 Mbit/s x 200 ms). The time is from the sender's start to the
receiver's exit, which follows the sender's FIN. Needs root and
/dev/net/tun; a congestion control the kernel cannot load is reported as
unavailable, not as a failure."""

import os
import subprocess
import sys
from pathlib import Path

import relay
from outcome import FAILED, UNAVAILABLE, Outcome, Stopwatch
from processes import tail, wait_for_line

TCP_FILE = Path(__file__).resolve().parent.parent / "tcp_file.py"
PORT = 5001
UNAVAILABLE_STATUS = 3  # tcp_file.py's


def _available_ccs():
    try:
        with open("/proc/sys/net/ipv4/tcp_available_congestion_control") as f:
            return f.read().split()
    except OSError:
        return []


class KernelTcp:
    def __init__(self, cc):
        self.cc = cc
        self.name = "tcp-" + cc

    def missing(self, ctx):
        if os.geteuid() != 0:
            return "needs root (tern-netem --tun)"
        if not os.path.exists("/dev/net/tun"):
            return "no /dev/net/tun"
        if not os.path.exists("/usr/sbin/ip") and not os.path.exists("/sbin/ip") and not os.path.exists("/bin/ip"):
            return "ip (iproute2) not found"
        return None

    def unavailable(self):
        """Why the kernel cannot give this congestion control, or None (one
        modprobe is tried first)."""
        if self.cc in _available_ccs():
            return None
        subprocess.run(["modprobe", "tcp_" + self.cc], capture_output=True, timeout=30)
        if self.cc in _available_ccs():
            return None
        return "the kernel offers no TCP %s (tcp_available_congestion_control: %s)" % (
            self.cc, " ".join(_available_ccs()) or "unreadable")

    def run(self, ctx, row, name):
        why = self.unavailable()
        if why:
            return Outcome(UNAVAILABLE, reason=why)
        link = relay.start_tun(ctx, name, row)
        if not link:
            return Outcome(FAILED, reason="tern-netem --tun did not start: " + tail(relay.log_of(ctx, name)))
        dst = ctx.fresh_dir("tcp-dst")
        received = dst / ctx.payload.name
        # The receiver writes into the scratch folder, which is on the same
        # file system whatever the namespace.
        recv_out, recv_err = ctx.work / (name + ".recv.out"), ctx.work / (name + ".recv.err")
        receiver = ctx.processes.start(
            ["ip", "netns", "exec", link.receiver_ns, sys.executable, str(TCP_FILE), "recv",
             relay.TUN_RECEIVER_ADDRESS, str(PORT), str(received)], recv_out, recv_err)
        if not wait_for_line(recv_out, r"^listening", receiver):
            ctx.processes.stop(link.proc)
            return Outcome(FAILED, reason="receiver did not start: " + tail(recv_err))
        send_err = ctx.work / (name + ".send.err")
        clock = Stopwatch()
        status = ctx.processes.run(
            ["ip", "netns", "exec", link.sender_ns, sys.executable, str(TCP_FILE), "send", "--cc", self.cc,
             relay.TUN_RECEIVER_ADDRESS, str(PORT), str(ctx.payload)],
            ctx.work / (name + ".send.out"), send_err, ctx.timeout_s)
        receiver_status = ctx.processes.wait(receiver, max(ctx.timeout_s - clock.seconds(), 5))
        seconds = clock.seconds()
        ctx.processes.stop(link.proc)
        if status == UNAVAILABLE_STATUS:
            return Outcome(UNAVAILABLE, reason=tail(send_err))
        if status is None:
            return Outcome(FAILED, reason="timed out after %g s" % ctx.timeout_s)
        if status != 0:
            return Outcome(FAILED, reason="sender exited %d: %s" % (status, tail(send_err)))
        if receiver_status != 0:
            return Outcome(FAILED, reason="receiver exited %s: %s" % (receiver_status, tail(recv_err)))
        return ctx.judged(received, seconds)
