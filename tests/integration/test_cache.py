"""Cached partitions on real executors: storage levels, LRU eviction, recompute, disk, unpersist,
locality, and the driver's storage report."""
from __future__ import annotations

import os

import pytest

from sparklite import StorageLevel
from sparklite.rdd.sources import collection_bounds
from sparklite.scheduler.listener import EventRecorder
from sparklite.taskcontext import TaskContext
from tests.helpers.waiting import wait_until

LEVELS = [StorageLevel.MEMORY_ONLY, StorageLevel.MEMORY_ONLY_2, StorageLevel.MEMORY_AND_DISK,
          StorageLevel.MEMORY_AND_DISK_2, StorageLevel.DISK_ONLY, StorageLevel.DISK_ONLY_2,
          StorageLevel.MEMORY_AND_DISK_DESER, StorageLevel.OFF_HEAP]

#: one executor, a storage budget of exactly 409600 bytes: five blocks of 10000 ints (80000 bytes)
SMALL_STORE = {"spark.executor.memory": "400k", "spark.memory.fraction": "1",
               "spark.memory.storageFraction": "1"}


def counted(context, data, partitions):
    """An RDD over ``data`` and an accumulator counting how many records it computed."""
    acc = context.accumulator(0)

    def seen(x):
        acc.add(1)
        return x

    return context.parallelize(data, partitions).map(seen), acc


def cached_partitions(context, rdd) -> dict[int, list[str]]:
    """partition -> executors holding it, per the driver."""
    blocks = context._runtime.block_master.rdd_blocks(rdd.id())
    return {int(b.rsplit("_", 1)[1]): sorted(h) for b, h in blocks.items()}


def storage_of(context, rdd):
    return next((i for i in context.getRDDStorageInfo() if i.id == rdd.id()), None)


def executor_stores(context, n_tasks: int = 8) -> dict[str, tuple[int, int, list[str]]]:
    """executor id -> (bytes in memory, bytes on disk, block files), as seen inside tasks."""
    def probe(_):
        bm = TaskContext.get().env.block_manager
        yield bm.executor_id, (bm.memory.used, bm.disk.used, sorted(os.listdir(bm.disk.directory)))

    return dict(context.parallelize(range(n_tasks), n_tasks).mapPartitions(probe).collect())


# ------------------------------------------------------------------ levels


@pytest.mark.parametrize("level", LEVELS, ids=str)
def test_every_storage_level_round_trips_real_data(context_factory, level):
    context = context_factory("local[2]")
    context._runtime.wait_for_executors(2, 30)
    data = [(f"k{i % 97}", i, i / 7, i % 3 == 0, None if i % 5 else b"x") for i in range(20_000)]
    mixed = [i if i % 2 else str(i) for i in range(5000)]  # not uniform: pickled batches
    for records in (data, mixed):
        rdd, acc = counted(context, records, 4)
        rdd.persist(level)
        assert rdd.collect() == records
        assert acc.value == len(records)
        replicas = level.replication
        wait_until(lambda: all(len(h) == replicas for h in cached_partitions(context, rdd).values())
                   and len(cached_partitions(context, rdd)) == 4, message="every partition stored")
        assert rdd.collect() == records  # from the cache
        assert acc.value == len(records)
        info = storage_of(context, rdd)
        assert info.numCachedPartitions == 4 and info.storageLevel == level
        in_memory = level.useMemory or level.useOffHeap
        assert (info.memSize > 0) == in_memory and (info.diskSize > 0) == (not in_memory)
        rdd.unpersist(blocking=True)
        assert storage_of(context, rdd) is None


def test_cached_ints_take_eight_bytes_each(context_factory):
    context = context_factory("local[2]")
    rdd = context.parallelize(range(100_000), 4).map(lambda x: x * 3).cache()
    assert rdd.sum() == 3 * sum(range(100_000))
    info = storage_of(context, rdd)
    assert (info.memSize, info.diskSize, info.numCachedPartitions) == (800_000, 0, 4)


# ------------------------------------------------------------------ eviction


