"""Storage report: per cached RDD, how many partitions are cached, where, and how many bytes.

Built from the driver's BlockManagerMaster (what executors reported) and the
persisted RDDs the context knows. ``SparkContext.getRDDStorageInfo`` returns
it; a status tracker or the web UI can call :func:`rdd_storage_info` the same
way. Field names follow Spark's ``RDDInfo`` (``numCachedPartitions``,
``memSize``, ``diskSize``); sizes are bytes of Arrow buffers (memory) and of
Arrow IPC files (disk), summed over every copy, replicas included, as Spark
sums them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from sparklite.storagelevel import StorageLevel


@dataclass(frozen=True)
class ExecutorStorageInfo:
    """What one executor holds of one RDD."""

    executorId: str
    numCachedPartitions: int
    memSize: int
    diskSize: int


@dataclass(frozen=True)
class RDDStorageInfo:
    """Storage of one persisted RDD (Spark's ``RDDInfo``), with a per-executor breakdown."""

    id: int
    name: str
    numPartitions: int
    storageLevel: StorageLevel
    numCachedPartitions: int
    memSize: int
    diskSize: int
    executors: tuple[ExecutorStorageInfo, ...] = field(default=())

    @property
    def isCached(self) -> bool:
        return self.numCachedPartitions > 0 and self.memSize + self.diskSize > 0


def rdd_storage_info(rdds: Iterable[Any], block_master: Any, only_cached: bool = True) -> list[RDDStorageInfo]:
    """One RDDStorageInfo per persisted RDD in ``rdds`` (by id); with ``only_cached``, skip those
    with nothing cached (as Spark's ``getRDDStorageInfo``)."""
    out = []
    for rdd in sorted(rdds, key=lambda r: r._rdd_id):
        info = _one(rdd, block_master.rdd_blocks(rdd._rdd_id))
        if info.isCached or not only_cached:
            out.append(info)
    return out


def _one(rdd: Any, blocks: dict[str, dict[str, Any]]) -> RDDStorageInfo:
    per_executor: dict[str, list[int]] = {}
    mem = disk = 0
    for holders in blocks.values():
        for executor_id, status in holders.items():
            totals = per_executor.setdefault(executor_id, [0, 0, 0])
            totals[0] += 1
            totals[1] += status.memory_size
            totals[2] += status.disk_size
            mem += status.memory_size
            disk += status.disk_size
    executors = tuple(ExecutorStorageInfo(e, n, m, d) for e, (n, m, d) in sorted(per_executor.items()))
    name = rdd.name() or f"{type(rdd).__name__}[{rdd._rdd_id}]"
    return RDDStorageInfo(rdd._rdd_id, name, rdd.getNumPartitions(), rdd.getStorageLevel(),
                          sum(1 for h in blocks.values() if h), mem, disk, executors)
