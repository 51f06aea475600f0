"""A trace cache bounded by bytes, shared by every session of the server.

A 512-token, 8-head trace holds about 75 MB of arrays and a 10-token one a few kB, so a cache bounded
by its number of entries either wastes memory or keeps a class of large pages far over what one
server can hold. This one counts the bytes of the numpy arrays a value holds, evicts the least
recently used entries until the total fits a budget, and never keeps a value larger than the whole
budget (it is computed and handed back, uncached).

Every session gets the same cached object, not a copy, so its arrays are made read-only: a session
that tried to change a trace in place would raise instead of changing another session's numbers.
Streamlit runs each session in its own thread; a lock guards the entries, and concurrent requests
for the same key wait for one computation instead of each holding its own copy (a class opening one
shared link at once computes it once).
"""

import dataclasses
import os
import threading
from collections import OrderedDict

import numpy as np

BUDGET_ENV = "ATTENTION_CACHE_MB"
DEFAULT_MB = 128  # the largest float64 trace is 75 MB; see BENCHMARKS.md for the server's peak


def _root(array):  # np.ndarray -> the array that owns the memory a view looks into
    while isinstance(array.base, np.ndarray):
        array = array.base
    return array


def _each_array(value):  # anything -> iterator of every numpy array reachable from it
    if isinstance(value, np.ndarray):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            yield from _each_array(getattr(value, field.name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _each_array(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _each_array(item)


def array_bytes(value):  # dataclass | array | container -> int
    """Bytes held by every numpy array reachable from value's fields, nested dataclasses included.

    A view counts as the whole array it looks into (it keeps all of it alive), and memory reached
    twice counts once. A file's bytes (or a text) count as themselves.
    """
    if isinstance(value, bytes | bytearray | str):
        return len(value)
    owners = {id(owner): owner for owner in map(_root, _each_array(value))}
    return sum(owner.nbytes for owner in owners.values())


def freeze(value):  # -> value, with every reachable array (and what a view looks into) read-only
    """Make the arrays of a value that sessions share read-only."""
    for array in _each_array(value):
        array.flags.writeable = False
        _root(array).flags.writeable = False
    return value


def budget_from_env(environ=os.environ):  # Mapping -> int bytes
    """The budget in bytes from ATTENTION_CACHE_MB (a number of MiB, 0 turns caching off)."""
    text = environ.get(BUDGET_ENV, "").strip()
    if not text:
        return DEFAULT_MB * 2**20
    megabytes = float(text)
    if not megabytes >= 0:  # also rejects NaN
        raise ValueError(f"{BUDGET_ENV}={text!r} must be a number of megabytes >= 0")
    return int(megabytes * 2**20)


class _Flight:
    """One computation in progress, which later requests for the same key wait for."""

    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.failed = False


class TraceCache:
    """Least-recently-used values under a byte budget; `get(key, compute)` is the only way in."""

    def __init__(self, budget_bytes, measure=array_bytes):
        if budget_bytes < 0:
            raise ValueError(f"budget_bytes={budget_bytes} must be >= 0")
        self.budget = budget_bytes
        self._measure = measure
        self._entries = OrderedDict()  # key -> (value, bytes), least recently used first
        self._flights = {}  # key -> _Flight
        self._bytes = 0
        self._lock = threading.Lock()

    @classmethod
    def from_env(cls, environ=os.environ):
        return cls(budget_from_env(environ))

    @property
    def nbytes(self):  # bytes held by the cached values
        with self._lock:
            return self._bytes

    def __len__(self):
        with self._lock:
            return len(self._entries)

    def __contains__(self, key):
        with self._lock:
            return key in self._entries

    def keys(self):  # -> list, least recently used first
        with self._lock:
            return list(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def get(self, key, compute):  # hashable, () -> value -> value
        """The cached value for key, or compute() stored (when it fits) and returned."""
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key][0]
            flight = self._flights.get(key)
            leader = flight is None
            if leader:
                flight = self._flights[key] = _Flight()
        if not leader:
            flight.done.wait()
            return compute() if flight.failed else flight.value
        try:
            flight.value = self._store(key, compute())
        except BaseException:
            flight.failed = True
            raise
        finally:
            with self._lock:
                del self._flights[key]
            flight.done.set()
        return flight.value

    def _store(self, key, value):
        size = self._measure(value)
        freeze(value)
        if size > self.budget:
            return value  # larger than the whole budget: handed back, never kept
        with self._lock:
            self._entries[key] = (value, size)
            self._bytes += size
            while self._bytes > self.budget:
                _, (_, evicted) = self._entries.popitem(last=False)
                self._bytes -= evicted
        return value
