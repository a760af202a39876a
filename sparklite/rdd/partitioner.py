"""Partitioners: which reduce partition a key goes to.

``Partitioner`` follows PySpark's class of the same name: a partition count
and a ``partitionFunc``; two partitioners are equal when both agree, which is
what lets ``join`` and ``cogroup`` skip shuffling an input that is already
partitioned the same way.
"""
from __future__ import annotations

import bisect
from typing import Any, Callable, Sequence

from sparklite.hashing import portable_hash


class Partitioner:
    """Routes a key to ``partitionFunc(key) % numPartitions`` (PySpark's Partitioner)."""

    def __init__(self, numPartitions: int, partitionFunc: Callable[[Any], int] = portable_hash):
        self.numPartitions = int(numPartitions)
        self.partitionFunc = partitionFunc

    def __call__(self, key: Any) -> int:
        return self.partitionFunc(key) % self.numPartitions

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, Partitioner) and type(other) is type(self)
                and self.numPartitions == other.numPartitions
                and self.partitionFunc == other.partitionFunc)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.numPartitions))

    def __repr__(self) -> str:
        name = getattr(self.partitionFunc, "__name__", repr(self.partitionFunc))
        return f"{type(self).__name__}({self.numPartitions}, {name})"


def hash_partitioner(num_partitions: int) -> Partitioner:
    return Partitioner(num_partitions, portable_hash)


class RangePartitioner(Partitioner):
    """Keys in sorted ranges: partition i holds keys between ``bounds[i-1]`` and ``bounds[i]``.

    Bounds come from a sample of the keys (see ``RDD.sortByKey``); with
    ``ascending=False`` partition 0 holds the largest keys, so concatenating the
    partitions in order yields a globally sorted sequence either way.
    """

    def __init__(self, bounds: Sequence[Any], ascending: bool = True,
                 keyfunc: Callable[[Any], Any] = lambda k: k, num_partitions: int | None = None):
        from sparklite.shuffle.known_functions import is_identity

        self.bounds = list(bounds)
        self.ascending = ascending
        self.keyfunc = keyfunc
        #: keyfunc is ``lambda k: k``: the map side bisects keys without calling it
        self.identity_key = is_identity(keyfunc)
        # few distinct keys give fewer bounds than partitions asked for: the rest stay empty,
        # so sortByKey(numPartitions=n) has n partitions as in PySpark
        n = len(self.bounds) + 1 if num_partitions is None else num_partitions
        if n < len(self.bounds) + 1:
            raise ValueError(f"{len(self.bounds)} bounds need at least {len(self.bounds) + 1} partitions")
        super().__init__(n, self._route)

    def _route(self, key: Any) -> int:
        p = bisect.bisect_left(self.bounds, self.keyfunc(key))
        return p if self.ascending else self.numPartitions - 1 - p

    def __call__(self, key: Any) -> int:
        return self._route(key)

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, RangePartitioner) and self.bounds == other.bounds
                and self.numPartitions == other.numPartitions
                and self.ascending == other.ascending and self.keyfunc == other.keyfunc)

    def __hash__(self) -> int:
        return hash(("RangePartitioner", len(self.bounds)))
