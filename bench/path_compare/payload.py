"""The file every tool transfers, and the check that it arrived intact."""

import hashlib
import os


def make(path, size, seed):
    """size bytes that do not compress, the same for the same seed
    (SHAKE-256 of the seed), so a failure can be replayed."""
    stream = hashlib.shake_256(b"tern path_compare payload %d" % seed)
    chunk = 1 << 20
    with open(path, "wb") as f:
        written, counter = 0, 0
        while written < size:
            block = hashlib.shake_256(stream.digest(16) + counter.to_bytes(8, "big")).digest(min(chunk, size - written))
            f.write(block)
            written += len(block)
            counter += 1
    return sha256(path)


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def problem(path, size, digest):
    """None when the file at path has the payload's size and sha256, else
    what is wrong with it."""
    if not os.path.isfile(path):
        return "no file received"
    got = os.path.getsize(path)
    if got != size:
        return "received %d of %d bytes" % (got, size)
    if sha256(path) != digest:
        return "all %d bytes arrived but the sha256 differs" % size
    return None
