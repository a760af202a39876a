"""Actions (mixin of RDD): each runs one or more jobs through ``SparkContext.run_job``."""
from __future__ import annotations

import heapq
import math
import warnings
from collections import defaultdict
from functools import reduce as _reduce
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD

#: the local properties that setJobGroup sets
JOB_GROUP_PROPERTIES = ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel")


def _count(iterator: Iterator[Any]) -> int:
    n = 0
    for n, _ in enumerate(iterator, 1):
        pass
    return n


def _consume(iterator: Iterator[Any]) -> None:
    for _ in iterator:
        pass


class ActionsMixin:
    def collect(self: RDD) -> list[Any]:
        """Return a list that contains all the elements in this RDD.

        >>> sc.parallelize([1, 2, 3], 2).collect()
        [1, 2, 3]
        """
        return list(chain.from_iterable(self.ctx.run_job(self, list)))

    def collectWithJobGroup(self: RDD, groupId: str, description: str,
                            interruptOnCancel: bool = False) -> list[Any]:
        """When collect rdd, use this method to specify job group.

        .. deprecated:: 3.1.0
            Use :meth:`SparkContext.setJobGroup` in the thread that collects instead.

        Parameters
        ----------
        groupId : str
            The group ID to assign.
        description : str
            The description to set for the job group.
        interruptOnCancel : bool, optional, default False
            whether to interrupt jobs on job cancellation.

        Returns
        -------
        list
            a list containing all the elements

        Examples
        --------
        >>> import warnings
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore", FutureWarning)
        ...     sc.parallelize([1, 2]).collectWithJobGroup("group", "two numbers")
        [1, 2]
        """
        warnings.warn("Deprecated in 3.1, Use SparkContext.setJobGroup in the collecting thread "
                      "instead.", FutureWarning, stacklevel=2)
        ctx = self.ctx
        saved = {key: ctx.getLocalProperty(key) for key in JOB_GROUP_PROPERTIES}
        ctx.setJobGroup(groupId, description, interruptOnCancel)
        try:
            return self.collect()
        finally:
            for key, value in saved.items():
                ctx.setLocalProperty(key, value)

    def count(self: RDD) -> int:
        """Return the number of elements in this RDD.

        >>> sc.parallelize([2, 3, 4]).count()
        3
        """
        return sum(self.ctx.run_job(self, _count))

    def getNumPartitions(self: RDD) -> int:
        """Return the number of partitions in this RDD.

        >>> sc.parallelize([1, 2, 3, 4], 2).getNumPartitions()
        2
        """
        return len(self.partitions())

    def take(self: RDD, num: int) -> list[Any]:
        """Take the first ``num`` elements, scanning one partition first and more only as needed.

        >>> sc.parallelize([2, 3, 4, 5, 6]).take(2)
        [2, 3]
        >>> sc.parallelize(range(100), 100).filter(lambda x: x > 90).take(3)
        [91, 92, 93]
        """
        items: list[Any] = []
        total = self.getNumPartitions()
        scanned = 0
        while len(items) < num and scanned < total:
            to_try = 1
            if scanned > 0:
                # as PySpark: quadruple while nothing is found, else estimate from the yield so far
                if not items:
                    to_try = scanned * 4
                else:
                    to_try = int(1.5 * num * scanned / len(items)) - scanned
                    to_try = min(max(to_try, 1), scanned * 4)
            left = num - len(items)
            parts = range(scanned, min(scanned + to_try, total))
            for part in self.ctx.run_job(self, lambda it: list(islice(it, left)), parts):
                items.extend(part)
            scanned += to_try
        return items[:num]

    def first(self: RDD) -> Any:
        """Return the first element in this RDD.

        >>> sc.parallelize([2, 3, 4]).first()
        2
        """
        rs = self.take(1)
        if rs:
            return rs[0]
        raise ValueError("RDD is empty")

    def isEmpty(self: RDD) -> bool:
        """True if and only if the RDD contains no elements at all.

        >>> sc.parallelize([]).isEmpty(), sc.parallelize([1]).isEmpty()
        (True, False)
        """
        return self.getNumPartitions() == 0 or len(self.take(1)) == 0

    def reduce(self: RDD, f: Callable[[Any, Any], Any]) -> Any:
        """Reduce the elements of this RDD using a commutative and associative binary operator.

        >>> from operator import add
        >>> sc.parallelize([1, 2, 3, 4, 5]).reduce(add)
        15
        >>> sc.parallelize([]).reduce(add)
        Traceback (most recent call last):
            ...
        ValueError: Can not reduce() empty RDD
        """
        def partial(iterator: Iterator[Any]) -> list[Any]:
            iterator = iter(iterator)
            for initial in iterator:
                return [_reduce(f, iterator, initial)]
            return []

        values = [v for part in self.ctx.run_job(self, partial) for v in part]
        if values:
            return _reduce(f, values)
        raise ValueError("Can not reduce() empty RDD")

    def fold(self: RDD, zeroValue: Any, op: Callable[[Any, Any], Any]) -> Any:
        """Aggregate each partition, then the results, starting from ``zeroValue``.

        >>> from operator import add
        >>> sc.parallelize([1, 2, 3, 4, 5]).fold(0, add)
        15
        """
        def partial(iterator: Iterator[Any]) -> Any:
            acc = zeroValue  # a fresh copy: each task unpickles its own closure
            for obj in iterator:
                acc = op(acc, obj)
            return acc

        return _reduce(op, self.ctx.run_job(self, partial), zeroValue)

    def aggregate(self: RDD, zeroValue: Any, seqOp: Callable[[Any, Any], Any],
                  combOp: Callable[[Any, Any], Any]) -> Any:
        """Aggregate each partition with ``seqOp``, then the results with ``combOp``.

        >>> seqOp = (lambda x, y: (x[0] + y, x[1] + 1))
        >>> combOp = (lambda x, y: (x[0] + y[0], x[1] + y[1]))
        >>> sc.parallelize([1, 2, 3, 4]).aggregate((0, 0), seqOp, combOp)
        (10, 4)
        >>> sc.parallelize([]).aggregate((0, 0), seqOp, combOp)
        (0, 0)
        """
        def partial(iterator: Iterator[Any]) -> Any:
            acc = zeroValue
            for obj in iterator:
                acc = seqOp(acc, obj)
            return acc

        return _reduce(combOp, self.ctx.run_job(self, partial), zeroValue)

    def treeAggregate(self: RDD, zeroValue: Any, seqOp: Callable[[Any, Any], Any],
                      combOp: Callable[[Any, Any], Any], depth: int = 2) -> Any:
        """Aggregates the elements of this RDD in a multi-level tree pattern.

        Each partition is aggregated with ``seqOp``; the partial results are then
        combined with ``combOp`` through ``depth - 1`` levels of shuffles (each level
        has about ``numPartitions ** (1 / depth)`` times fewer partitions) before the
        driver combines what is left, so the driver receives few values even for
        RDDs with many partitions.

        Parameters
        ----------
        zeroValue : U
            the initial value for the accumulated result of each partition
        seqOp : function
            a function used to accumulate results within a partition
        combOp : function
            an associative function used to combine results from different partitions
        depth : int, optional, default 2
            suggested depth of the tree

        Returns
        -------
        U
            the aggregated result

        Examples
        --------
        >>> add = lambda x, y: x + y
        >>> rdd = sc.parallelize([-5, -4, -3, -2, -1, 1, 2, 3, 4], 10)
        >>> rdd.treeAggregate(0, add, add)
        -5
        >>> rdd.treeAggregate(0, add, add, 1)
        -5
        >>> rdd.treeAggregate(0, add, add, 2)
        -5
        >>> rdd.treeAggregate(0, add, add, 5)
        -5
        >>> rdd.treeAggregate(0, add, add, 10)
        -5
        """
        if depth < 1:
            raise ValueError(f"Depth cannot be smaller than 1 but got {depth}.")
        if self.getNumPartitions() == 0:
            return zeroValue

        def aggregate_partition(iterator: Iterator[Any]) -> Iterator[Any]:
            acc = zeroValue
            for obj in iterator:
                acc = seqOp(acc, obj)
            yield acc

        partial = self.mapPartitions(aggregate_partition)
        num_partitions = partial.getNumPartitions()
        scale = max(int(math.ceil(num_partitions ** (1.0 / depth))), 2)
        # add a level only while it cuts the partition count by more than the level costs
        while num_partitions > scale + num_partitions / scale:
            num_partitions = int(num_partitions / scale)
            target = num_partitions

            def route(index: int, iterator: Iterator[Any], target: int = target) -> Iterator[Any]:
                for obj in iterator:
                    yield index % target, obj

            partial = partial.mapPartitionsWithIndex(route).reduceByKey(combOp, target).values()
        return partial.reduce(combOp)

    def treeReduce(self: RDD, f: Callable[[Any, Any], Any], depth: int = 2) -> Any:
        """Reduces the elements of this RDD in a multi-level tree pattern.

        Parameters
        ----------
        f : function
            the reduce function
        depth : int, optional, default 2
            suggested depth of the tree (default: 2)

        Returns
        -------
        T
            the aggregated result

        Examples
        --------
        >>> add = lambda x, y: x + y
        >>> rdd = sc.parallelize([-5, -4, -3, -2, -1, 1, 2, 3, 4], 10)
        >>> rdd.treeReduce(add)
        -5
        >>> rdd.treeReduce(add, 1)
        -5
        >>> rdd.treeReduce(add, 10)
        -5
        >>> sc.parallelize([]).treeReduce(add)
        Traceback (most recent call last):
            ...
        ValueError: Cannot reduce empty RDD.
        """
        if depth < 1:
            raise ValueError(f"Depth cannot be smaller than 1 but got {depth}.")
        # (value, is_empty): the zero marks "nothing yet", so f never sees a made-up value
        zero = (None, True)

        def op(x: tuple[Any, bool], y: tuple[Any, bool]) -> tuple[Any, bool]:
            if x[1]:
                return y
            if y[1]:
                return x
            return f(x[0], y[0]), False

        value, empty = self.map(lambda x: (x, False)).treeAggregate(zero, op, op, depth)
        if empty:
            raise ValueError("Cannot reduce empty RDD.")
        return value

    def takeOrdered(self: RDD, num: int, key: Callable[[Any], Any] | None = None) -> list[Any]:
        """The ``num`` smallest elements, in ascending order (or as ordered by ``key``).

        >>> sc.parallelize([10, 1, 2, 9, 3, 4, 5, 6, 7]).takeOrdered(6)
        [1, 2, 3, 4, 5, 6]
        >>> sc.parallelize([10, 1, 2, 9, 3, 4, 5, 6, 7], 2).takeOrdered(6, key=lambda x: -x)
        [10, 9, 7, 6, 5, 4]
        """
        if num < 0:
            raise ValueError("top N cannot be negative.")
        if num == 0 or self.getNumPartitions() == 0:
            return []
        parts = self.ctx.run_job(self, lambda it: heapq.nsmallest(num, it, key))
        return heapq.nsmallest(num, chain.from_iterable(parts), key)

    def top(self: RDD, num: int, key: Callable[[Any], Any] | None = None) -> list[Any]:
        """The ``num`` largest elements, in descending order.

        >>> sc.parallelize([10, 4, 2, 12, 3]).top(1)
        [12]
        >>> sc.parallelize([2, 3, 4, 5, 6], 2).top(2)
        [6, 5]
        >>> sc.parallelize([10, 4, 2, 12, 3]).top(3, key=str)
        [4, 3, 2]
        """
        if num < 0:
            raise ValueError("top N cannot be negative.")
        if num == 0 or self.getNumPartitions() == 0:
            return []
        parts = self.ctx.run_job(self, lambda it: heapq.nlargest(num, it, key))
        return heapq.nlargest(num, chain.from_iterable(parts), key)

    def countByValue(self: RDD) -> dict[Any, int]:
        """Return the count of each unique value in this RDD as a dict of (value, count) pairs.

        >>> sorted(sc.parallelize([1, 2, 1, 2, 2], 2).countByValue().items())
        [(1, 2), (2, 3)]
        """
        def count_partition(iterator: Iterator[Any]) -> dict[Any, int]:
            counts: dict[Any, int] = defaultdict(int)
            for obj in iterator:
                counts[obj] += 1
            return counts

        total: dict[Any, int] = defaultdict(int)
        for counts in self.ctx.run_job(self, count_partition):
            for k, v in counts.items():
                total[k] += v
        return total

    def foreach(self: RDD, f: Callable[[Any], Any]) -> None:
        """Apply ``f`` to every element (on the executors).

        >>> sc.parallelize([1, 2, 3, 4, 5]).foreach(lambda x: None)
        """
        def run(iterator: Iterator[Any]) -> None:
            for x in iterator:
                f(x)

        self.ctx.run_job(self, run)

    def foreachPartition(self: RDD, f: Callable[[Iterator[Any]], Any]) -> None:
        """Applies a function to each partition of this RDD (on the executors).

        Parameters
        ----------
        f : function
            a function applied to each partition

        Examples
        --------
        >>> def f(iterator):
        ...     for x in iterator:
        ...         print(x)
        >>> sc.parallelize([1, 2, 3, 4, 5]).foreachPartition(f)
        """
        def run(iterator: Iterator[Any]) -> None:
            result = f(iterator)
            if result is not None:
                try:
                    _consume(iter(result))
                except TypeError:
                    pass

        self.ctx.run_job(self, run)

    def toLocalIterator(self: RDD, prefetchPartitions: bool = False) -> Iterator[Any]:
        """Return an iterator that contains all of the elements in this RDD.
        The iterator will consume as much memory as the largest partition in this RDD.
        With prefetch it may consume up to the memory of the 2 largest partitions.

        Parameters
        ----------
        prefetchPartitions : bool, optional
            If Spark should pre-fetch the next partition before it is needed: the job
            computing partition i+1 runs while the caller consumes partition i.

        Returns
        -------
        :class:`collections.abc.Iterator`
            an iterator that contains all of the elements in this :class:`RDD`

        Examples
        --------
        >>> list(sc.parallelize(range(10), 3).toLocalIterator())
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        >>> list(sc.parallelize(range(10), 3).toLocalIterator(prefetchPartitions=True))
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        """
        if not prefetchPartitions:
            for index in range(self.getNumPartitions()):
                yield from self.ctx.run_job(self, list, [index])[0]
            return
        yield from _prefetching_iterator(self)


