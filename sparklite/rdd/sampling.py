"""Seeded sampling: range bounds for sortByKey (and, later, sample/randomSplit).

Every random choice is seeded from the partition index, so a partition that
is recomputed after a failure makes the same choices as the first time.
"""
from __future__ import annotations

import bisect
import math
import random
from typing import TYPE_CHECKING, Any, Callable, Iterator

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD

#: keys sampled per output partition, as Spark's RangePartitioner
SAMPLES_PER_PARTITION = 20


def reservoir(iterator: Iterator[Any], size: int, seed: int) -> tuple[int, list[Any]]:
    """(count, uniform sample of at most ``size`` items) in one pass."""
    rng = random.Random(seed)
    sample: list[Any] = []
    n = 0
    for n, item in enumerate(iterator, 1):
        if n <= size:
            sample.append(item)
        else:
            j = rng.randrange(n)
            if j < size:
                sample[j] = item
    return n, sample


def range_bounds(rdd: RDD, num_partitions: int, keyfunc: Callable[[Any], Any]) -> list[Any] | None:
    """``num_partitions - 1`` key bounds splitting ``rdd``'s keys evenly, from one sampling job.

    Each input partition reports its size and a reservoir sample of its keys;
    a sampled key stands for ``size / len(sample)`` keys, and bounds are cut
    at equal steps of that weight. Returns None for an empty RDD.
    """
    sample_size = min(SAMPLES_PER_PARTITION * num_partitions, 1_000_000)
    per_partition = max(1, math.ceil(3.0 * sample_size / max(1, rdd.getNumPartitions())))

    def sample_keys(index: int, iterator: Iterator[Any]) -> Iterator[tuple[int, list[Any]]]:
        yield reservoir((keyfunc(kv[0]) for kv in iterator), per_partition, index)

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
