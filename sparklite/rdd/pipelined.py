"""PipelinedRDD: consecutive narrow Python functions fused into one partition iterator.

``rdd.map(f).filter(g).flatMap(h)`` becomes a single RDD whose function is
``h∘g∘f`` applied lazily to the parent's iterator, so one task walks each
record through the whole chain without materializing anything in between
(PySpark's PipelinedRDD does the same). Fusion stops at a persisted or
checkpointed RDD, because its partitions must be read from the cache, and at an
RDD with a resource profile (its stages' tasks need its resources, not the
child's). A barrier function stays a barrier function once fused.

As in PySpark, a PipelinedRDD takes its id when the id is first needed (``id()``,
an action, persisting, pickling), not when it is made: ``rdd.map(f).filter(g)``
spends one id, not two, because the intermediate ``map`` is never used on its own.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from sparklite.rdd.base import Partition
from sparklite.rdd.dependency import Dependency, OneToOneDependency
from sparklite.rdd.rdd import RDD
from sparklite.taskcontext import TaskContext

PartitionFunc = Callable[[int, Iterator[Any]], Iterable[Any]]


class PipelinedRDD(RDD):
    """The result of ``mapPartitionsWithIndex`` (and everything built on it)."""

    _lazy_id = True
    _assigned_id: int | None = None

    @property
    def _rdd_id(self) -> int:  # type: ignore[override]
        if self._assigned_id is None:
            self._assigned_id = self.ctx._new_rdd_id()
        return self._assigned_id

    @_rdd_id.setter
    def _rdd_id(self, value: int) -> None:
        self._assigned_id = value

    def __getstate__(self) -> dict[str, Any]:
        self._rdd_id  # noqa: B018 - executors have no context to take an id from
        return super().__getstate__()

    def __init__(self, prev: RDD, func: PartitionFunc, preservesPartitioning: bool = False,
                 isFromBarrier: bool = False):
        if isinstance(prev, PipelinedRDD) and prev._is_pipelinable():
            prev_func = prev.func

            def pipeline_func(split: int, iterator: Iterator[Any]) -> Iterable[Any]:
                return func(split, prev_func(split, iterator))

            self.func: PartitionFunc = pipeline_func
            self.preservesPartitioning = prev.preservesPartitioning and preservesPartitioning
            self.prev: RDD = prev.prev
            #: a barrier function fused into this one keeps the stage a barrier stage
            self._from_barrier = isFromBarrier or prev._from_barrier
        else:
            self.func = func
            self.preservesPartitioning = preservesPartitioning
            self.prev = prev
            self._from_barrier = isFromBarrier
        super().__init__(prev.ctx)
        self.partitioner = self.prev.partitioner if self.preservesPartitioning else None

    def _is_pipelinable(self) -> bool:
        return not (self.is_cached or self.is_checkpointed or self._storage_level.is_valid
                    or getattr(self, "_checkpoint_data", None) is not None
                    or self._resource_profile is not None)

    def get_partitions(self) -> list[Partition]:
        return self.prev.partitions()

    def get_dependencies(self) -> list[Dependency]:
        return [OneToOneDependency(self.prev)]

    def get_preferred_locations(self, split: Partition) -> list[str]:
        return self.prev.preferred_locations(split)

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        return iter(self.func(split.index, self.prev.iterator(split, context)))
