"""What one transfer came to, and what every runner is handed."""

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

from processes import Processes
import payload

OK, FAILED, UNAVAILABLE = "ok", "failed", "unavailable"


@dataclass
class Outcome:
    status: str            # OK, FAILED or UNAVAILABLE
    seconds: float = None  # only when OK
    reason: str = ""       # why not OK

    def as_json(self):
        return {"status": self.status, "seconds": self.seconds, "reason": self.reason}


@dataclass
class Context:
    """Shared by every transfer of a run: where the tools are, the payload,
    the per-transfer time limit, the relay's seed, and the processes."""
    bin_dir: Path        # the build's tools folder (tern-cp/, tern-netem/)
    work: Path           # scratch folder of the run
    payload: Path
    size: int
    digest: str
    timeout_s: float
    seed: int
    processes: Processes

    @property
    def netem(self):
        return self.bin_dir / "tern-netem/tern-netem"

    def fresh_dir(self, name):
        """An empty folder under the scratch folder."""
        d = self.work / name
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        return d

    def judged(self, received, seconds):
        """OK with seconds when received is the payload, byte for byte
        (size and sha256); FAILED saying what is wrong otherwise."""
        wrong = payload.problem(received, self.size, self.digest)
        return Outcome(FAILED, reason=wrong) if wrong else Outcome(OK, seconds=seconds)


class Stopwatch:
    def __init__(self):
        self.start = time.monotonic()

    def seconds(self):
        return time.monotonic() - self.start
