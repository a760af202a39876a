"""Key-value operations (mixin of RDD): everything built on a shuffle by key.

Every wide operation goes through a ShuffleDependency: combineByKey (and
reduceByKey, groupByKey, aggregateByKey, foldByKey on top of it) combines on
the map side; partitionBy only routes; sortByKey routes by sampled ranges;
the join family reads both sides into one CoGroupedRDD. An input already
partitioned by the requested partitioner is not shuffled again.

``numPartitions`` defaults as in PySpark: ``spark.default.parallelism`` when
set, else the parent's number of partitions.
"""
from __future__ import annotations

import copy
import math
from collections import defaultdict
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator

from sparklite.hashing import portable_hash, routes_alike_everywhere
from sparklite.resultiterable import ResultIterable

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD


class PairsMixin:
    def _defaultReducePartitions(self: RDD) -> int:
        if self.ctx._conf.contains("spark.default.parallelism"):
            return self.ctx.defaultParallelism
        return self.getNumPartitions()

    # ------------------------------------------------------------------ keys and values

    def keys(self: RDD) -> RDD:
        """Return an RDD with the keys of each tuple.

        >>> sc.parallelize([(1, 2), (3, 4)]).keys().collect()
        [1, 3]
        """
        return self.map(lambda x: x[0])

    def values(self: RDD) -> RDD:
        """Return an RDD with the values of each tuple.

        >>> sc.parallelize([(1, 2), (3, 4)]).values().collect()
        [2, 4]
        """
        return self.map(lambda x: x[1])

    def mapValues(self: RDD, f: Callable[[Any], Any]) -> RDD:
        """Apply ``f`` to each value, keeping keys and the partitioning.

        >>> sc.parallelize([("a", ["apple", "banana", "lemon"]), ("b", ["grapes"])]).mapValues(len).collect()
        [('a', 3), ('b', 1)]
        """
        return self.map(lambda kv: (kv[0], f(kv[1])), preservesPartitioning=True)

    def flatMapValues(self: RDD, f: Callable[[Any], Iterable[Any]]) -> RDD:
        """Flat-map each value, keeping keys and the partitioning.

        >>> sc.parallelize([("a", ["x", "y"]), ("b", ["p"])]).flatMapValues(lambda x: x).collect()
        [('a', 'x'), ('a', 'y'), ('b', 'p')]
        """
        return self.flatMap(lambda kv: ((kv[0], x) for x in f(kv[1])), preservesPartitioning=True)

    # ------------------------------------------------------------------ shuffles

    def partitionBy(self: RDD, numPartitions: int | None,
                    partitionFunc: Callable[[Any], int] = portable_hash) -> RDD:
        """Return a copy of the RDD partitioned using the specified partitioner.

        >>> pairs = sc.parallelize([1, 2, 3, 4, 2, 4, 1]).map(lambda x: (x, x))
        >>> sets = pairs.partitionBy(2).glom().collect()
        >>> len(set(sets[0]).intersection(set(sets[1])))
        0
        """
        from sparklite.rdd.partitioner import Partitioner
        from sparklite.rdd.shuffled import ShuffledRDD

        if numPartitions is None:
            numPartitions = self._defaultReducePartitions()
        partitioner = Partitioner(numPartitions, partitionFunc)
        if self.partitioner == partitioner:
            return self
        return ShuffledRDD(self, partitioner)

    def _combine(self: RDD, aggregator: Any, numPartitions: int | None,
                 partitionFunc: Callable[[Any], int]) -> RDD:
        from sparklite.rdd.partitioner import Partitioner
        from sparklite.rdd.shuffled import ShuffledRDD

        if numPartitions is None:
            numPartitions = self._defaultReducePartitions()
        partitioner = Partitioner(numPartitions, partitionFunc)
        if self.partitioner == partitioner:
            # already partitioned this way: every key is in one partition, combine in place
            from sparklite.shuffle.external import combine_by_key

            return self.mapPartitions(lambda it: combine_by_key(aggregator, it), preservesPartitioning=True)
        return ShuffledRDD(self, partitioner, aggregator, map_side_combine=True)

    def combineByKey(self: RDD, createCombiner: Callable[[Any], Any],
                     mergeValue: Callable[[Any, Any], Any], mergeCombiners: Callable[[Any, Any], Any],
                     numPartitions: int | None = None,
                     partitionFunc: Callable[[Any], int] = portable_hash) -> RDD:
        """Combine the values of each key using a custom set of aggregation functions.

        >>> x = sc.parallelize([("a", 1), ("b", 1), ("a", 2)])
        >>> def to_list(a): return [a]
        >>> def append(a, b): a.append(b); return a
        >>> def extend(a, b): a.extend(b); return a
        >>> sorted(x.combineByKey(to_list, append, extend).collect())
        [('a', [1, 2]), ('b', [1])]
        """
        from sparklite.shuffle.aggregator import Aggregator

        return self._combine(Aggregator(createCombiner, mergeValue, mergeCombiners), numPartitions,
                             partitionFunc)

    def reduceByKey(self: RDD, func: Callable[[Any, Any], Any], numPartitions: int | None = None,
                    partitionFunc: Callable[[Any], int] = portable_hash) -> RDD:
        """Merge the values for each key using an associative and commutative reduce function.

        >>> from operator import add
        >>> sorted(sc.parallelize([("a", 1), ("b", 1), ("a", 1)]).reduceByKey(add).collect())
        [('a', 2), ('b', 1)]
        """
        from sparklite.shuffle.aggregator import Aggregator

        return self._combine(Aggregator.for_reduce(func), numPartitions, partitionFunc)

    def groupByKey(self: RDD, numPartitions: int | None = None,
                   partitionFunc: Callable[[Any], int] = portable_hash) -> RDD:
        """Group the values for each key into a single sequence (a ResultIterable).

        >>> rdd = sc.parallelize([("a", 1), ("b", 1), ("a", 1)])
        >>> sorted(rdd.groupByKey().mapValues(len).collect())
        [('a', 2), ('b', 1)]
        >>> sorted(rdd.groupByKey().mapValues(list).collect())
        [('a', [1, 1]), ('b', [1])]
        """
        from sparklite.shuffle.aggregator import Aggregator

        return self._combine(Aggregator.for_list(), numPartitions, partitionFunc).mapValues(ResultIterable)

    def aggregateByKey(self: RDD, zeroValue: Any, seqFunc: Callable[[Any, Any], Any],
                       combFunc: Callable[[Any, Any], Any], numPartitions: int | None = None,
                       partitionFunc: Callable[[Any], int] = portable_hash) -> RDD:
        """Aggregate the values of each key, using given combine functions and a neutral "zero value".

        >>> pairs = sc.parallelize([("a", 3), ("b", 4), ("a", 5)])
        >>> sorted(pairs.aggregateByKey(0, lambda acc, v: acc + v, lambda a, b: a + b).collect())
        [('a', 8), ('b', 4)]
        """
        def create(v: Any) -> Any:
            return seqFunc(copy.deepcopy(zeroValue), v)

        return self.combineByKey(create, seqFunc, combFunc, numPartitions, partitionFunc)

    def foldByKey(self: RDD, zeroValue: Any, func: Callable[[Any, Any], Any],
                  numPartitions: int | None = None,
                  partitionFunc: Callable[[Any], int] = portable_hash) -> RDD:
        """Merge the values for each key using ``func`` and a neutral "zero value".

        >>> from operator import add
        >>> sorted(sc.parallelize([("a", 1), ("b", 1), ("a", 1)]).foldByKey(0, add).collect())
        [('a', 2), ('b', 1)]
        """
        def create(v: Any) -> Any:
            return func(copy.deepcopy(zeroValue), v)

        return self.combineByKey(create, func, func, numPartitions, partitionFunc)

    def sortByKey(self: RDD, ascending: bool = True, numPartitions: int | None = None,
                  keyfunc: Callable[[Any], Any] = lambda x: x) -> RDD:
        """Sort this RDD, assumed to consist of (key, value) pairs, globally by key.

        Range bounds come from one sampling pass over the input (a job that runs
        when sortByKey is called, as in PySpark).

        >>> tmp = [('a', 1), ('b', 2), ('1', 3), ('d', 4), ('2', 5)]
        >>> sc.parallelize(tmp).sortByKey().first()
        ('1', 3)
        >>> sc.parallelize(tmp).sortByKey(True, 2).collect()
        [('1', 3), ('2', 5), ('a', 1), ('b', 2), ('d', 4)]
        >>> sc.parallelize(tmp).sortByKey(False, 3, keyfunc=lambda k: k.lower()).keys().collect()
        ['d', 'b', 'a', '2', '1']
        """
        from sparklite.rdd.partitioner import RangePartitioner
        from sparklite.rdd.sampling import range_bounds
        from sparklite.rdd.shuffled import ShuffledRDD

        from operator import itemgetter

        from sparklite.shuffle.known_functions import is_identity

        if numPartitions is None:
            numPartitions = self._defaultReducePartitions()
        # the default keyfunc sorts by the key itself: a C key function, no call per record
        sort_key = itemgetter(0) if is_identity(keyfunc) else (lambda kv: keyfunc(kv[0]))

        def sort_partition(iterator: Iterator[Any]) -> Iterator[Any]:
            from sparklite.shuffle.external import sort_records

            return sort_records(iterator, key=sort_key, reverse=not ascending)

        if numPartitions == 1:
            rdd = self.coalesce(1) if self.getNumPartitions() > 1 else self
            return rdd.mapPartitions(sort_partition, True)
        bounds = range_bounds(self, numPartitions, keyfunc)
        if bounds is None:
            return self  # empty RDD
        shuffled = ShuffledRDD(self, RangePartitioner(bounds, ascending, keyfunc, numPartitions))
        return shuffled.mapPartitions(sort_partition, True)

    def repartitionAndSortWithinPartitions(self: RDD, numPartitions: int | None = None,
                                           partitionFunc: Callable[[Any], int] = portable_hash,
                                           ascending: bool = True,
                                           keyfunc: Callable[[Any], Any] = lambda x: x) -> RDD:
        """Repartition the RDD according to the given partitioner and, within each resulting
        partition, sort records by their keys.

        Parameters
        ----------
        numPartitions : int, optional
            the number of partitions in new :class:`RDD`
        partitionFunc : function, optional, default `portable_hash`
            a function to compute the partition index
        ascending : bool, optional, default True
            sort the keys in ascending or descending order
        keyfunc : function, optional, default identity mapping
            a function to compute the key

        Returns
        -------
        :class:`RDD`
            a new :class:`RDD`

        Examples
        --------
        >>> rdd = sc.parallelize([(0, 5), (3, 8), (2, 6), (0, 8), (3, 8), (1, 3)])
        >>> rdd2 = rdd.repartitionAndSortWithinPartitions(2, lambda x: x % 2, True)
        >>> rdd2.glom().collect()
        [[(0, 5), (0, 8), (2, 6)], [(1, 3), (3, 8), (3, 8)]]
        """
        def sort_partition(iterator: Iterator[Any]) -> Iterator[Any]:
            return iter(sorted(iterator, key=lambda kv: keyfunc(kv[0]), reverse=not ascending))

        return self.partitionBy(numPartitions, partitionFunc).mapPartitions(sort_partition, True)

    # ------------------------------------------------------------------ joins

    def _cogrouped(self: RDD, others: list[RDD], numPartitions: int | None, mode: str) -> RDD:
        from sparklite.rdd.partitioner import Partitioner
        from sparklite.rdd.shuffled import CoGroupedRDD

        rdds = [self, *others]
        if numPartitions is None:
            existing = _reusable_partitioner(rdds)
            if existing is not None:
                return CoGroupedRDD(self.ctx, rdds, existing, mode)
            if self.ctx._conf.contains("spark.default.parallelism"):
                numPartitions = self.ctx.defaultParallelism
            else:
                # PySpark groups the union of both sides: as many partitions as both together
                numPartitions = sum(r.getNumPartitions() for r in rdds)
        return CoGroupedRDD(self.ctx, rdds, Partitioner(max(1, numPartitions), portable_hash), mode)

    def join(self: RDD, other: RDD, numPartitions: int | None = None) -> RDD:
        """Inner join: ``(k, (v1, v2))`` for every pair of matching values.

        Notes
        -----
        Differs from PySpark: without ``numPartitions``, a join (and every outer join and
        cogroup) keeps the partitioner of an input that has one (Spark's
        ``defaultPartitioner`` rule), so that input is not shuffled again: joining a
        cached, partitioned RDD in a loop (PageRank's ``links``) moves only the other
        side. PySpark shuffles both sides into as many partitions as they have together.

        >>> x = sc.parallelize([("a", 1), ("b", 4)])
        >>> y = sc.parallelize([("a", 2), ("a", 3)])
        >>> sorted(x.join(y).collect())
        [('a', (1, 2)), ('a', (1, 3))]
        """
        return self._cogrouped([other], numPartitions, "inner")

    def leftOuterJoin(self: RDD, other: RDD, numPartitions: int | None = None) -> RDD:
        """Left outer join: keys of ``self`` without a match get ``(v, None)``.

        >>> x = sc.parallelize([("a", 1), ("b", 4)])
        >>> y = sc.parallelize([("a", 2)])
        >>> sorted(x.leftOuterJoin(y).collect())
        [('a', (1, 2)), ('b', (4, None))]
        """
        return self._cogrouped([other], numPartitions, "left")

    def rightOuterJoin(self: RDD, other: RDD, numPartitions: int | None = None) -> RDD:
        """Right outer join: keys of ``other`` without a match get ``(None, w)``.

        >>> x = sc.parallelize([("a", 1), ("b", 4)])
        >>> y = sc.parallelize([("a", 2)])
        >>> sorted(y.rightOuterJoin(x).collect())
        [('a', (2, 1)), ('b', (None, 4))]
        """
        return self._cogrouped([other], numPartitions, "right")

    def fullOuterJoin(self: RDD, other: RDD, numPartitions: int | None = None) -> RDD:
        """Full outer join.

        >>> x = sc.parallelize([("a", 1), ("b", 4)])
        >>> y = sc.parallelize([("a", 2), ("c", 8)])
        >>> sorted(x.fullOuterJoin(y).collect())
        [('a', (1, 2)), ('b', (4, None)), ('c', (None, 8))]
        """
        return self._cogrouped([other], numPartitions, "full")

    def cogroup(self: RDD, other: RDD, numPartitions: int | None = None) -> RDD:
        """For each key, a tuple of the values in ``self`` and in ``other`` (ResultIterables).

        >>> x = sc.parallelize([("a", 1), ("b", 4)])
        >>> y = sc.parallelize([("a", 2)])
        >>> [(k, tuple(map(list, v))) for k, v in sorted(x.cogroup(y).collect())]
        [('a', ([1], [2])), ('b', ([4], []))]
        """
        return self._cogrouped([other], numPartitions, "cogroup")

    def groupWith(self: RDD, other: RDD, *others: RDD) -> RDD:
        """Alias for cogroup with support for multiple RDDs.

        >>> w = sc.parallelize([("a", 5), ("b", 6)])
        >>> x = sc.parallelize([("a", 1), ("b", 4)])
        >>> y = sc.parallelize([("a", 2)])
        >>> z = sc.parallelize([("b", 42)])
        >>> [(k, tuple(map(list, v))) for k, v in sorted(w.groupWith(x, y, z).collect())]
        [('a', ([5], [1], [2], [])), ('b', ([6], [4], [], [42]))]
        """
        return self._cogrouped([other, *others], None, "cogroup")

    # ------------------------------------------------------------------ pair actions

    def countByKey(self: RDD) -> dict[Any, int]:
        """Count the number of elements for each key, returned as a dict.

        >>> sorted(sc.parallelize([("a", 1), ("b", 1), ("a", 1)]).countByKey().items())
        [('a', 2), ('b', 1)]
        """
        return self.map(lambda x: x[0]).countByValue()

    def lookup(self: RDD, key: Any) -> list[Any]:
        """Return the list of values in the RDD for key `key`.

        This operation is done efficiently if the RDD has a known partitioner
        by only searching the partition that the key maps to.

        Parameters
        ----------
        key : K
            the key to look up

        Returns
        -------
        list
            the list of values in the :class:`RDD` for key `key`

        Examples
        --------
        >>> l = range(1000)
        >>> rdd = sc.parallelize(zip(l, l), 10)
        >>> rdd.lookup(42)  # slow
        [42]
        >>> sorted = rdd.sortByKey()
        >>> sorted.lookup(42)  # fast
        [42]
        >>> sorted.lookup(1024)
        []
        >>> rdd2 = sc.parallelize([(('a', 'b'), 'c')]).groupByKey()
        >>> list(rdd2.lookup(('a', 'b'))[0])
        ['c']
        """
        values = self.filter(lambda kv: kv[0] == key).values()
        partitioner = self.partitioner
        # the driver can only pick the partition if it hashes the key as the executors did
        if partitioner is not None and (partitioner.partitionFunc is not portable_hash
                                        or routes_alike_everywhere(key)):
            return self.ctx.runJob(values, lambda it: it, [partitioner(key)])
        return values.collect()

    def reduceByKeyLocally(self: RDD, func: Callable[[Any, Any], Any]) -> dict[Any, Any]:
        """Merge the values for each key using an associative and commutative reduce function, but
        return the results immediately to the master as a dictionary.

        This will also perform the merging locally on each mapper before
        sending results to a reducer, similarly to a "combiner" in MapReduce.

        Parameters
        ----------
        func : function
            the reduce function

        Returns
        -------
        dict
            a dict containing the keys and the aggregated result for each key

        Examples
        --------
        >>> from operator import add
        >>> rdd = sc.parallelize([("a", 1), ("b", 1), ("a", 1)])
        >>> sorted(rdd.reduceByKeyLocally(add).items())
        [('a', 2), ('b', 1)]
        """
        def reduce_partition(iterator: Iterator[Any]) -> Iterator[dict[Any, Any]]:
            merged: dict[Any, Any] = {}
            for k, v in iterator:
                merged[k] = func(merged[k], v) if k in merged else v
            yield merged

        def merge_maps(a: dict[Any, Any], b: dict[Any, Any]) -> dict[Any, Any]:
            for k, v in b.items():
                a[k] = func(a[k], v) if k in a else v
            return a

        partials = self.mapPartitions(reduce_partition).collect()
        result: dict[Any, Any] = {}
        for partial in partials:
            merge_maps(result, partial)
        return result

    def collectAsMap(self: RDD) -> dict[Any, Any]:
        """Return the key-value pairs in this RDD to the driver as a dict.

        >>> m = sc.parallelize([(1, 2), (3, 4)]).collectAsMap()
        >>> m[1], m[3]
        (2, 4)
        """
        return dict(self.collect())


