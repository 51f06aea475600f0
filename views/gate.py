"""At most a few heavy computations at once in one server process; the others wait their turn in order.

A 512-piece encoder run or a 512-token page takes seconds of a core. One process serves every
session of a class, so a few such pages at once would take every core and stall the light pages of
everyone else. A `Gate` lets `slots` heavy runs go at once (ATTENTION_HEAVY_SLOTS; by default one
fewer than the cores, at least one) and queues the rest first come, first served; a waiting run is
told, about twice a second, how many runs are ahead of it, so the page can say so instead of
stalling silently.

A thread that already holds a slot passes straight through (a heavy page that opens the encoder),
so a run never waits for itself. Framework-free: `waiting` is any callable.
"""

import os
import threading
from collections import deque
from contextlib import contextmanager

SLOTS_ENV = "ATTENTION_HEAVY_SLOTS"
TICK = 0.5  # seconds between two `waiting` calls while a run waits


def slots_from_env(environ=os.environ, cores=None):  # Mapping, int | None -> int >= 1
    """ATTENTION_HEAVY_SLOTS, or one fewer than the cores (at least 1): a core stays for light pages."""
    text = environ.get(SLOTS_ENV, "").strip()
    if not text:
        return max(1, (cores or os.cpu_count() or 1) - 1)
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{SLOTS_ENV}={text!r} must be a whole number >= 1")
    return int(text)


class Gate:
    """`with gate.enter(waiting):` runs the block once a slot is free; `waiting(ahead)` while it is not."""

    def __init__(self, slots):
        if slots < 1:
            raise ValueError(f"slots={slots} must be >= 1")
        self.slots = slots
        self._changed = threading.Condition()
        self._running = 0
        self._queue = deque()  # tickets of the runs waiting, first come first
        self._held = threading.local()  # .depth: how many enters this thread is inside

    @classmethod
    def from_env(cls, environ=os.environ):
        return cls(slots_from_env(environ))

    def counts(self):  # -> (running, waiting)
        with self._changed:
            return self._running, len(self._queue)

    @contextmanager
    def enter(self, waiting=None):  # (ahead: int) -> None, called while the run waits
        depth = getattr(self._held, "depth", 0)
        if depth:  # this thread already holds a slot
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth = depth
            return
        self._wait_for_slot(waiting)
        self._held.depth = 1
        try:
            yield
        finally:
            self._held.depth = 0
            with self._changed:
                self._running -= 1
                self._changed.notify_all()

    def _take(self, ticket):  # -> bool, under the lock: the slot taken when it is this ticket's turn
        if self._queue[0] is ticket and self._running < self.slots:
            self._queue.popleft()
            self._running += 1
            return True
        return False

    def _wait_for_slot(self, waiting):
        ticket = object()
        with self._changed:
            self._queue.append(ticket)
        try:
            while True:
                with self._changed:
                    if self._take(ticket):
                        return
                    self._changed.wait(TICK)  # a slot freed or a run ahead gave up, or a tick passed
                    if self._take(ticket):
                        return
                    ahead = self._running + self._queue.index(ticket)  # going now, and queued before
                if waiting is not None:
                    waiting(ahead)  # outside the lock: it may draw, or raise to give up the place
        except BaseException:
            with self._changed:
                if ticket in self._queue:
                    self._queue.remove(ticket)
                    self._changed.notify_all()
            raise
