"""Numeric actions (mixin of RDD): sum, min, max, mean and the StatCounter family."""
from __future__ import annotations

import operator
from typing import TYPE_CHECKING, Any, Callable, Iterator

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
