"""ngtcp2's HTTP/3 example server and client (GnuTLS builds, Debian
ngtcp2-server and ngtcp2-client): the server behind the relay serves the
payload from its document root, the client downloads it through the relay.
Both use BBR, and flow-control windows at least as large as tern's
(include/tern/config.hpp: 4 MiB per stream and 6 MiB per connection at
first, auto-tuned up to 16 and 24 MiB): here 16 and 24 MiB from the start,
with the same auto-tuning bounds. The certificate is a throwaway self-signed
one; the example client does not verify it. The time is the client's,
start to exit (--exit-on-all-streams-close), handshake included as for the
other tools."""

import shutil
import socket
import subprocess

import relay
from outcome import FAILED, UNAVAILABLE, Outcome, Stopwatch
from processes import tail, wait_for_udp_port

NAME = "ngtcp2"
SERVER, CLIENT = "gtlsserver", "gtlsclient"

STREAM_WINDOW = "16M"
CONNECTION_WINDOW = "24M"
TRANSPORT_OPTIONS = ["--cc=bbr", "--max-data=" + CONNECTION_WINDOW, "--max-stream-data-bidi-local=" + STREAM_WINDOW,
                     "--max-stream-data-bidi-remote=" + STREAM_WINDOW, "--max-stream-data-uni=" + STREAM_WINDOW,
                     "--max-window=" + CONNECTION_WINDOW, "--max-stream-window=" + STREAM_WINDOW]


def missing(ctx):
    for tool in (SERVER, CLIENT):
        if not shutil.which(tool):
            return "%s not found (tools/install-deps.sh: ngtcp2-server, ngtcp2-client)" % tool
    if not shutil.which("openssl"):
        return "openssl not found (for the self-signed certificate)"
    return None


def _certificate(ctx):
    """A self-signed P-256 key and certificate in the scratch folder, made
    once per run; (key, certificate) or None."""
    key, cert = ctx.work / "ngtcp2-key.pem", ctx.work / "ngtcp2-cert.pem"
    if not cert.exists():
        proc = subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                               "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=localhost"],
                              capture_output=True, timeout=60)
        if proc.returncode != 0:
            return None
    return key, cert


def free_udp_port():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(ctx, row, name):
    pair = _certificate(ctx)
    if not pair:
        return Outcome(UNAVAILABLE, reason="openssl could not make a certificate")
    key, cert = pair
    htdocs = ctx.work / "ngtcp2-htdocs"
    if not (htdocs / ctx.payload.name).exists():
        htdocs.mkdir(exist_ok=True)
        (htdocs / ctx.payload.name).symlink_to(ctx.payload)
    dst = ctx.fresh_dir("ngtcp2-dst")
    port = free_udp_port()
    server_err = ctx.work / (name + ".server.err")
    server = ctx.processes.start([SERVER, "--quiet", "--htdocs=" + str(htdocs)] + TRANSPORT_OPTIONS +
                                 ["127.0.0.1", str(port), str(key), str(cert)],
                                 ctx.work / (name + ".server.out"), server_err)
    if not wait_for_udp_port(port, server):
        return Outcome(FAILED, reason="%s did not start: %s" % (SERVER, tail(server_err)))
    link = relay.start_udp(ctx, name, port, row)
    if not link:
        return Outcome(FAILED, reason="tern-netem did not start: " + tail(relay.log_of(ctx, name)))
    client_err = ctx.work / (name + ".client.err")
    url = "https://127.0.0.1:%d/%s" % (link.port, ctx.payload.name)
    clock = Stopwatch()
    status = ctx.processes.run([CLIENT, "--quiet", "--exit-on-all-streams-close", "--download=" + str(dst)] +
                               TRANSPORT_OPTIONS + ["127.0.0.1", str(link.port), url],
                               ctx.work / (name + ".client.out"), client_err, ctx.timeout_s)
    seconds = clock.seconds()
    ctx.processes.stop(link.proc)
    ctx.processes.stop(server)
    if status is None:
        return Outcome(FAILED, reason="timed out after %g s" % ctx.timeout_s)
    if status != 0:
        return Outcome(FAILED, reason="%s exited %d: %s" % (CLIENT, status, tail(client_err)))
    return ctx.judged(dst / ctx.payload.name, seconds)