def test_eviction_is_least_recently_used_and_an_evicted_memory_only_block_is_recomputed(context_factory):
    context = context_factory("local[1]", SMALL_STORE)
    a, a_acc = counted(context, range(40_000), 4)
    b, b_acc = counted(context, range(40_000, 60_000), 2)
    a.cache()
    b.cache()
    assert a.sum() == sum(range(40_000)) and a_acc.value == 40_000
    assert b.map(lambda x: x).take(1) == [40_000]  # b's partition 0 is only partly read: not cached
    assert cached_partitions(context, b) == {}
    assert a.count() == 40_000 and a_acc.value == 40_000   # all four from memory
    assert b.count() == 20_000                            # b0 fits; b1 evicts a0, the least recent
    assert sorted(cached_partitions(context, a)) == [1, 2, 3]
    assert sorted(cached_partitions(context, b)) == [0, 1]
    before = a_acc.value
    assert a.collect() == list(range(40_000))
    assert a_acc.value - before == 10_000  # exactly partition 0 was recomputed from lineage
    # caching a0 again evicted b0, the least recently used block of another RDD
    assert sorted(cached_partitions(context, a)) == [0, 1, 2, 3]
    assert sorted(cached_partitions(context, b)) == [1]


def test_eviction_order_follows_reads_not_writes(context_factory):
    context = context_factory("local[1]", SMALL_STORE)
    parts = []
    for i in range(5):
        rdd, _ = counted(context, range(10_000 * i, 10_000 * (i + 1)), 1)
        rdd.cache().count()
        parts.append(rdd)
    parts[0].count()  # parts[1] is now the least recently used
    extra, _ = counted(context, range(10_000), 1)
    extra.cache().count()
    assert [bool(cached_partitions(context, p)) for p in parts] == [True, False, True, True, True]
    parts[2].count()
    parts[3].count()
    another, _ = counted(context, range(10_000), 1)
    another.cache().count()  # least recent now: parts[4]
    assert [bool(cached_partitions(context, p)) for p in parts] == [True, False, True, True, False]


def test_memory_and_disk_partitions_come_back_from_disk_without_recompute(context_factory):
    context = context_factory("local[1]", SMALL_STORE)
    a, a_acc = counted(context, range(40_000), 4)
    b, _ = counted(context, range(20_000), 2)
    a.persist(StorageLevel.MEMORY_AND_DISK)
    assert a.count() == 40_000
    b.cache().count()  # b1 evicts a0, which moves to disk
    info = storage_of(context, a)
    assert info.numCachedPartitions == 4 and info.diskSize > 80_000 and info.memSize == 3 * 80_000
    assert a.collect() == list(range(40_000))
    assert a_acc.value == 40_000  # nothing recomputed: partition 0 was read from its Arrow file


def test_partition_larger_than_the_budget_is_not_cached_and_the_job_succeeds(context_factory):
    context = context_factory("local[1]", SMALL_STORE)
    rdd, acc = counted(context, range(100_000), 1)  # 800000 bytes > 409600
    rdd.cache()
    assert rdd.sum() == sum(range(100_000))
    assert cached_partitions(context, rdd) == {} and storage_of(context, rdd) is None
    assert rdd.sum() == sum(range(100_000)) and acc.value == 200_000


def test_an_oversized_memory_and_disk_partition_goes_to_disk(context_factory):
    context = context_factory("local[1]", SMALL_STORE)
    rdd, acc = counted(context, range(100_000), 1)
    rdd.persist(StorageLevel.MEMORY_AND_DISK)
    assert rdd.sum() == sum(range(100_000))
    assert rdd.sum() == sum(range(100_000)) and acc.value == 100_000
    info = storage_of(context, rdd)
    assert info.memSize == 0 and info.diskSize > 800_000


# ------------------------------------------------------------------ unpersist


