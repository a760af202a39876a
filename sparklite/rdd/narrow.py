"""RDDs whose partitions each read a few parent partitions directly: union, coalesce, cartesian, zip.

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


class CartesianPartition(Partition):
    __slots__ = ("left", "right")

    def __init__(self, index: int, left: Partition, right: Partition):
        super().__init__(index)
        self.left = left
        self.right = right


class CartesianRDD(RDD):
    """Every pair ``(x, y)``: partition ``i * n_right + j`` pairs left partition i with right j.

    The right partition is read once into memory and replayed for each left
    element, rather than recomputed per element.
    """

    def __init__(self, left: RDD, right: RDD):
        super().__init__(left.ctx)
        self.left = left
        self.right = right

    def get_partitions(self) -> list[Partition]:
        rights = self.right.partitions()
        return [CartesianPartition(i * len(rights) + j, a, b)
                for i, a in enumerate(self.left.partitions()) for j, b in enumerate(rights)]

    def get_dependencies(self) -> list[Dependency]:
        n = len(self.right.partitions())
        return [ExplicitNarrowDependency(self.left, lambda pid: [pid // n]),
                ExplicitNarrowDependency(self.right, lambda pid: [pid % n])]

    def get_preferred_locations(self, split: Partition) -> list[str]:
        assert isinstance(split, CartesianPartition)
        left = self.left.preferred_locations(split.left)
        right = set(self.right.preferred_locations(split.right))
        return [loc for loc in left if loc in right] or left

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        assert isinstance(split, CartesianPartition)
        right = list(self.right.iterator(split.right, context))
        if not right:
            return
        for x in self.left.iterator(split.left, context):
            for y in right:
                yield x, y


class ZippedPartition(Partition):
    __slots__ = ("parents",)

    def __init__(self, index: int, parents: list[Partition]):
        super().__init__(index)
        self.parents = parents


class ZippedRDD(RDD):
    """Element-wise pairs of RDDs with equal partition counts and equal partition sizes."""

    def __init__(self, left: RDD, right: RDD):
        super().__init__(left.ctx)
        if left.getNumPartitions() != right.getNumPartitions():
            raise ValueError("Can only zip with RDD which has the same number of partitions "
                             f"({left.getNumPartitions()} != {right.getNumPartitions()})")
        self.left = left
        self.right = right

    def get_partitions(self) -> list[Partition]:
        return [ZippedPartition(i, [a, b])
                for i, (a, b) in enumerate(zip(self.left.partitions(), self.right.partitions()))]

    def get_dependencies(self) -> list[Dependency]:
        return [OneToOneDependency(self.left), OneToOneDependency(self.right)]

    def get_preferred_locations(self, split: Partition) -> list[str]:
        assert isinstance(split, ZippedPartition)
        left = self.left.preferred_locations(split.parents[0])
        right = set(self.right.preferred_locations(split.parents[1]))
        return [loc for loc in left if loc in right] or left

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        assert isinstance(split, ZippedPartition)
        end = object()
        lefts = self.left.iterator(split.parents[0], context)
        rights = iter(self.right.iterator(split.parents[1], context))
        for x in lefts:
            y = next(rights, end)
            if y is end:
                break
            yield x, y
        else:
            if next(rights, end) is end:
                return
        raise ValueError(f"Can only zip RDDs with same number of elements in each partition "
                         f"(partition {split.index} differs)")
