"""Cached blocks and replicas on a standalone cluster: executors started by workers, on two workers."""
from __future__ import annotations

from sparklite import StorageLevel
from tests.helpers.waiting import wait_until
from tests.integration.test_standalone import app
from tests.integration.test_standalone import cluster as cluster  # noqa: F401  (the fixture)


def test_replicated_cache_on_a_standalone_cluster(cluster):  # noqa: F811
    sc = app(cluster)
    try:
        computed = sc.accumulator(0)

        def seen(kv):
            computed.add(1)
            return kv

        data = [(f"k{i % 50}", i) for i in range(20_000)]
        rdd = sc.parallelize(data, 4).map(seen).persist(StorageLevel.MEMORY_AND_DISK_2)
        assert sorted(rdd.collect()) == sorted(data)

        def placed():
            info = next((i for i in sc.getRDDStorageInfo() if i.id == rdd.id()), None)
            return info if info is not None and sum(e.numCachedPartitions for e in info.executors) == 8 \
                else None

        info = wait_until(placed, message="four partitions, two copies each")
        assert info.numCachedPartitions == 4 and len(info.executors) == 2
        assert sorted(rdd.collect()) == sorted(data) and computed.value == len(data)
        rdd.unpersist(blocking=True)
        assert sc.getRDDStorageInfo() == []
    finally:
        sc.stop()
