"""``_2`` storage levels: a cached RDD survives the SIGKILL of an executor holding it, without
recomputing a partition, because every block has a replica on another executor."""
from __future__ import annotations

import os
import signal

import pytest

from sparklite import StorageLevel
from sparklite.scheduler.listener import EventRecorder
from tests.helpers.waiting import wait_until


def holders(context, rdd) -> dict[str, list[str]]:
    return {b: sorted(h) for b, h in context._runtime.block_master.rdd_blocks(rdd.id()).items()}


@pytest.mark.fault
@pytest.mark.parametrize("level", [StorageLevel.MEMORY_ONLY_2, StorageLevel.MEMORY_AND_DISK_2,
                                   StorageLevel.DISK_ONLY_2], ids=str)
def test_replicated_cache_survives_sigkill_of_a_holder_without_recompute(context_factory, level):
    # no locality wait: the replacement executor takes tasks at once, and must fetch their blocks
    context = context_factory("local[2]", {"spark.locality.wait": "0"})
    assert context._runtime.wait_for_executors(2, 30)
    computed = context.accumulator(0)

    def seen(kv):
        computed.add(1)
        return kv

    data = [(i % 101, f"v{i}") for i in range(40_000)]
    rdd = context.parallelize(data, 6).map(seen).persist(level)
    assert sorted(rdd.collect()) == sorted(data)
    assert computed.value == len(data)
    wait_until(lambda: len(holders(context, rdd)) == 6
               and all(len(h) == 2 for h in holders(context, rdd).values()),
               message="every block on two executors")

    victim_id, victim_pid = sorted(context._runtime.backend.process_ids().items())[0]
    os.kill(victim_pid, signal.SIGKILL)
    wait_until(lambda: all(victim_id not in h for h in holders(context, rdd).values()),
               message="the driver forgets the killed executor's blocks")
    assert len(holders(context, rdd)) == 6  # every partition still has its other copy
    wait_until(lambda: len(context._runtime.endpoint.executors) == 2, message="a replacement executor")
    replacement = (set(context._runtime.endpoint.executors) - {"0", "1"}).pop()

    recorder = EventRecorder()
    context._runtime.listeners.add(recorder)
    try:
        assert sorted(rdd.collect()) == sorted(data)
        assert rdd.map(lambda kv: kv[0]).sum() == sum(k for k, _ in data)
    finally:
        context._runtime.listeners.remove(recorder)
    assert computed.value == len(data)  # no partition was recomputed
    assert any(t.executor_id == replacement for t in recorder.tasks)  # it fetched from the survivor
