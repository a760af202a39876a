"""Actions (mixin of RDD): each runs one or more jobs through ``SparkContext.run_job``."""
from __future__ import annotations

import heapq
from collections import defaultdict
from functools import reduce as _reduce
from itertools import chain, islice
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD


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
        """Apply ``f`` to each partition's iterator (on the executors)."""
        def run(iterator: Iterator[Any]) -> None:
            result = f(iterator)
            if result is not None:
                try:
                    _consume(iter(result))
                except TypeError:
                    pass

        self.ctx.run_job(self, run)

    def toLocalIterator(self: RDD, prefetchPartitions: bool = False) -> Iterator[Any]:
        """An iterator over all elements, fetching one partition at a time.

        >>> list(sc.parallelize(range(10), 3).toLocalIterator())
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
        """
        for index in range(self.getNumPartitions()):
            yield from self.ctx.run_job(self, list, [index])[0]
