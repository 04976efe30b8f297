"""tern-cp: `serve --once` behind the relay, `send` through it, BBR (tern's
default) named explicitly. Identities, known hosts and the server's
accept-any-client policy stay in the scratch folder. The time is the
sender's, start to exit: send returns once the server has confirmed the
whole file."""

import os
import shutil

import relay
from outcome import FAILED, OK, Outcome, Stopwatch
from processes import tail, wait_for_line

NAME = "tern-cp"


def binary(ctx):
    return ctx.bin_dir / "tern-cp/tern-cp"


def missing(ctx):
    """Why this tool cannot run here, or None."""
    return None if os.access(binary(ctx), os.X_OK) else "%s not built" % binary(ctx)


def run(ctx, row, name):
    home = ctx.work / "tern-home"
    home.mkdir(exist_ok=True)
    env = dict(os.environ, HOME=str(home), XDG_CONFIG_HOME=str(home / "config"))
    dst = ctx.fresh_dir("tern-dst")
    serve_out, serve_err = ctx.work / (name + ".serve.out"), ctx.work / (name + ".serve.err")
    server = ctx.processes.start(
        [str(binary(ctx)), "--cc", "bbr", "serve", "--once", "--bind", "127.0.0.1", "--identity",
         str(home / "server_identity.pem"), "--accept-any-client", str(dst)], serve_out, serve_err, env=env)
    m = wait_for_line(serve_out, r"^port (\d+)\s+fingerprint (\S+)", server)
    if not m:
        return Outcome(FAILED, reason="serve did not start: " + tail(serve_err))
    port, fingerprint = int(m.group(1)), m.group(2)
    link = relay.start_udp(ctx, name, port, row)
    if not link:
        return Outcome(FAILED, reason="tern-netem did not start: " + tail(relay.log_of(ctx, name)))
    known_hosts = home / "known_hosts"
    if known_hosts.exists():
        known_hosts.unlink()
    send_out, send_err = ctx.work / (name + ".send.out"), ctx.work / (name + ".send.err")
    clock = Stopwatch()
    status = ctx.processes.run(
        [str(binary(ctx)), "--cc", "bbr", "send", "--no-progress", "--identity", str(home / "client_identity.pem"),
         "--known-hosts", str(known_hosts), "--fingerprint", fingerprint, "127.0.0.1", str(link.port),
         str(ctx.payload)], send_out, send_err, ctx.timeout_s, env=env)
    seconds = clock.seconds()
    ctx.processes.wait(server, 5)
    ctx.processes.stop(link.proc)
    received = dst / ctx.payload.name
    if status is None:
        return Outcome(FAILED, reason="timed out after %g s" % ctx.timeout_s)
    if status != 0:
        return Outcome(FAILED, reason="send exited %d: %s" % (status, tail(send_err)))
    return ctx.judged(received, seconds)
