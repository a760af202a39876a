"""ContextCleaner on its own: weak references, the cleaning thread and periodic GC, with a
recording runtime instead of executors (no processes)."""
from __future__ import annotations

import gc
import threading

import pytest

from sparklite.cleaner import ContextCleaner
from tests.helpers.waiting import wait_until


class RecordingRuntime:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.lock = threading.Lock()

    def remove_shuffles(self, ids):
        with self.lock:
            self.calls.append(("shuffle", tuple(ids)))
        return ids

    def remove_rdd_blocks(self, rdd_id, blocking):
        with self.lock:
            self.calls.append(("rdd", rdd_id, blocking))

    def remove_broadcast(self, bid, from_driver):
        with self.lock:
            self.calls.append(("broadcast", bid, from_driver))


class Thing:
    def __init__(self, number: int):
        self._rdd_id = self.shuffle_id = self.id = number
        self.partner: Thing | None = None


@pytest.fixture
def cleaner():
    runtime = RecordingRuntime()
    made = ContextCleaner(runtime, blocking=True, periodic_gc_interval=3600)
    made.start()
    yield made, runtime
    made.stop()


def test_dropped_objects_are_cleaned_and_referenced_ones_are_not(cleaner):
    made, runtime = cleaner
    rdd, dep, broadcast, kept = Thing(1), Thing(2), Thing(3), Thing(4)
    made.register_rdd(rdd)
    made.register_rdd(rdd)  # persisted twice: cleaned once
    made.register_shuffle(dep)
    made.register_broadcast(broadcast)
    made.register_shuffle(kept)
    del rdd, dep, broadcast
    wait_until(lambda: len(runtime.calls) == 3, 10, message="three clean-ups")
    assert sorted(runtime.calls, key=str) == sorted([("rdd", 1, True), ("shuffle", (2,)),
                                                     ("broadcast", 3, True)], key=str)
    assert made.cleaned == {"rdd": 1, "shuffle": 1, "broadcast": 1}
    assert kept.id == 4 and ("shuffle", (4,)) not in runtime.calls


def test_reference_cycles_are_cleaned_by_the_periodic_gc():
    runtime = RecordingRuntime()
    made = ContextCleaner(runtime, blocking=False, periodic_gc_interval=0.2)
    gc.disable()  # only the cleaner's own collection may free the cycle
    try:
        made.start()
        first, second = Thing(7), Thing(8)
        first.partner, second.partner = second, first
        made.register_shuffle(first)
        del first, second
        wait_until(lambda: ("shuffle", (7,)) in runtime.calls, 10, message="the cycle to be collected")
    finally:
        gc.enable()
        made.stop()


def test_a_failing_clean_up_does_not_stop_the_others(cleaner):
    made, runtime = cleaner

    def broken(ids):
        raise RuntimeError("executor gone")

    runtime.remove_shuffles = broken
    first, second = Thing(1), Thing(2)
    made.register_shuffle(first)
    made.register_rdd(second)
    del first, second
    wait_until(lambda: ("rdd", 2, True) in runtime.calls, 10, message="the RDD clean-up after a failed one")


def test_nothing_is_queued_after_stop():
    runtime = RecordingRuntime()
    made = ContextCleaner(runtime, blocking=True, periodic_gc_interval=3600)
    made.start()
    thing = Thing(5)
    made.register_broadcast(thing)
    made.stop()
    del thing
    assert made.pending() == 0 and runtime.calls == []