def _prefetching_iterator(rdd: RDD) -> Iterator[Any]:
    """Partition by partition, the next one's job running while the caller reads this one.

    The prefetch jobs run on a helper thread with the caller's local properties (job
    group, tags) plus a private tag, so abandoning the iterator cancels the job in flight.
    """
    import threading
    import uuid

    from sparklite.context_jobs import JOB_TAGS_PROPERTY, job_tags_of

    ctx = rdd.ctx
    n = rdd.getNumPartitions()
    tag = f"sparklite-toLocalIterator-{uuid.uuid4().hex}"
    properties = dict(ctx._local_properties())
    properties[JOB_TAGS_PROPERTY] = ",".join(sorted(job_tags_of(properties) | {tag}))

    def start(index: int) -> tuple[threading.Thread, dict[str, Any]]:
        box: dict[str, Any] = {}

        def run() -> None:
            local = ctx._local_properties()
            local.clear()
            local.update(properties)
            try:
                box["value"] = ctx.run_job(rdd, list, [index])[0]
            except BaseException as exc:  # handed to the consuming thread
                box["error"] = exc

        thread = threading.Thread(target=run, name=f"toLocalIterator-{index}", daemon=True)
        thread.start()
        return thread, box

    pending = start(0) if n else None
    finished = False
    try:
        for index in range(n):
            assert pending is not None
            thread, box = pending
            while thread.is_alive():
                thread.join(0.25)
            pending = start(index + 1) if index + 1 < n else None
            if "error" in box:
                raise box["error"]
            yield from box.pop("value")
        finished = True
    finally:
        if not finished and pending is not None and not ctx._stopped:
            ctx.cancelJobsWithTag(tag)  # the caller stopped early: drop the job in flight
