"""The byte-bounded trace cache: sizes counted right, evicted by bytes in LRU order, safe in threads."""

import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from attention import Settings, run
from views.trace_cache import DEFAULT_MB, TraceCache, array_bytes, budget_from_env

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Inner:
    a: np.ndarray
    label: str


@dataclass(frozen=True)
class Outer:
    x: np.ndarray
    inner: Inner
    maybe: np.ndarray | None
    parts: tuple


def blob(n_bytes):  # an object holding exactly n_bytes of array memory
    return Outer(np.zeros(n_bytes, dtype=np.uint8), Inner(np.zeros(0), "empty"), None, ())


def test_array_bytes_matches_a_hand_count():
    x = np.zeros((3, 4))  # 96 bytes
    value = Outer(x, Inner(np.ones(5, dtype=np.float32), "five"), None, (np.arange(2, dtype=np.int16), "t"))
    assert array_bytes(value) == 96 + 5 * 4 + 2 * 2


def test_array_bytes_counts_a_view_as_what_it_keeps_alive_and_shared_memory_once():
    base = np.zeros((10, 10))  # 800 bytes
    value = Outer(base, Inner(base[:2], "a view of x"), base.T, (base[5:, 5:],))
    assert array_bytes(value) == 800
    assert array_bytes(Outer(base[:1], Inner(np.zeros(0), ""), None, ())) == 800


def test_array_bytes_of_a_real_trace_adds_up_its_fields():
    trace = run(Settings(seq_len=12, n_heads=2, d_model=8, d_k=4))
    mha = trace.attention
    by_hand = (
        trace.is_pad.nbytes
        + trace.x.nbytes
        + 3 * trace.w_q.nbytes
        + trace.w_o.nbytes
        + trace.mask.nbytes
        + sum(getattr(mha, f).nbytes for f in ("scores", "scaled", "weights", "heads", "output"))
    )
    # q, k, v and concat are views of the projected and re-merged arrays: count what they keep alive
    owners = {}
    for view in (mha.q, mha.k, mha.v, mha.concat):
        root = view
        while root.base is not None:
            root = root.base
        owners[id(root)] = root.nbytes
    assert array_bytes(trace) == by_hand + sum(owners.values())


def test_evicts_least_recently_used_until_under_budget():
    cache = TraceCache(budget_bytes=300)
    for key in "abc":
        cache.get(key, lambda: blob(100))
    assert cache.keys() == ["a", "b", "c"] and cache.nbytes == 300
    cache.get("a", lambda: pytest.fail("a is cached"))  # a becomes the most recently used
    cache.get("d", lambda: blob(150))  # 450 > 300: evict b, then c
    assert cache.keys() == ["a", "d"]
    assert cache.nbytes == 250


def test_eviction_is_by_size_not_by_count():
    cache = TraceCache(budget_bytes=1000)
    for i in range(50):
        cache.get(("small", i), lambda: blob(10))
    assert len(cache) == 50
    cache.get("big", lambda: blob(900))
    assert len(cache) == 11 and "big" in cache and cache.nbytes == 1000


def test_a_value_larger_than_the_budget_is_returned_but_not_cached():
    cache = TraceCache(budget_bytes=100)
    cache.get("kept", lambda: blob(60))
    value = cache.get("huge", lambda: blob(101))
    assert array_bytes(value) == 101
    assert "huge" not in cache and cache.keys() == ["kept"]
    assert cache.get("huge", lambda: blob(7)) is not value  # computed again next time


def test_zero_budget_caches_nothing():
    cache = TraceCache(budget_bytes=0)
    cache.get("k", lambda: blob(1))
    assert len(cache) == 0


def test_cached_arrays_are_shared_and_read_only():
    cache = TraceCache(budget_bytes=10**6)
    first = cache.get("k", lambda: blob(10))
    assert cache.get("k", lambda: blob(10)) is first
    with pytest.raises(ValueError, match="read-only"):
        first.x[0] = 1


def test_a_failed_computation_is_not_cached_and_raises():
    cache = TraceCache(budget_bytes=10**6)

    def fail():
        raise ValueError("bad settings")

    with pytest.raises(ValueError, match="bad settings"):
        cache.get("k", fail)
    assert "k" not in cache
    assert array_bytes(cache.get("k", lambda: blob(3))) == 3


def run_threads(target, n):  # runs target(i) in n threads started together; returns their errors
    errors, start = [], threading.Barrier(n)

    def body(i):
        start.wait()
        try:
            target(i)
        except Exception as error:  # an assert in a thread would be lost: surfaced by the caller
            errors.append(error)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return errors


def test_concurrent_requests_for_one_key_compute_it_once():
    cache, calls, results = TraceCache(budget_bytes=10**6), [], []

    def slow():
        calls.append(1)
        time.sleep(0.2)  # the other threads arrive while this runs
        return blob(10)

    assert not run_threads(lambda i: results.append(cache.get("shared", slow)), 8)
    assert len(calls) == 1
    assert len(results) == 8 and all(r is results[0] for r in results)


def test_threads_keep_the_budget_and_the_byte_count_consistent():
    cache = TraceCache(budget_bytes=64 * 100)

    def session(worker):
        for i in range(300):
            key = (worker * 7 + i) % 90
            assert array_bytes(cache.get(key, lambda: blob(100))) == 100
            assert cache.nbytes <= cache.budget

    assert not run_threads(session, 8)
    assert cache.nbytes == 100 * len(cache) <= cache.budget


def test_budget_from_env():
    assert budget_from_env({}) == DEFAULT_MB * 2**20
    assert budget_from_env({"ATTENTION_CACHE_MB": "1.5"}) == 3 * 2**19
    assert budget_from_env({"ATTENTION_CACHE_MB": "0"}) == 0
    for bad in ("-1", "nan", "lots"):
        with pytest.raises(ValueError):
            budget_from_env({"ATTENTION_CACHE_MB": bad})


def test_the_largest_trace_fits_the_default_budget():
    trace = run(Settings(sentence="a " * 600, seq_len=512, n_heads=8, d_model=512, d_k=64))
    assert array_bytes(trace) < DEFAULT_MB * 2**20


def test_the_cache_module_loads_no_streamlit():
    code = "import sys, views.trace_cache; print(sorted(m for m in sys.modules if m.startswith('streamlit')))"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
