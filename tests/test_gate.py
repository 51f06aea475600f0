"""views.gate and the page's heavy-work limit: a few heavy runs at once, the rest queued in order and told."""

import threading
import time

import pytest

from views import traces
from views.gate import Gate, slots_from_env

WAIT = 30  # seconds a test waits for a thread before it fails


def test_slots_default_to_one_fewer_than_the_cores_and_at_least_one():
    assert slots_from_env({}, cores=2) == 1
    assert slots_from_env({}, cores=1) == 1
    assert slots_from_env({}, cores=8) == 7
    assert slots_from_env({"ATTENTION_HEAVY_SLOTS": " 3 "}, cores=2) == 3


@pytest.mark.parametrize("text", ["0", "-1", "1.5", "many"])
def test_slots_that_are_not_a_positive_whole_number_are_refused(text):
    with pytest.raises(ValueError, match="ATTENTION_HEAVY_SLOTS"):
        slots_from_env({"ATTENTION_HEAVY_SLOTS": text})


def until(predicate):  # waits until predicate() is true, or fails the test
    deadline = time.monotonic() + WAIT
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


class Holder:
    """A thread that holds one slot of gate until released."""

    def __init__(self, gate):
        self.release, self.inside = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, args=(gate,), daemon=True)
        self.thread.start()
        self.inside.wait(WAIT)

    def _run(self, gate):
        with gate.enter():
            self.inside.set()
            self.release.wait(WAIT)

    def done(self):
        self.release.set()
        self.thread.join(WAIT)


def test_no_more_runs_than_slots_go_at_once():
    gate, lock, now, most = Gate(2), threading.Lock(), [0], [0]

    def work():
        with gate.enter():
            with lock:
                now[0] += 1
                most[0] = max(most[0], now[0])
            time.sleep(0.02)
            with lock:
                now[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(WAIT)
    assert most[0] == 2 and now[0] == 0 and gate.counts() == (0, 0)


def test_waiting_runs_go_first_come_first_served_and_hear_how_many_are_ahead():
    gate, order, heard = Gate(1), [], {}
    holder = Holder(gate)

    def work(name):
        with gate.enter(lambda ahead: heard.setdefault(name, ahead)):
            order.append(name)

    threads = []
    for name in "abc":
        threads.append(threading.Thread(target=work, args=(name,)))
        threads[-1].start()
        queued = len(threads)
        until(lambda: gate.counts()[1] == queued)  # noqa: B023  queued in this order, one by one
    until(lambda: len(heard) == 3)
    assert heard == {"a": 1, "b": 2, "c": 3}  # the run going now, and every run queued before
    holder.done()
    for t in threads:
        t.join(WAIT)
    assert order == ["a", "b", "c"]


def test_a_thread_holding_a_slot_enters_again_without_waiting_for_itself():
    gate = Gate(1)
    with gate.enter():
        with gate.enter():
            assert gate.counts() == (1, 0)
        assert gate.counts() == (1, 0)
    assert gate.counts() == (0, 0)


def test_an_error_in_the_block_frees_the_slot():
    gate = Gate(1)
    with pytest.raises(RuntimeError), gate.enter():
        raise RuntimeError("boom")
    assert gate.counts() == (0, 0)
    with gate.enter():
        pass


def test_a_run_that_gives_up_while_queued_leaves_the_queue_and_the_next_one_goes():
    gate, outcome = Gate(1), {}
    holder = Holder(gate)

    def leave(ahead):
        raise KeyboardInterrupt  # as a stopped script run raises out of its waiting call

    def quitter():
        try:
            with gate.enter(leave):
                outcome["quitter"] = "ran"
        except KeyboardInterrupt:
            outcome["quitter"] = "left"

    def patient():
        with gate.enter():
            outcome["patient"] = "ran"

    first = threading.Thread(target=quitter)
    first.start()
    until(lambda: gate.counts()[1] == 1)
    second = threading.Thread(target=patient)
    second.start()
    first.join(WAIT)
    assert outcome == {"quitter": "left"} and gate.counts() == (1, 1)
    holder.done()
    second.join(WAIT)
    assert outcome == {"quitter": "left", "patient": "ran"} and gate.counts() == (0, 0)


class Slot:
    """A stand-in for st.empty(): what the page's queue slot was asked to show."""

    def __init__(self):
        self.shown = []

    def info(self, text, icon=None):
        self.shown.append(text)

    def empty(self):
        self.shown.append(None)


def test_a_queued_page_says_how_many_runs_are_ahead_then_clears_the_message(monkeypatch):
    monkeypatch.setattr(traces, "HEAVY", Gate(1))
    holder, slot, ran = Holder(traces.HEAVY), Slot(), threading.Event()

    def page():
        traces.queue_here(slot)
        with traces.heavy():
            ran.set()

    thread = threading.Thread(target=page)
    thread.start()
    until(lambda: slot.shown)
    assert not ran.is_set()
    assert slot.shown[0].startswith("Queued: 1 heavy run is ahead of yours")
    assert "computes 1 at a time" in slot.shown[0]
    holder.done()
    thread.join(WAIT)
    assert ran.is_set() and slot.shown[-1] is None  # the message goes once the run starts


def test_a_light_page_and_an_unqueued_heavy_page_show_nothing(monkeypatch):
    monkeypatch.setattr(traces, "HEAVY", Gate(1))
    slot = Slot()
    traces.queue_here(slot)
    with traces.heavy(False), traces.heavy():  # a slot is free: no wait, nothing to say
        pass
    assert slot.shown == [] and traces.HEAVY.counts() == (0, 0)


def test_the_message_counts_in_words():
    assert traces.queued(2, 1).startswith("Queued: 2 heavy runs are ahead of yours")
