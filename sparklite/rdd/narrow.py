"""RDDs whose partitions each read a few parent partitions directly: union, coalesce.

None of these moves data between processes: a task computes its partition by
iterating the parent partitions it depends on, in order.
"""
from __future__ import annotations

from typing import Any, Iterator, Sequence

from sparklite.rdd.base import Partition
from sparklite.rdd.dependency import Dependency, ExplicitNarrowDependency, OneToOneDependency, RangeDependency
from sparklite.rdd.rdd import RDD
from sparklite.taskcontext import TaskContext


class UnionPartition(Partition):
    __slots__ = ("parent_index", "parent_split")

    def __init__(self, index: int, parent_index: int, parent_split: Partition):
        super().__init__(index)
        self.parent_index = parent_index
        self.parent_split = parent_split


class UnionRDD(RDD):
    """The partitions of each parent, one after another."""

    def __init__(self, ctx: Any, rdds: Sequence[RDD]):
        super().__init__(ctx)
        self.rdds = list(rdds)

    def get_partitions(self) -> list[Partition]:
        parts: list[Partition] = []
        for i, rdd in enumerate(self.rdds):
            for split in rdd.partitions():
                parts.append(UnionPartition(len(parts), i, split))
        return parts

    def get_dependencies(self) -> list[Dependency]:
        deps: list[Dependency] = []
        pos = 0
        for rdd in self.rdds:
            n = len(rdd.partitions())
            deps.append(RangeDependency(rdd, 0, pos, n))
            pos += n
        return deps

    def get_preferred_locations(self, split: Partition) -> list[str]:
        assert isinstance(split, UnionPartition)
        return self.rdds[split.parent_index].preferred_locations(split.parent_split)

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        assert isinstance(split, UnionPartition)
        return self.rdds[split.parent_index].iterator(split.parent_split, context)


class PartitionerAwareUnionRDD(RDD):
    """Union of RDDs sharing one partitioner: partition i is every parent's partition i.

    The result keeps the partitioner, so a following join or reduceByKey with
    the same partitioner needs no shuffle.
    """

    def __init__(self, ctx: Any, rdds: Sequence[RDD]):
        super().__init__(ctx)
        self.rdds = list(rdds)
        self.partitioner = rdds[0].partitioner

    def get_partitions(self) -> list[Partition]:
        return [Partition(i) for i in range(len(self.rdds[0].partitions()))]

    def get_dependencies(self) -> list[Dependency]:
        return [OneToOneDependency(rdd) for rdd in self.rdds]

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        for rdd in self.rdds:
            yield from rdd.iterator(rdd.partitions()[split.index], context)


class CoalescedPartition(Partition):
    __slots__ = ("parent_indices",)

    def __init__(self, index: int, parent_indices: list[int]):
        super().__init__(index)
        self.parent_indices = parent_indices


class CoalescedRDD(RDD):
    """Fewer partitions without a shuffle: partition i reads a contiguous run of parent partitions.

    Contiguous runs keep the parent's global order, as Spark's coalescer does
    when partitions have no preferred locations.
    """

    def __init__(self, prev: RDD, num_partitions: int):
        super().__init__(prev.ctx)
        self.prev = prev
        self._target = max(1, num_partitions)

    def get_partitions(self) -> list[Partition]:
        n = len(self.prev.partitions())
        k = min(self._target, n)
        if k == 0:
            return []
        return [CoalescedPartition(i, list(range((i * n) // k, ((i + 1) * n) // k))) for i in range(k)]

    def get_dependencies(self) -> list[Dependency]:
        parts = self.partitions()
        return [ExplicitNarrowDependency(self.prev, lambda pid: parts[pid].parent_indices)]  # type: ignore[attr-defined]

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        assert isinstance(split, CoalescedPartition)
        parent_parts = self.prev.partitions()
        for i in split.parent_indices:
            yield from self.prev.iterator(parent_parts[i], context)