def test_unpersist_frees_memory_and_disk_on_every_executor(context_factory):
    context = context_factory("local[2]", {"spark.executor.memory": "4m"})
    context._runtime.wait_for_executors(2, 30)
    big = context.parallelize(range(400_000), 8).map(lambda x: (x, float(x)))
    big.persist(StorageLevel.MEMORY_AND_DISK_2)
    assert big.count() == 400_000
    wait_until(lambda: len(cached_partitions(context, big)) == 8
               and all(len(h) == 2 for h in cached_partitions(context, big).values()))
    info = storage_of(context, big)
    assert info.memSize > 0 and info.diskSize > 0
    assert {e.executorId for e in info.executors} == {"0", "1"}
    stores = wait_until(lambda: (lambda s: s if set(s) == {"0", "1"} else None)(executor_stores(context)))
    assert all(mem > 0 and disk > 0 for mem, disk, _ in stores.values())
    big.unpersist(blocking=True)
    assert storage_of(context, big) is None
    assert context._runtime.block_master.rdd_blocks(big.id()) == {}
    stores = executor_stores(context)
    assert stores and all(s == (0, 0, []) for s in stores.values())
    assert not big.is_cached and big.getStorageLevel() == StorageLevel.NONE
    assert big.count() == 400_000  # still computable from lineage


# ------------------------------------------------------------------ locality and report


def test_second_pass_runs_each_partition_on_the_executor_holding_it(context_factory):
    context = context_factory("local[2]", {"spark.locality.wait": "60s"})
    context._runtime.wait_for_executors(2, 30)
    rdd = context.parallelize(range(8000), 8).map(lambda x: x % 13).cache()
    assert rdd.sum() == sum(x % 13 for x in range(8000))
    holders = cached_partitions(context, rdd)
    assert len(holders) == 8 and all(len(h) == 1 for h in holders.values())
    assert len({h[0] for h in holders.values()}) == 2  # the first pass used both executors
    recorder = EventRecorder()
    context._runtime.listeners.add(recorder)
    try:
        assert rdd.map(lambda x: x + 1).sum() == sum(x % 13 + 1 for x in range(8000))
    finally:
        context._runtime.listeners.remove(recorder)
    ran_on = {t.partition: t.executor_id for t in recorder.tasks if t.succeeded}
    assert ran_on == {p: h[0] for p, h in holders.items()}


def test_storage_report_per_executor_adds_up(context_factory):
    context = context_factory("local[2]")
    context._runtime.wait_for_executors(2, 30)
    words = context.parallelize([(f"w{i}", i) for i in range(30_000)], 6).setName("words")
    words.persist(StorageLevel.MEMORY_AND_DISK)
    assert words.count() == 30_000
    info = storage_of(context, words)
    assert (info.name, info.numPartitions, info.numCachedPartitions) == ("words", 6, 6)
    assert sum(e.numCachedPartitions for e in info.executors) == 6
    assert sum(e.memSize for e in info.executors) == info.memSize > 0
    stores = executor_stores(context)
    assert {e.executorId: e.memSize for e in info.executors} == {e: s[0] for e, s in stores.items() if s[0]}


def test_an_executor_without_the_block_fetches_it_from_the_holder(context_factory):
    context = context_factory("local[2]")
    context._runtime.wait_for_executors(2, 30)
    data = [(i, str(i)) for i in range(16_000)]
    rdd, acc = counted(context, data, 8)
    rdd.cache()
    assert rdd.count() == 16_000
    holders = cached_partitions(context, rdd)
    assert len({h[0] for h in holders.values()}) == 2
    rdd_id = rdd.id()

    def fetch_missing(_):
        bm = TaskContext.get().env.block_manager
        for p in range(8):
            block_id = f"rdd_{rdd_id}_{p}"
            if not bm.contains(block_id):
                yield bm.executor_id, p, list(bm._get_remote(block_id))

    fetched = context.parallelize(range(8), 8).mapPartitions(fetch_missing).collect()
    per_partition = [data[a:b] for a, b in collection_bounds(len(data), 8)]  # PySpark's cut
    assert fetched and all(records == per_partition[p] for _, p, records in fetched)
    assert all(holders[p] != [e] for e, p, _ in fetched)
    assert acc.value == 16_000  # fetched, never recomputed
    assert cached_partitions(context, rdd) == holders  # a fetched block is not stored again
