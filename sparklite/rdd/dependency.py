"""How an RDD's partitions depend on its parents' partitions.

Narrow dependencies let a task compute a partition from a bounded set of
parent partitions in the same process; a :class:`ShuffleDependency` is a stage
boundary: every output partition may need every parent partition, so the
parent is computed by a shuffle-map stage and read back through the shuffle.

Dependencies exist only on the driver. They are derived from an RDD's fields
each time they are asked for, and a ShuffleDependency refuses to be pickled:
shipping one would ship the whole upstream lineage of a stage that executors
must never recompute themselves.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator

from sparklite.cleaner import cleaner_of

if TYPE_CHECKING:
    from sparklite.rdd.partitioner import Partitioner
    from sparklite.shuffle.aggregator import Aggregator


class Dependency:
    """A parent RDD of some RDD."""

    def __init__(self, rdd: Any):
        self.rdd = rdd


class NarrowDependency(Dependency):
    """Each child partition depends on a small, known set of parent partitions."""

    def get_parents(self, partition_id: int) -> list[int]:
        raise NotImplementedError


class OneToOneDependency(NarrowDependency):
    """Child partition i reads parent partition i."""

    def get_parents(self, partition_id: int) -> list[int]:
        return [partition_id]


class RangeDependency(NarrowDependency):
    """Child partitions [out_start, out_start+length) map to parent [in_start, ...) (union)."""

    def __init__(self, rdd: Any, in_start: int, out_start: int, length: int):
        super().__init__(rdd)
        self.in_start, self.out_start, self.length = in_start, out_start, length

    def get_parents(self, partition_id: int) -> list[int]:
        if self.out_start <= partition_id < self.out_start + self.length:
            return [partition_id - self.out_start + self.in_start]
        return []


class ExplicitNarrowDependency(NarrowDependency):
    """Parents given by a function (coalesce, cartesian, zip)."""

    def __init__(self, rdd: Any, parents_of: Any):
        super().__init__(rdd)
        self._parents_of = parents_of

    def get_parents(self, partition_id: int) -> list[int]:
        return list(self._parents_of(partition_id))


class ShuffleDependency(Dependency):
    """The parent is re-partitioned by ``partitioner``; a stage boundary.

    ``aggregator`` combines values of a key; with ``map_side_combine`` the map
    side combines before writing (reduceByKey), without it only the reduce
    side does (groupByKey of already-unique keys, joins).
    """

    def __init__(self, rdd: Any, shuffle_id: int, partitioner: Partitioner,
                 aggregator: Aggregator | None = None, map_side_combine: bool = False):
        super().__init__(rdd)
        self.shuffle_id = shuffle_id
        self.partitioner = partitioner
        self.aggregator = aggregator
        self.map_side_combine = map_side_combine and aggregator is not None
        from sparklite import callsite

        #: the user's call that made the shuffle (``reduceByKey at job.py:10``): its map stage's name
        self.creation_site = callsite.capture()
        cleaner = cleaner_of(rdd)
        if cleaner is not None:  # its files go once no RDD's lineage holds this dependency
            cleaner.register_shuffle(self)

    def __reduce__(self):
        raise TypeError(f"ShuffleDependency {self.shuffle_id} must not be pickled: it holds the "
                        f"driver-side lineage of a stage; executors get a ShuffleWriteSpec instead")

    def __repr__(self) -> str:
        return f"ShuffleDependency(shuffle {self.shuffle_id}, {self.partitioner!r})"


def walk_lineage(rdd: Any, follow: Callable[[Any, Dependency], bool]) -> Iterator[tuple[Any, list[Dependency]]]:
    """``(r, r's dependencies)`` for ``rdd`` and every ancestor reached through the
    dependencies ``follow(r, dep)`` accepts, each RDD once, depth first.

    An explicit stack rather than recursion: the lineage of an iterative job
    (a PageRank loop, a long chain of unions) runs thousands of RDDs deep.
    """
    seen: set[int] = set()
    stack = [rdd]
    while stack:
        r = stack.pop()
        if id(r) in seen:
            continue
        seen.add(id(r))
        deps = r.dependencies()
        yield r, deps
        stack.extend(dep.rdd for dep in deps if follow(r, dep))


def narrow_only(_: Any, dep: Dependency) -> bool:
    """``walk_lineage`` within one stage: shuffle dependencies are its boundaries."""
    return not isinstance(dep, ShuffleDependency)
