"""What every transport of the media comparison carries and crosses: one
frame stream (kernel_frames / tern_frames shape) and one tern-netem spec,
the same both ways; and what a run's tools share."""

from dataclasses import dataclass
from pathlib import Path

# IPv4 + UDP headers: the relay counts datagram payloads, a wire carries these too.
UDP_IP_HEADER_BYTES = 28


@dataclass(frozen=True)
class Stream:
    bits_per_second: float = 4e6
    fps: int = 30
    seconds: float = 20.0
    budget_ms: int = 400   # tern's deadline; SRT's latency; RIST's buffer

    def args(self):
        """The shape options of kernel_frames and tern_frames."""
        return ["--rate", "%g" % self.bits_per_second, "--fps", str(self.fps), "--seconds", "%g" % self.seconds]

    def frames(self):
        return int(self.fps * self.seconds)

    def media_bytes(self):
        """The frame bytes the stream hands its transport (frame_stream.cpp:
        a frame is bits_per_second / 8 / fps bytes)."""
        return self.frames() * int(self.bits_per_second / 8 / self.fps)


@dataclass(frozen=True)
class Link:
    """The relay's spec, in the form path_compare's relay.start_udp takes."""
    netem: str

    def spec(self, udp_payloads=False):
        return self.netem


@dataclass
class Context:
    """What relay.py and the runners use: the tools, the scratch folder, the
    relay's seed and the processes of the run."""
    build: Path        # build/release
    work: Path
    seed: int
    processes: object
    stream: Stream
    link: Link
    timeout_s: float
    # tern-netem --schedule text (schedule_compare); empty: the spec throughout.
    schedule: str = ""
    # The receivers write one line per delivered frame (frames_file in the
    # figures), so a run can be split by time.
    per_frame: bool = False

    @property
    def netem(self):
        return self.build / "tools/tern-netem/tern-netem"

    @property
    def kernel_frames(self):
        return self.build / "bench/tcp_compare/kernel_frames"

    @property
    def tern_frames(self):
        return self.build / "bench/tcp_compare/tern_frames"


def wire_bytes(stats, directions=("up", "down")):
    """Bytes the relay carried in the given directions ("up": from the
    sender), as a wire would count them (payload plus IPv4 and UDP headers
    per datagram), from tern-netem's --stats-json: what the endpoints
    offered, before the path's losses."""
    total = 0
    for direction in directions:
        d = stats[direction]
        total += d["bytes_in"] + UDP_IP_HEADER_BYTES * d["packets_in"]
    return total
