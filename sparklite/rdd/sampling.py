"""Seeded sampling kernels: sample, randomSplit, sampleByKey, takeSample, and sortByKey's bounds.

Every random choice is seeded from the (seed, partition index) pair, so a
partition that is recomputed after a failure makes the same choices as the
first time. When the user gives no seed, one is drawn on the driver when the
transformation is created, so one sampled RDD is the same sample in every job.
"""
from __future__ import annotations

import bisect
import itertools
import math
import random
import sys
from operator import itemgetter
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD

#: keys sampled per output partition, as Spark's RangePartitioner
SAMPLES_PER_PARTITION = 20

_first = itemgetter(0)


def reservoir(iterator: Iterator[Any], size: int, seed: int) -> tuple[int, list[Any]]:
    """(count, uniform sample of at most ``size`` items) in one pass.

    Li's Algorithm L: after the first ``size`` items it draws how many items to
    skip before the next replacement, so the items in between pass in C
    (``islice``, counted by ``zip`` with a ``count``) rather than through a random
    draw each: O(size * log(count / size)) draws. Deterministic for a seed.
    """
    rng = random.Random(seed)
    counter = itertools.count()
    it = map(_first, zip(iterator, counter))  # the counter advances only for real items
    sample = list(itertools.islice(it, max(0, size)))
    if len(sample) < size or size <= 0:
        for _ in it:  # (size 0) counted all the same
            pass
        return next(counter), sample
    end = object()
    w = math.exp(math.log(1.0 - rng.random()) / size)
    while True:
        gap = math.log1p(-w) if w < 1.0 else -math.inf
        skip = int(math.log(1.0 - rng.random()) / gap) if gap < 0.0 else 0
        item = next(itertools.islice(it, min(skip, sys.maxsize - 1), None), end)
        if item is end:
            return next(counter), sample
        sample[rng.randrange(size)] = item
        w *= math.exp(math.log(1.0 - rng.random()) / size)


def range_bounds(rdd: RDD, num_partitions: int, keyfunc: Callable[[Any], Any]) -> list[Any] | None:
    """``num_partitions - 1`` key bounds splitting ``rdd``'s keys evenly, from one sampling job.

    Each input partition reports its size and a reservoir sample of its keys;
    a sampled key stands for ``size / len(sample)`` keys, and bounds are cut
    at equal steps of that weight. Returns None for an empty RDD.
    """
    from sparklite.shuffle.known_functions import is_identity

    sample_size = min(SAMPLES_PER_PARTITION * num_partitions, 1_000_000)
    per_partition = max(1, math.ceil(3.0 * sample_size / max(1, rdd.getNumPartitions())))
    key_of = _first if is_identity(keyfunc) else (lambda kv: keyfunc(kv[0]))

    def sample_keys(index: int, iterator: Iterator[Any]) -> Iterator[tuple[int, list[Any]]]:
        yield reservoir(map(key_of, iterator), per_partition, index)

    sketches = rdd.mapPartitionsWithIndex(sample_keys).collect()
    if sum(n for n, _ in sketches) == 0:
        return None
    weighted = [(key, n / len(sample)) for n, sample in sketches if sample for key in sample]
    weighted.sort(key=lambda kw: kw[0])
    step = sum(w for _, w in weighted) / num_partitions
    bounds: list[Any] = []
    cumulative, target = 0.0, step
    for key, weight in weighted:
        cumulative += weight
        if cumulative >= target and len(bounds) < num_partitions - 1:
            if not bounds or key > bounds[-1]:
                bounds.append(key)
            target += step
    return bounds


def bound_index(bounds: list[Any], key: Any) -> int:
    return bisect.bisect_left(bounds, key)


# ---------------------------------------------------------------------- sample / randomSplit kernels

def partition_rng(seed: Any, index: int) -> random.Random:
    """The generator of one partition: a function of (seed, partition index) only.

    A recomputed partition (after a lost executor or a retried task) therefore
    draws the same numbers and keeps the same elements as the first time. For
    an int seed this is PySpark's generator (``Random(seed ^ index)`` warmed up
    by ten draws), so ``sample(False, 0.1, 42)`` keeps the same elements as
    PySpark does from the same partitions.
    """
    if isinstance(seed, int):
        rng = random.Random(seed ^ index)
        for _ in range(10):  # neighbouring partitions' seeds differ in few bits: mix them first
            rng.randint(0, 1)
        return rng
    return random.Random(f"sparklite-sample:{seed!r}:{index}")


