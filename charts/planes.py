"""A chart's body of numbers compressed in four byte planes, and back (charts/wire.py, static/live_chart.js).

A body is 4-byte values (float32, int32, uint8 padded to 4). Split into four planes (byte 0 of every
value, then byte 1, ...), the similar exponent bytes of float32 numbers sit side by side and zlib finds
them: a 128 × 128 map of weights shrinks to 0.84 of its bytes, scores to 0.86, Q, K or V to 0.91 (zlib
of the bytes as they are: 0.91, 0.93, 0.93). Compressing takes about 18 ms a MB here (restoring, 2 ms
for 64 kB in the browser), so only a body of `SIZES` is compressed: a smaller one saves a few bytes, a
512 × 512 map (1 MB) would add 17 ms to every change that redraws it. The page packs every map on every
run, and an unchanged one travels as a reference to the browser's copy; its compressed body is kept
(`MEMO_BYTES`, the most recent first, by the digest the payload's hash is made of), so an unchanged
map is not compressed again.
"""

import threading
import zlib
from collections import OrderedDict

import numpy as np

SIZES = range(4096, 300_001)  # body bytes worth compressing: from about 32 tokens to 256 (a square map)
SAVES = 0.97  # a compressed body is sent only below this share of its bytes
MEMO_BYTES = 16 * 2**20  # compressed bodies kept for the next run, shared by every session


class Kept:
    """The most recent compressed bodies by their body's digest, within `limit` bytes, for every session."""

    def __init__(self, limit):
        self.limit, self.bodies, self.size, self.lock = limit, OrderedDict(), 0, threading.Lock()

    def get(self, key):  # -> (whether it is kept, the compressed body or None)
        with self.lock:
            if key not in self.bodies:
                return False, None
            self.bodies.move_to_end(key)
            return True, self.bodies[key]

    def put(self, key, packed):  # packed: bytes, or None for a body that does not shrink
        with self.lock:
            if key not in self.bodies:
                self.bodies[key], self.size = packed, self.size + len(packed or b"")
            while self.size > self.limit:
                self.size -= len(self.bodies.popitem(last=False)[1] or b"")


KEPT = Kept(MEMO_BYTES)


def compress(body, key):  # bytes (a multiple of 4 long), its digest -> its planes zlib-compressed, or None
    """The body's compressed planes, or None when its size is not in SIZES or they would not be smaller
    than SAVES of it. key: a digest of the body (charts/wire.py computes one for the payload's hash)."""
    if len(body) not in SIZES:
        return None
    kept, packed = KEPT.get(key)
    if not kept:
        packed = zlib.compress(np.frombuffer(body, np.uint8).reshape(-1, 4).T.tobytes(), 1)
        packed = packed if len(packed) < SAVES * len(body) else None
        KEPT.put(key, packed)
    return packed


def restore(packed, size):  # bytes, int -> bytes: the body `compress` was given
    planes = np.frombuffer(zlib.decompress(packed), np.uint8)
    if planes.size != size or size % 4:
        raise ValueError(f"a body of {planes.size} bytes where the header says {size}")
    return planes.reshape(4, -1).T.tobytes()