def _reusable_partitioner(rdds: list[RDD]) -> Any:
    """The partitioner of an input that a join may keep (so that input is not shuffled), or None.

    Spark's rule (``Partitioner.defaultPartitioner``): the partitioner of the input
    with the most partitions among those that have one, if its partition count is
    within an order of magnitude of the largest input's, if it is a hash partitioner.
    Differs from PySpark, which always shuffles both sides into as many partitions
    as they have together unless they already share one partitioner (see issue #4:
    PageRank's cached ``links``).
    """
    from sparklite.rdd.partitioner import Partitioner

    # only a plain hash partitioner: a sort's range bounds or a user's partitionFunc would be
    # applied to the other side's keys, which may not even compare with the bounds
    with_partitioner = [r for r in rdds if type(r.partitioner) is Partitioner
                        and r.partitioner.partitionFunc is portable_hash and r.partitioner.numPartitions > 0]
    if not with_partitioner:
        return None
    best = max(with_partitioner, key=lambda r: r.getNumPartitions())
    largest = max(r.getNumPartitions() for r in rdds)
    if math.log10(largest) - math.log10(best.getNumPartitions()) < 1:
        return best.partitioner
    return None


def merge_counts(a: defaultdict, b: dict) -> defaultdict:
    for k, v in b.items():
        a[k] += v
    return a
