"""The reduce side of shuffles: ShuffledRDD (one parent) and CoGroupedRDD (several, for joins).

Both keep their ShuffleDependency objects on the driver only (``_transient``):
the executor-side copy knows just the shuffle id and reads its partition's
segments through ``shuffle.reader``. A CoGroupedRDD parent that is already
partitioned by the target partitioner is read directly (a narrow dependency)
instead of being shuffled again. Combining, grouping and joining stay within
the task's memory budget by spilling sorted runs (``shuffle.external``).
"""
from __future__ import annotations

from itertools import chain
from typing import Any, Iterable, Iterator

from sparklite.rdd import join as join_kernels
from sparklite.rdd.base import Partition
from sparklite.rdd.dependency import Dependency, OneToOneDependency, ShuffleDependency
from sparklite.rdd.rdd import RDD
from sparklite.shuffle.external import combine_batches_by_key, spill_config
from sparklite.shuffle.reader import read_batches
from sparklite.taskcontext import TaskContext


class ShuffledRDD(RDD):
    """``prev`` re-partitioned by ``partitioner``; combined by ``aggregator`` if given."""

    _transient = ("_dep",)

    def __init__(self, prev: RDD, partitioner: Any, aggregator: Any = None, map_side_combine: bool = False):
        super().__init__(prev.ctx)
        self.shuffle_id = self.ctx._new_shuffle_id()
        self._dep = ShuffleDependency(prev, self.shuffle_id, partitioner, aggregator, map_side_combine)
        self.partitioner = partitioner
        self.aggregator = aggregator
        self.map_side_combine = self._dep.map_side_combine

    def get_partitions(self) -> list[Partition]:
        return [Partition(i) for i in range(self.partitioner.numPartitions)]

    def get_dependencies(self) -> list[Dependency]:
        return [self._dep]

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        batches = read_batches(context, self.shuffle_id, split.index)
        if self.aggregator is None:
            return chain.from_iterable(batches)
        return _deferred(combine_batches_by_key, self.aggregator, batches, self.map_side_combine)


def _deferred(combine: Any, aggregator: Any, batches: Iterator[Any], combiners: bool) -> Iterator[Any]:
    # nothing is fetched until the partition is iterated, as for every other RDD: the fetch
    # happens inside the task's pipeline, where the engine and user code expect it
    yield from combine(aggregator, batches, combiners=combiners)


class CoGroupedRDD(RDD):
    """Several pair RDDs brought together by key: cogroup or one of the joins (``mode``)."""

    _transient = ("_deps",)

    def __init__(self, ctx: Any, rdds: list[RDD], partitioner: Any, mode: str = "cogroup"):
        super().__init__(ctx)
        self.partitioner = partitioner
        self.mode = mode
        #: per parent: ("narrow", rdd) read directly, or ("shuffle", shuffle id)
        self._sources: list[tuple[str, Any]] = []
        self._deps: list[Dependency] = []
        for rdd in rdds:
            if rdd.partitioner == partitioner:
                self._sources.append(("narrow", rdd))
                self._deps.append(OneToOneDependency(rdd))
            else:
                shuffle_id = ctx._new_shuffle_id()
                self._sources.append(("shuffle", shuffle_id))
                self._deps.append(ShuffleDependency(rdd, shuffle_id, partitioner))

    def get_partitions(self) -> list[Partition]:
        return [Partition(i) for i in range(self.partitioner.numPartitions)]

    def get_dependencies(self) -> list[Dependency]:
        return list(self._deps)

    def _records(self, i: int, split: Partition, context: TaskContext) -> Iterable[tuple[Any, Any]]:
        kind, source = self._sources[i]
        if kind == "narrow":
            return source.iterator(source.partitions()[split.index], context)
        return chain.from_iterable(read_batches(context, source, split.index))

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        spill = spill_config()
        if self.mode == "cogroup":
            return join_kernels.cogroup([self._records(i, split, context) for i in range(len(self._sources))],
                                        spill)
        kernel = join_kernels.JOINS[self.mode]
        return kernel(self._records(0, split, context), self._records(1, split, context), spill)
