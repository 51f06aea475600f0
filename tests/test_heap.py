"""The heap is frozen after a run that imported modules, so Streamlit's collection after each run
walks only what was made since, and a run that imported nothing new changes nothing."""

import gc
import sys
import types
import weakref

import pytest

from views import heap


@pytest.fixture
def thawed():
    gc.unfreeze()
    gc.collect()  # what earlier tests left is not counted as the heap
    heap._modules = 0
    yield
    gc.unfreeze()


def test_a_freeze_leaves_the_collector_only_what_is_made_after_it(thawed):
    tracked = len(gc.get_objects())  # the generations a collection walks (not the frozen one)
    heap.settle()
    assert gc.get_freeze_count() > 0.9 * tracked > 10_000
    assert len(gc.get_objects()) < 0.05 * tracked
    made = [[k] for k in range(1000)]  # new objects are tracked again
    assert len(gc.get_objects()) >= len(made)


def test_only_a_run_that_imported_modules_freezes_again(thawed):
    heap.settle()
    frozen = gc.get_freeze_count()
    kept = [[k] for k in range(100)]  # lists are always tracked
    heap.settle()  # nothing imported since
    assert gc.get_freeze_count() == frozen
    sys.modules["_heap_probe"] = types.ModuleType("_heap_probe")
    try:
        heap.settle()
        assert gc.get_freeze_count() >= frozen + len(kept)
    finally:
        del sys.modules["_heap_probe"]


class Node:
    pass


def test_a_cycle_frozen_once_is_collected_at_the_next_freeze(thawed):
    probe = Node()
    probe.me = probe
    alive = weakref.ref(probe)
    heap.settle()  # frozen while alive
    del probe
    gc.collect()
    assert alive() is not None  # a frozen cycle: the collector does not see it
    sys.modules["_heap_probe"] = types.ModuleType("_heap_probe")
    try:
        heap.settle()  # the next freeze thaws, collects, freezes again
    finally:
        del sys.modules["_heap_probe"]
    assert alive() is None


def test_garbage_is_collected_before_the_freeze(thawed):
    probe = Node()
    probe.me = probe  # a cycle: only the collector frees it
    alive = weakref.ref(probe)
    del probe
    heap.settle()
    assert alive() is None
