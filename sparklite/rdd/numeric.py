"""Numeric actions (mixin of RDD): sum, min, max, mean, the StatCounter family, histogram."""
from __future__ import annotations

import bisect
import math
import operator
from typing import TYPE_CHECKING, Any, Callable, Iterator, Sequence

from sparklite.statcounter import StatCounter

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD


class NumericMixin:
    def sum(self: RDD) -> Any:
        """Add up the elements in this RDD.

        >>> sc.parallelize([1.0, 2.0, 3.0]).sum()
        6.0
        >>> sc.parallelize([]).sum()
        0
        """
        return self.mapPartitions(lambda x: [sum(x)]).fold(0, operator.add)

    def max(self: RDD, key: Callable[[Any], Any] | None = None) -> Any:
        """Find the maximum item in this RDD.

        >>> rdd = sc.parallelize([1.0, 5.0, 43.0, 10.0])
        >>> rdd.max(), rdd.max(key=str)
        (43.0, 5.0)
        """
        if key is None:
            return self.reduce(max)
        return self.reduce(lambda a, b: max(a, b, key=key))

    def min(self: RDD, key: Callable[[Any], Any] | None = None) -> Any:
        """Find the minimum item in this RDD.

        >>> rdd = sc.parallelize([2.0, 5.0, 43.0, 10.0])
        >>> rdd.min(), rdd.min(key=str)
        (2.0, 10.0)
        """
        if key is None:
            return self.reduce(min)
        return self.reduce(lambda a, b: min(a, b, key=key))

    def stats(self: RDD) -> StatCounter:
        """A StatCounter with the count, mean, variance, max and min of the elements, in one job.

        >>> sc.parallelize([1, 2, 3]).stats()
        (count: 3, mean: 2.0, stdev: 0.816496580927726, max: 3, min: 1)
        """
        def partial(iterator: Iterator[Any]) -> StatCounter:
            return StatCounter(iterator)

        total = StatCounter()
        for counter in self.ctx.run_job(self, partial):
            total.mergeStats(counter)
        return total

    def mean(self: RDD) -> float:
        """The mean of this RDD's elements.

        >>> sc.parallelize([1, 2, 3]).mean()
        2.0
        """
        return self.stats().mean()

    def variance(self: RDD) -> float:
        """The population variance (divides by N).

        >>> sc.parallelize([1, 2, 3]).variance()
        0.6666666666666666
        """
        return self.stats().variance()

    def stdev(self: RDD) -> float:
        """The population standard deviation (divides by N).

        >>> sc.parallelize([1, 2, 3]).stdev()
        0.816496580927726
        """
        return self.stats().stdev()

    def sampleVariance(self: RDD) -> float:
        """The sample variance (divides by N-1).

        >>> sc.parallelize([1, 2, 3]).sampleVariance()
        1.0
        """
        return self.stats().sampleVariance()

    def sampleStdev(self: RDD) -> float:
        """The sample standard deviation (divides by N-1).

        >>> sc.parallelize([1, 2, 3]).sampleStdev()
        1.0
        """
        return self.stats().sampleStdev()

    def histogram(self: RDD, buckets: int | Sequence[Any]) -> tuple[list[Any], list[int]]:
        """Compute a histogram using the provided buckets.

        The buckets are all open to the right except for the last which is closed.
        e.g. [1,10,20,50] means the buckets are [1,10) [10,20) [20,50], which means
        1<=x<10, 10<=x<20, 20<=x<=50. And on the input of 1 and 50 we would have a
        histogram of 1,0,1.

        If your histogram is evenly spaced (e.g. [0, 10, 20, 30]), this can be
        switched from an O(log n) insertion to O(1) per element (where n is the
        number of buckets).

        Buckets must be sorted, not contain any duplicates, and have at least two
        elements. If `buckets` is a number, it will generate buckets which are
        evenly spaced between the minimum and maximum of the RDD. For example, if
        the min value is 0 and the max is 100, given `buckets` as 2, the resulting
        buckets will be [0,50) [50,100]. `buckets` must be at least 1. An exception
        is raised if the RDD contains infinity. If the elements in the RDD do not
        vary (max == min), a single bucket will be used. None and NaN elements are
        ignored.

        Parameters
        ----------
        buckets : int, or list, or tuple
            if `buckets` is a number, it computes a histogram of the data using
            `buckets` number of buckets evenly, otherwise, `buckets` is the provided
            buckets to bin the data.

        Returns
        -------
        tuple
            a tuple of buckets and histogram

        Examples
        --------
        >>> rdd = sc.parallelize(range(51))
        >>> rdd.histogram(2)
        ([0, 25, 50], [25, 26])
        >>> rdd.histogram([0, 5, 25, 50])
        ([0, 5, 25, 50], [5, 20, 26])
        >>> rdd.histogram([0, 15, 30, 45, 60])  # evenly spaced buckets
        ([0, 15, 30, 45, 60], [15, 15, 15, 6])
        >>> rdd = sc.parallelize(["ab", "ac", "b", "bd", "ef"])
        >>> rdd.histogram(("a", "b", "c"))
        (('a', 'b', 'c'), [2, 2])
        """
        if isinstance(buckets, int):
            if buckets < 1:
                raise ValueError("number of buckets must be >= 1")
            values = self.filter(_comparable)
            try:
                low, high = values.map(lambda x: (x, x)).reduce(
                    lambda a, b: (min(a[0], b[0]), max(a[1], b[1])))
            except ValueError as exc:
                if "empty RDD" not in str(exc):
                    raise
                raise ValueError("can not generate buckets from empty RDD") from None
            if low == high or buckets == 1:
                return [low, high], [values.count()]
            try:
                width = (high - low) / buckets
            except TypeError:
                raise TypeError("Can not generate buckets with non-number in RDD") from None
            if math.isinf(width):
                raise ValueError("Can not generate buckets with infinite value")
            if int(width) * buckets == high - low:
                width = int(width)  # integer data, evenly divisible: keep integer bucket bounds
            edges = [low + i * width for i in range(buckets)] + [high]
            even: float | None = width
        elif isinstance(buckets, (list, tuple)):
            if len(buckets) < 2:
                raise ValueError("buckets should have more than one value")
            if any(not _comparable(b) for b in buckets):
                raise ValueError("can not have None or NaN in buckets")
            if sorted(buckets) != list(buckets):
                raise ValueError("buckets should be sorted")
            if len(set(buckets)) != len(buckets):
                raise ValueError("buckets should not contain duplicated values")
            edges = buckets  # type: ignore[assignment]
            even = _even_width(buckets)
        else:
            raise TypeError("buckets should be a list or tuple or number(int or long)")
        low, high = edges[0], edges[-1]
        n = len(edges) - 1

        def count_partition(iterator: Iterator[Any]) -> Iterator[list[int]]:
            counts = [0] * n
            for x in iterator:
                if not _comparable(x) or x < low or x > high:
                    continue
                i = int((x - low) / even) if even is not None else bisect.bisect_right(edges, x) - 1
                counts[min(i, n - 1)] += 1  # the last bucket is closed on the right
            yield counts

        totals = self.mapPartitions(count_partition).reduce(lambda a, b: [x + y for x, y in zip(a, b)]) \
            if self.getNumPartitions() else [0] * n
        return edges, totals


def _comparable(x: Any) -> bool:
    return x is not None and not (isinstance(x, float) and math.isnan(x))


def _even_width(buckets: Sequence[Any]) -> float | None:
    """The common width of evenly spaced numeric buckets, else None (then bisect per element)."""
    try:
        steps = [b - a for a, b in zip(buckets, buckets[1:])]
    except TypeError:
        return None  # e.g. string buckets
    if max(steps) - min(steps) < 1e-10:
        return (buckets[-1] - buckets[0]) / (len(buckets) - 1)
    return None
