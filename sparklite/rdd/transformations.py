"""Element-wise and partition-wise transformations (mixin of RDD).

Everything here is lazy and, except ``repartition``/``distinct``/``groupBy``/
``sortBy``, narrow: a new PipelinedRDD whose function is fused with its
parent's when possible.
"""
from __future__ import annotations

import pickle
import random
import warnings
from itertools import chain, groupby
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from sparklite.hashing import portable_hash

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD


def _position_partition(key: int) -> int:
    return key


def _first(pair: tuple[int, Any]) -> int:
    return pair[0]


def _content_hash(x: Any) -> int:
    """A hash of an element's value that every executor computes alike (PYTHONHASHSEED=0 there)."""
    if type(x) is float and x != x:
        return 0  # hash(nan) is the object's identity since Python 3.10, not its value
    if type(x).__hash__ is not None and type(x).__hash__ is not object.__hash__:
        try:
            return hash(x)
        except TypeError:  # a tuple holding a list, ...
            pass
    return hash(pickle.dumps(x, pickle.HIGHEST_PROTOCOL))


def _order_by_content(iterator: Iterable[Any]) -> list[Any]:
    """The elements in an order that depends only on their values, not on how they arrived.

    Sorted by content hash; elements whose hashes collide (-1 and -2, say) are ordered by
    their pickled bytes, so even they cannot swap places when the input is recomputed in
    another order.
    """
    keyed = sorted(((_content_hash(x), x) for x in iterator), key=_first)
    out: list[Any] = []
    for _, run in groupby(keyed, key=_first):
        same_hash = [x for _, x in run]
        if len(same_hash) > 1:
            same_hash.sort(key=lambda x: pickle.dumps(x, pickle.HIGHEST_PROTOCOL))
        out.extend(same_hash)
    return out


