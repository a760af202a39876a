"""StatCounter: count, mean, variance, min and max of numbers in one pass, mergeable.

Each partition folds its values in (Welford's update); partitions then merge
pairwise (Chan et al.'s parallel formula), so ``stats()`` needs one job and no
second pass. Values may be NumPy arrays (one statistic per element, as
PySpark's): maximum, minimum and square root then work element-wise.
"""
from __future__ import annotations

import math
from typing import Any, Iterable


def _is_array(value: Any) -> bool:
    return type(value).__module__ == "numpy" and hasattr(value, "shape") and getattr(value, "ndim", 0) > 0


def _maximum(a: Any, b: Any) -> Any:
    if _is_array(a) or _is_array(b):
        import numpy

        return numpy.maximum(a, b)
    return max(a, b)


def _minimum(a: Any, b: Any) -> Any:
    if _is_array(a) or _is_array(b):
        import numpy

        return numpy.minimum(a, b)
    return min(a, b)


def _sqrt(value: Any) -> Any:
    if _is_array(value):
        import numpy

        return numpy.sqrt(value)
    return math.sqrt(value)


class StatCounter:
    """Running statistics of a stream of numbers (PySpark's API).

    >>> s = StatCounter([1.0, 2.0, 3.0, 4.0])
    >>> s.count(), s.mean(), s.sum(), s.min(), s.max()
    (4, 2.5, 10.0, 1.0, 4.0)
    >>> round(s.variance(), 4), round(s.sampleVariance(), 4)
    (1.25, 1.6667)

    NumPy arrays give one statistic per element:

    >>> import numpy as np
    >>> v = StatCounter([np.array([1.0, 5.0]), np.array([3.0, 2.0])])
    >>> v.max().tolist(), v.min().tolist(), v.mean().tolist()
    ([3.0, 5.0], [1.0, 2.0], [2.0, 3.5])

    Notes
    -----
    Differs from PySpark: with plain numbers, ``min``/``max``/``stdev`` are Python floats
    where PySpark (when NumPy is installed) returns NumPy scalars of the same value.
    """

    def __init__(self, values: Iterable[float] | None = None):
        self.n = 0
        self.mu = 0.0
        self.m2 = 0.0
        self.maxValue = float("-inf")
        self.minValue = float("inf")
        for v in values or ():
            self.merge(v)

    def merge(self, value: float) -> StatCounter:
        """Add a value into this StatCounter, updating the internal statistics."""
        delta = value - self.mu
        self.n += 1
        self.mu += delta / self.n
        self.m2 += delta * (value - self.mu)
        self.maxValue = _maximum(self.maxValue, value)
        self.minValue = _minimum(self.minValue, value)
        return self

    def mergeStats(self, other: StatCounter) -> StatCounter:
        """Merge another StatCounter into this one."""
        if not isinstance(other, StatCounter):
            raise TypeError(f"Can only merge StatCounter but got {type(other)}")
        if other is self:
            return self.mergeStats(other.copy())
        if self.n == 0:
            self.n, self.mu, self.m2 = other.n, other.mu, other.m2
            self.maxValue, self.minValue = other.maxValue, other.minValue
        elif other.n != 0:
            delta = other.mu - self.mu
            total = self.n + other.n
            if other.n * 10 < self.n:
                self.mu = self.mu + (delta * other.n) / total
            elif self.n * 10 < other.n:
                self.mu = other.mu - (delta * self.n) / total
            else:
                self.mu = (self.mu * self.n + other.mu * other.n) / total
            self.m2 += other.m2 + (delta * delta * self.n * other.n) / total
            self.n = total
            self.maxValue = _maximum(self.maxValue, other.maxValue)
            self.minValue = _minimum(self.minValue, other.minValue)
        return self

    def copy(self) -> StatCounter:
        import copy

        return copy.deepcopy(self)  # deep: NumPy statistics are mutable arrays

    def count(self) -> int:
        return int(self.n)

    def mean(self) -> float:
        return self.mu

    def sum(self) -> float:
        return self.n * self.mu

    def min(self) -> float:
        return self.minValue

    def max(self) -> float:
        return self.maxValue

    def variance(self) -> float:
        """Population variance (divides by N); NaN when empty."""
        return float("nan") if self.n == 0 else self.m2 / self.n

    def sampleVariance(self) -> float:
        """Sample variance (divides by N-1); NaN for fewer than two values."""
        return float("nan") if self.n <= 1 else self.m2 / (self.n - 1)

    def stdev(self) -> float:
        return _sqrt(self.variance())

    def sampleStdev(self) -> float:
        return _sqrt(self.sampleVariance())

    def asDict(self, sample: bool = False) -> dict[str, float]:
        """Returns the :class:`StatCounter` members as a ``dict``.

        As PySpark 4's: ``sample=False`` (the default) gives the *sample* standard deviation
        and variance (divided by N-1), ``sample=True`` the population ones (divided by N).

        >>> sc.parallelize([1., 2., 3., 4.]).stats().asDict()
        {'count': 4, 'mean': 2.5, 'sum': 10.0, 'min': 1.0, 'max': 4.0, 'stdev': 1.2909944487358056, 'variance': 1.6666666666666667}
        >>> sc.parallelize([1., 2., 3., 4.]).stats().asDict(sample=True)["variance"]
        1.25
        """
        return {"count": self.count(), "mean": self.mean(), "sum": self.sum(), "min": self.min(),
                "max": self.max(), "stdev": self.stdev() if sample else self.sampleStdev(),
                "variance": self.variance() if sample else self.sampleVariance()}

    def __repr__(self) -> str:
        return "(count: %s, mean: %s, stdev: %s, max: %s, min: %s)" % (
            self.count(), self.mean(), self.stdev(), self.max(), self.min())


__all__ = ["StatCounter"]
