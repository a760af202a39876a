"""The ContextCleaner on real executors: what the driver program drops leaves the executors'
disks and memory while the context lives; what a live lineage needs stays; a failed job
leaves no map outputs (issue 11)."""
from __future__ import annotations

import gc
import os
from operator import add

import pytest

from sparklite.errors import SparkliteJobError
from sparklite.scheduler.listener import EventRecorder
from tests.helpers import reference as ref
from tests.helpers.waiting import wait_until


def shuffle_files(context, shuffle_id=None) -> list[str]:
    prefix = "shuffle_" if shuffle_id is None else f"shuffle_{shuffle_id}_"
    found = []
    for _, _, names in os.walk(context._app_dir):
        found += [n for n in names if n.startswith(prefix)]
    return found


def tracked_shuffles(context) -> list[int]:
    return context._runtime.call(context._runtime.tracker.shuffle_ids)


def test_the_files_of_dropped_shuffles_are_removed_while_the_context_lives(context_factory):
    sc = context_factory("local[2]")
    data = [(i % 7, i) for i in range(200)]
    expected = sorted(ref.reduce_by_key(data, add).items())
    most = 0
    for _ in range(30):
        counts = sc.parallelize(data, 4).reduceByKey(add, 3)
        assert sorted(counts.collect()) == expected
        most = max(most, len(shuffle_files(sc)))
    # one job's outputs (4 map tasks x data + index), plus at most one not yet cleaned
    assert most <= 2 * 4 * 2
    del counts
    wait_until(lambda: not shuffle_files(sc) and not tracked_shuffles(sc), 20,
               message="the last shuffle to be cleaned")
    assert sc._cleaner.cleaned["shuffle"] == 30


def test_a_shuffle_a_live_lineage_needs_is_kept(context_factory):
    sc = context_factory("local[2]")
    data = [(i % 5, 1) for i in range(100)]
    counts = sc.parallelize(data, 4).reduceByKey(add)
    doubled = counts.mapValues(lambda v: 2 * v)
    assert sorted(doubled.collect()) == [(k, 40) for k in range(5)]
    shuffle_id = counts.shuffle_id
    del counts  # the ShuffledRDD lives on in doubled's lineage
    gc.collect()
    recorder = EventRecorder()
    sc._runtime.listeners.add(recorder)
    assert sorted(doubled.collect()) == [(k, 40) for k in range(5)]
    assert [s for s in recorder.stages if s.is_shuffle_map] == []  # the map outputs were reused
    assert len(shuffle_files(sc, shuffle_id)) == 8 and shuffle_id in tracked_shuffles(sc)
    del doubled
    wait_until(lambda: not shuffle_files(sc, shuffle_id), 20, message="the shuffle to be cleaned")


def test_dropped_cached_rdds_and_broadcasts_leave_the_executors(context_factory):
    sc = context_factory("local[2]")
    cached = sc.parallelize(range(1000), 4).map(lambda x: x * 3).cache()
    assert cached.sum() == 3 * sum(range(1000))
    rdd_id = cached.id()
    master = sc._runtime.block_master
    assert len(master.rdd_blocks(rdd_id)) == 4
    table = sc.broadcast({i: i * i for i in range(100)})
    assert sc.parallelize(range(10), 2).map(lambda i: table.value[i]).collect() == [i * i for i in range(10)]
    assert len(sc._blob_store) == 1
    del cached, table
    wait_until(lambda: not master.rdd_blocks(rdd_id) and len(sc._blob_store) == 0, 20,
               message="the blocks and the broadcast to be removed")
    assert [i.id for i in sc.getRDDStorageInfo()] == []
    assert sc._cleaner.cleaned["rdd"] == 1 and sc._cleaner.cleaned["broadcast"] == 1


@pytest.mark.fault
def test_a_failed_job_leaves_no_map_outputs_behind(context_factory, tmp_path):
    sc = context_factory("local[2]", {"spark.task.maxFailures": "1"})
    healed = tmp_path / "healed"

    def fail_partition_zero(index, iterator):
        if index == 0 and not os.path.exists(str(healed)):
            raise ValueError("map task 0 fails")
        return iterator

    data = [(i % 3, i) for i in range(100)]
    sums = sc.parallelize(data, 4).mapPartitionsWithIndex(fail_partition_zero).reduceByKey(add)
    with pytest.raises(ValueError, match="map task 0 fails") as info:
        sums.collect()
    assert isinstance(info.value, SparkliteJobError)
    # the other map tasks wrote their outputs; the failed job takes them away (sums still lives)
    wait_until(lambda: not shuffle_files(sc, sums.shuffle_id), 20, message="the partial outputs to go")
    assert sums.shuffle_id not in tracked_shuffles(sc)
    healed.write_text("ok")
    assert sorted(sums.collect()) == sorted(ref.reduce_by_key(data, add).items())


def test_reference_tracking_can_be_turned_off(context_factory):
    sc = context_factory("local[1]", {"spark.cleaner.referenceTracking": "false"})
    assert sc._cleaner is None
    counts = sc.parallelize([(1, 1), (2, 2)], 2).reduceByKey(add)
    assert sorted(counts.collect()) == [(1, 1), (2, 2)]
    del counts
    gc.collect()
    assert len(shuffle_files(sc)) == 4
