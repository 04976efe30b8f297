#!/usr/bin/python3
"""One file over one kernel TCP connection, for the kernel-TCP cells of the
comparison (run inside tern-netem --tun's namespaces).

  tcp_file.py recv ADDRESS PORT OUT_FILE       prints "listening", then
                                               writes what arrives until EOF
  tcp_file.py send --cc CC ADDRESS PORT FILE   sends FILE with congestion
                                               control CC (bbr, cubic, ...)

Exit status: 0 done, 1 I/O error, 2 usage, 3 CC is not available here (the
kernel has no such module and cannot load it)."""

import argparse
import socket
import sys

UNAVAILABLE_STATUS = 3


def receive(address, port, out_path):
    with socket.create_server((address, port)) as listener:
        print("listening", flush=True)
        conn, _ = listener.accept()
        with conn, open(out_path, "wb") as out:
            total = 0
            while True:
                block = conn.recv(1 << 20)
                if not block:
                    break
                out.write(block)
                total += len(block)
    print("received %d" % total, flush=True)
    return 0


def send(cc, address, port, path):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, cc.encode())
        except OSError as e:
            print("tcp_file: congestion control %s is not available: %s" % (cc, e), file=sys.stderr)
            return UNAVAILABLE_STATUS
        in_use = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_CONGESTION, 16).rstrip(b"\0").decode()
        if in_use != cc:
            print("tcp_file: asked for %s, the socket uses %s" % (cc, in_use), file=sys.stderr)
            return UNAVAILABLE_STATUS
        s.connect((address, port))
        with open(path, "rb") as f:
            s.sendfile(f)
        s.shutdown(socket.SHUT_WR)
        # Wait for the receiver's close: the file is then all delivered.
        while s.recv(4096):
            pass
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("recv")
    s = sub.add_parser("send")
    s.add_argument("--cc", required=True)
    for q in (r, s):
        q.add_argument("address")
        q.add_argument("port", type=int)
        q.add_argument("file")
    args = p.parse_args()
    try:
        if args.mode == "recv":
            return receive(args.address, args.port, args.file)
        return send(args.cc, args.address, args.port, args.file)
    except OSError as e:
        print("tcp_file: %s" % e, file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