def poisson_draw(rng: random.Random, mean: float) -> int:
    """A Poisson(``mean``) count, drawn as PySpark draws it (so seeded samples agree with it).

    Small means multiply uniforms until the product falls under exp(-mean)
    (Knuth); large ones count exponential arrivals in [0, 1), whose product
    form would underflow.
    """
    if mean < 20.0:
        limit = math.exp(-mean)
        p = rng.random()
        count = 0
        while p > limit:
            count += 1
            p *= rng.random()
        return count
    count = 0
    t = rng.expovariate(mean)
    while t < 1.0:
        count += 1
        t += rng.expovariate(mean)
    return count


class BernoulliSampler:
    """Keep each element with probability ``fraction`` (sampling without replacement)."""

    def __init__(self, fraction: float, seed: int):
        self.fraction = fraction
        self.seed = seed

    def __call__(self, index: int, iterator: Iterator[Any]) -> Iterator[Any]:
        rng = partition_rng(self.seed, index)
        draw, fraction = rng.random, self.fraction
        for item in iterator:
            if draw() < fraction:
                yield item


class PoissonSampler:
    """Emit each element k ~ Poisson(fraction) times (sampling with replacement)."""

    def __init__(self, fraction: float, seed: int):
        self.fraction = fraction
        self.seed = seed

    def __call__(self, index: int, iterator: Iterator[Any]) -> Iterator[Any]:
        rng = partition_rng(self.seed, index)
        for item in iterator:
            for _ in range(poisson_draw(rng, self.fraction)):
                yield item


class RangeSampler:
    """Keep the elements whose uniform draw falls in [lower, upper): one split of randomSplit.

    Every split of one randomSplit call uses the same seed, so each element
    draws the same number in every split and lands in exactly one of them.
    """

    def __init__(self, lower: float, upper: float, seed: int):
        self.lower = lower
        self.upper = upper
        self.seed = seed

    def __call__(self, index: int, iterator: Iterator[Any]) -> Iterator[Any]:
        rng = partition_rng(self.seed, index)
        draw, lower, upper = rng.random, self.lower, self.upper
        for item in iterator:
            if lower <= draw() < upper:
                yield item


class StratifiedSampler:
    """sampleByKey: the fraction of each (key, value) record is ``fractions[key]``."""

    def __init__(self, with_replacement: bool, fractions: dict[Any, float], seed: int):
        self.with_replacement = with_replacement
        self.fractions = dict(fractions)
        self.seed = seed

    def _fraction(self, key: Any) -> float:
        try:
            return self.fractions[key]
        except KeyError:
            raise KeyError(f"sampleByKey: no fraction given for key {key!r}; fractions must "
                           f"name every key of the RDD") from None

    def __call__(self, index: int, iterator: Iterator[Any]) -> Iterator[Any]:
        rng = partition_rng(self.seed, index)
        for kv in iterator:
            fraction = self._fraction(kv[0])
            if self.with_replacement:
                for _ in range(poisson_draw(rng, fraction)):
                    yield kv
            elif rng.random() < fraction:
                yield kv


def fraction_for_sample_size(size: int, total: int, with_replacement: bool) -> float:
    """A sampling fraction that yields at least ``size`` of ``total`` elements with high probability.

    With replacement the count is Poisson: aim ``k`` standard deviations above
    the wanted size (k = 9 for tiny sizes, where the normal approximation is
    poor, else 5). Without replacement the count is binomial: the bound below
    keeps the chance of drawing too few under 5e-5 (a Chernoff-style bound).
    Both are PySpark's numbers, so ``takeSample`` picks what PySpark picks.
    """
    fraction = size / total
    if with_replacement:
        k = 9 if size < 12 else 5
        return max(fraction + k * math.sqrt(fraction / total), 1e-10)
    delta = 5e-5
    gamma = -math.log(delta) / total
    return min(1.0, max(1e-10, fraction + gamma + math.sqrt(gamma * gamma + 2 * gamma * fraction)))


def new_seed() -> int:
    """A seed picked on the driver when the user gave none (the RDD then samples the same
    elements every time it is computed)."""
    return random.SystemRandom().randint(0, sys.maxsize)