class TransformationsMixin:
    def mapPartitionsWithIndex(self: RDD, f: Callable[[int, Iterator[Any]], Iterable[Any]],
                               preservesPartitioning: bool = False) -> RDD:
        """Return a new RDD by applying ``f(index, iterator)`` to each partition.

        >>> sc.parallelize([1, 2, 3, 4], 4).mapPartitionsWithIndex(lambda i, it: [i]).sum()
        6
        """
        from sparklite.rdd.pipelined import PipelinedRDD

        return PipelinedRDD(self, f, preservesPartitioning)

    def mapPartitionsWithSplit(self: RDD, f: Callable[[int, Iterator[Any]], Iterable[Any]],
                               preservesPartitioning: bool = False) -> RDD:
        """Return a new RDD by applying a function to each partition of this RDD,
        while tracking the index of the original partition.

        .. deprecated:: 0.9.0
            use :meth:`RDD.mapPartitionsWithIndex` instead.

        Examples
        --------
        >>> import warnings
        >>> rdd = sc.parallelize([1, 2, 3, 4], 4)
        >>> def f(splitIndex, iterator): yield splitIndex
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", FutureWarning)
        ...     rdd.mapPartitionsWithSplit(f).sum()
        6
        """
        warnings.warn("mapPartitionsWithSplit is deprecated; use mapPartitionsWithIndex instead",
                      FutureWarning, stacklevel=2)
        return self.mapPartitionsWithIndex(f, preservesPartitioning)

    def mapPartitions(self: RDD, f: Callable[[Iterator[Any]], Iterable[Any]],
                      preservesPartitioning: bool = False) -> RDD:
        """Return a new RDD by applying ``f`` to each partition's iterator.

        >>> sc.parallelize([1, 2, 3, 4], 2).mapPartitions(lambda it: [sum(it)]).collect()
        [3, 7]
        """
        def func(_: int, iterator: Iterator[Any]) -> Iterable[Any]:
            return f(iterator)

        return self.mapPartitionsWithIndex(func, preservesPartitioning)

    def map(self: RDD, f: Callable[[Any], Any], preservesPartitioning: bool = False) -> RDD:
        """Return a new RDD by applying ``f`` to each element.

        >>> sorted(sc.parallelize(["b", "a", "c"]).map(lambda x: (x, 1)).collect())
        [('a', 1), ('b', 1), ('c', 1)]
        """
        def func(_: int, iterator: Iterator[Any]) -> Iterable[Any]:
            return map(f, iterator)

        func.map_function = f  # type: ignore[attr-defined]  # see PipelinedRDD (pairs with a constant)
        return self.mapPartitionsWithIndex(func, preservesPartitioning)

    def flatMap(self: RDD, f: Callable[[Any], Iterable[Any]], preservesPartitioning: bool = False) -> RDD:
        """Return a new RDD by applying ``f`` to each element and flattening the results.

        >>> sorted(sc.parallelize([2, 3, 4]).flatMap(lambda x: range(1, x)).collect())
        [1, 1, 1, 2, 2, 3]
        """
        def func(_: int, iterator: Iterator[Any]) -> Iterable[Any]:
            return chain.from_iterable(map(f, iterator))

        return self.mapPartitionsWithIndex(func, preservesPartitioning)

    def filter(self: RDD, f: Callable[[Any], bool]) -> RDD:
        """Return a new RDD containing only the elements that satisfy ``f``.

        >>> sc.parallelize([1, 2, 3, 4, 5]).filter(lambda x: x % 2 == 0).collect()
        [2, 4]
        """
        def func(_: int, iterator: Iterator[Any]) -> Iterable[Any]:
            return filter(f, iterator)

        return self.mapPartitionsWithIndex(func, True)

    def glom(self: RDD) -> RDD:
        """Return an RDD created by coalescing all elements within each partition into a list.

        >>> sc.parallelize([1, 2, 3, 4], 2).glom().collect()
        [[1, 2], [3, 4]]
        """
        def func(_: int, iterator: Iterator[Any]) -> Iterable[Any]:
            yield list(iterator)

        return self.mapPartitionsWithIndex(func)

    def keyBy(self: RDD, f: Callable[[Any], Any]) -> RDD:
        """Create tuples of the elements in this RDD by applying ``f``.

        >>> sc.parallelize(range(3)).keyBy(lambda x: x * x).collect()
        [(0, 0), (1, 1), (4, 2)]
        """
        return self.map(lambda x: (f(x), x))

    def union(self: RDD, other: RDD) -> RDD:
        """Return the union of this RDD and another one (duplicates kept).

        >>> rdd = sc.parallelize([1, 1, 2, 3])
        >>> rdd.union(rdd).collect()
        [1, 1, 2, 3, 1, 1, 2, 3]
        """
        from sparklite.rdd.narrow import PartitionerAwareUnionRDD, UnionRDD

        if (self.partitioner is not None and self.partitioner == other.partitioner
                and self.getNumPartitions() == other.getNumPartitions()):
            return PartitionerAwareUnionRDD(self.ctx, [self, other])
        return UnionRDD(self.ctx, [self, other])

    def __add__(self: RDD, other: RDD) -> RDD:
        from sparklite.rdd.rdd import RDD as _RDD

        if not isinstance(other, _RDD):
            raise TypeError
        return self.union(other)

    def coalesce(self: RDD, numPartitions: int, shuffle: bool = False) -> RDD:
        """Return a new RDD that is reduced into ``numPartitions`` partitions.

        >>> sc.parallelize([1, 2, 3, 4, 5], 3).glom().collect()
        [[1], [2, 3], [4, 5]]
        >>> sc.parallelize([1, 2, 3, 4, 5], 3).coalesce(1).glom().collect()
        [[1, 2, 3, 4, 5]]
        """
        from sparklite.rdd.narrow import CoalescedRDD
        from sparklite.rdd.partitioner import Partitioner
        from sparklite.rdd.shuffled import ShuffledRDD

        if numPartitions <= 0:
            raise ValueError(f"Number of partitions ({numPartitions}) must be positive.")
        if not shuffle:
            return CoalescedRDD(self, numPartitions)

        def distribute(index: int, iterator: Iterator[Any]) -> Iterator[tuple[int, Any]]:
            # Round-robin over the partition sorted by a content hash, from a start fixed by the
            # partition index: a recomputed partition sends every element to the same reducer as
            # before even if it comes back in another order (issue #3; SPARK-23207 lost rows here)
            ordered = _order_by_content(iterator)
            position = random.Random(index).randrange(numPartitions)
            for x in ordered:
                position += 1
                yield position % numPartitions, x

        keyed = self.mapPartitionsWithIndex(distribute)
        shuffled = ShuffledRDD(keyed, Partitioner(numPartitions, _position_partition))
        return shuffled.values()

    def repartition(self: RDD, numPartitions: int) -> RDD:
        """Return a new RDD with exactly ``numPartitions`` partitions (always shuffles).

        >>> sorted(sc.parallelize(range(7), 3).repartition(2).glom().map(len).collect())
        [3, 4]
        """
        return self.coalesce(numPartitions, shuffle=True)

    def distinct(self: RDD, numPartitions: int | None = None) -> RDD:
        """Return a new RDD containing the distinct elements in this RDD.

        >>> sorted(sc.parallelize([1, 1, 2, 3]).distinct().collect())
        [1, 2, 3]
        """
        return (self.map(lambda x: (x, None))
                .reduceByKey(lambda x, _: x, numPartitions)
                .map(lambda x: x[0]))

    def groupBy(self: RDD, f: Callable[[Any], Any], numPartitions: int | None = None,
                partitionFunc: Callable[[Any], int] = portable_hash) -> RDD:
        """Return an RDD of grouped items, keyed by ``f``.

        >>> result = sc.parallelize([1, 1, 2, 3, 5, 8]).groupBy(lambda x: x % 2).collect()
        >>> sorted([(x, sorted(y)) for (x, y) in result])
        [(0, [2, 8]), (1, [1, 1, 3, 5])]
        """
        return self.map(lambda x: (f(x), x)).groupByKey(numPartitions, partitionFunc)

    def sortBy(self: RDD, keyfunc: Callable[[Any], Any], ascending: bool = True,
               numPartitions: int | None = None) -> RDD:
        """Sorts this RDD by the given ``keyfunc``.

        >>> tmp = [('a', 1), ('b', 2), ('1', 3), ('d', 4), ('2', 5)]
        >>> sc.parallelize(tmp).sortBy(lambda x: x[0]).collect()
        [('1', 3), ('2', 5), ('a', 1), ('b', 2), ('d', 4)]
        >>> sc.parallelize(tmp).sortBy(lambda x: x[1], ascending=False).collect()
        [('2', 5), ('d', 4), ('1', 3), ('b', 2), ('a', 1)]
        """
        return self.keyBy(keyfunc).sortByKey(ascending, numPartitions).values()
