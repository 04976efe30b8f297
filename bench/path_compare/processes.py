"""Background processes of one benchmark run, each in its own process group
(so `ip netns exec` and its child go together), all ended on the way out:
on a normal exit, an exception, SIGINT or SIGTERM. Only processes started
here are ever signalled."""

import os
import re
import signal
import subprocess
import time

GRACE_S = 5.0


class Processes:
    def __init__(self):
        self._running = []

    def start(self, argv, stdout, stderr, env=None, cwd=None):
        """Starts argv with stdout and stderr written to the given paths."""
        with open(stdout, "wb") as out, open(stderr, "wb") as err:
            proc = subprocess.Popen(argv, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                    start_new_session=True)
        self._running.append(proc)
        return proc

    def run(self, argv, stdout, stderr, timeout_s, env=None, cwd=None):
        """Runs argv to its end or timeout_s; returns its exit status, or None
        when it was stopped at the timeout."""
        proc = self.start(argv, stdout, stderr, env, cwd)
        return self.wait(proc, timeout_s)

    def wait(self, proc, timeout_s):
        """Exit status of proc within timeout_s, or None (then it is stopped)."""
        try:
            return proc.wait(timeout=max(timeout_s, 0.01))
        except subprocess.TimeoutExpired:
            self.stop(proc)
            return None

    def stop(self, proc):
        """SIGTERM to proc's group (tern-netem --tun removes its namespaces on
        it), SIGKILL after a grace period."""
        if proc.poll() is None:
            _signal_group(proc, signal.SIGTERM)
            try:
                proc.wait(timeout=GRACE_S)
            except subprocess.TimeoutExpired:
                _signal_group(proc, signal.SIGKILL)
                proc.wait()
        if proc in self._running:
            self._running.remove(proc)

    def stop_all(self):
        for proc in reversed(list(self._running)):
            self.stop(proc)


def _signal_group(proc, sig):
    try:
        os.killpg(proc.pid, sig)
    except ProcessLookupError:
        pass


def exit_on_signals():
    """SIGTERM and SIGINT raise SystemExit, so that `finally` blocks (which
    stop the processes) run."""
    def handler(signum, _frame):
        raise SystemExit(128 + signum)
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


def poll_until(check, proc=None, timeout_s=10.0):
    """check()'s first truthy value, polled every 50 ms for up to timeout_s;
    None when the time is up or proc has ended first."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            return None
        time.sleep(0.05)
    return None


def wait_for_line(path, pattern, proc=None, timeout_s=10.0):
    """The first match of the regex pattern in the file at path, waiting up
    to timeout_s; None when it never appears or proc ends first."""
    regex = re.compile(pattern, re.MULTILINE)

    def match():
        try:
            with open(path, errors="replace") as f:
                return regex.search(f.read())
        except OSError:
            return None
    return poll_until(match, proc, timeout_s)


def wait_for_udp_port(port, proc=None, timeout_s=10.0):
    """True once something is bound to UDP port (IPv4 or IPv6) in this
    network namespace, per /proc/net/udp*."""
    wanted = ":%04X" % port

    def bound():
        for table in ("/proc/net/udp", "/proc/net/udp6"):
            try:
                with open(table) as f:
                    # Each line after the header: "sl local_address ...", the
                    # address as HEXIP:HEXPORT.
                    if any(line.split()[1].endswith(wanted) for line in f.readlines()[1:]):
                        return True
            except (OSError, IndexError):
                pass
        return False
    return bool(poll_until(bound, proc, timeout_s))


def tail(path, lines=2):
    """The last lines of a log file, one line, for a failure reason."""
    try:
        with open(path, errors="replace") as f:
            text = [line.strip() for line in f.read().splitlines() if line.strip()]
    except OSError:
        return "(no output)"
    return " / ".join(text[-lines:]) or "(no output)"
