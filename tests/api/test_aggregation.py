"""treeAggregate, treeReduce, reduceByKeyLocally, lookup, repartitionAndSortWithinPartitions,
histogram and the approximate actions vs plain Python."""
from __future__ import annotations

import bisect
import math
from functools import reduce
from operator import add

import pytest

from sparklite.rdd import BoundedFloat
from sparklite.scheduler.listener import EventRecorder
from tests.helpers import reference as ref

SHAPES = [([], 1), ([], 4), ([3], 5), (list(range(1, 101)), 1), (list(range(1, 101)), 7),
          (list(range(-50, 50)), 33)]


@pytest.mark.parametrize("data,slices", SHAPES)
@pytest.mark.parametrize("depth", [1, 2, 3, 6])
def test_tree_aggregate_and_reduce(any_sc, data, slices, depth):
    rdd = any_sc.parallelize(data, slices)
    seq = (lambda acc, x: (acc[0] + x, acc[1] + 1))
    comb = (lambda a, b: (a[0] + b[0], a[1] + b[1]))
    assert rdd.treeAggregate((0, 0), seq, comb, depth) == (sum(data), len(data))
    if data:
        assert rdd.treeReduce(add, depth) == sum(data)
        assert rdd.treeReduce(max, depth) == max(data)
    else:
        with pytest.raises(ValueError, match="Cannot reduce empty RDD"):
            rdd.treeReduce(add, depth)


def test_tree_aggregate_uses_shuffle_levels(any_sc):
    rdd = any_sc.parallelize(range(1000), 64)
    recorder = EventRecorder()
    any_sc._runtime.listeners.add(recorder)
    try:
        assert rdd.treeAggregate(0, add, add, 2) == sum(range(1000))
    finally:
        any_sc._runtime.listeners.remove(recorder)
    assert sum(s.is_shuffle_map for s in recorder.stages) >= 1  # partials combine on executors
    with pytest.raises(ValueError, match="Depth cannot be smaller than 1"):
        rdd.treeAggregate(0, add, add, 0)


def test_tree_aggregate_with_mutable_zero(any_sc):
    rdd = any_sc.parallelize(range(40), 9)
    got = rdd.treeAggregate([], lambda acc, x: acc + [x], lambda a, b: a + b, 3)
    assert sorted(got) == list(range(40))


@pytest.mark.parametrize("slices", [1, 3, 10])
def test_reduce_by_key_locally(any_sc, slices):
    pairs = [(i % 7, i) for i in range(50)] + [(None, 1), ("s", 2), ("s", 3)]
    got = any_sc.parallelize(pairs, slices).reduceByKeyLocally(add)
    assert got == ref.reduce_by_key(pairs, add)
    assert any_sc.parallelize([], slices).reduceByKeyLocally(add) == {}


def test_lookup_with_and_without_partitioner(any_sc):
    pairs = [(i % 13, i) for i in range(200)] + [("k", "v"), (None, 0)]
    rdd = any_sc.parallelize(pairs, 4)
    expected = ref.group_by_key(pairs)
    for key in (0, 5, "k", None, "missing"):
        assert sorted(rdd.lookup(key), key=repr) == sorted(expected.get(key, []), key=repr)
    hashed = rdd.partitionBy(5)
    sorted_rdd = any_sc.parallelize([(i, i * i) for i in range(100)], 3).sortByKey(numPartitions=4)
    recorder = EventRecorder()
    any_sc._runtime.listeners.add(recorder)
    try:
        assert sorted(hashed.lookup(5)) == sorted(expected[5])
        assert sorted_rdd.lookup(42) == [1764]
        assert sorted_rdd.lookup(1000) == []
    finally:
        any_sc._runtime.listeners.remove(recorder)
    result_stages = [s for s in recorder.stages if not s.is_shuffle_map]
    assert result_stages and all(len(s.partitions) == 1 for s in result_stages)  # one partition searched


@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("parts", [None, 1, 3])
def test_repartition_and_sort_within_partitions(any_sc, ascending, parts):
    pairs = [((i * 37) % 101, i) for i in range(300)] + [(5, -1), (5, -2)]
    rdd = any_sc.parallelize(pairs, 4).repartitionAndSortWithinPartitions(
        parts, lambda k: k % 3, ascending)
    glommed = rdd.glom().collect()
    assert len(glommed) == (parts or 4)
    for index, part in enumerate(glommed):
        keys = [k for k, _ in part]
        assert keys == sorted(keys, reverse=not ascending)
        assert all(k % 3 % len(glommed) == index for k in keys)
    assert ref.multiset(x for part in glommed for x in part) == ref.multiset(pairs)
    by_key = any_sc.parallelize(pairs, 2).repartitionAndSortWithinPartitions(
        2, keyfunc=lambda k: -k).glom().collect()
    assert all([k for k, _ in p] == sorted((k for k, _ in p), reverse=True) for p in by_key)


def _python_histogram(data, edges):
    counts = [0] * (len(edges) - 1)
    for x in data:
        if x is None or (isinstance(x, float) and math.isnan(x)) or x < edges[0] or x > edges[-1]:
            continue
        counts[min(bisect.bisect_right(edges, x) - 1, len(counts) - 1)] += 1
    return counts


@pytest.mark.parametrize("data,slices", [(list(range(51)), 3), ([1.5, 2.5, None, float("nan"), 9.0, 3.0], 2),
                                         ([-5, 5, 0, 1], 8)])
def test_histogram_matches_python(any_sc, data, slices):
    rdd = any_sc.parallelize(data, slices)
    for buckets in ([0, 5, 25, 50], [-10, 0, 10], [1.0, 2.0, 3.0, 4.0, 10.0], (0, 1)):
        edges, counts = rdd.histogram(buckets)
        assert list(edges) == list(buckets)
        assert counts == _python_histogram(data, list(buckets))
    for n in (1, 2, 4, 7):
        edges, counts = rdd.histogram(n)
        clean = [x for x in data if x is not None and not (isinstance(x, float) and math.isnan(x))]
        assert edges[0] == min(clean) and edges[-1] == max(clean)
        assert sum(counts) == len(clean)
        assert counts == _python_histogram(clean, edges)


def test_histogram_special_cases(sc):
    assert sc.parallelize(range(51)).histogram(2) == ([0, 25, 50], [25, 26])
    assert sc.parallelize([1, 1, 1]).histogram(3) == ([1, 1], [3])
    assert sc.parallelize(["ab", "ac", "b", "bd", "ef"]).histogram(("a", "b", "c")) == (("a", "b", "c"), [2, 2])
    assert sc.parallelize([], 2).histogram([0, 10]) == ([0, 10], [0])
    with pytest.raises(ValueError, match="empty RDD"):
        sc.parallelize([], 2).histogram(3)
    with pytest.raises(ValueError, match=">= 1"):
        sc.parallelize([1]).histogram(0)
    with pytest.raises(ValueError, match="more than one value"):
        sc.parallelize([1]).histogram([1])
    with pytest.raises(ValueError, match="sorted"):
        sc.parallelize([1]).histogram([3, 1])
    with pytest.raises(ValueError, match="duplicated"):
        sc.parallelize([1]).histogram([1, 1, 2])
    with pytest.raises(ValueError, match="None or NaN"):
        sc.parallelize([1]).histogram([0, None])
    with pytest.raises(TypeError, match="list or tuple"):
        sc.parallelize([1]).histogram("abc")
    with pytest.raises(ValueError, match="infinite"):
        sc.parallelize([0.0, float("inf")]).histogram(2)


@pytest.mark.parametrize("data,slices", [([], 3), (list(range(1000)), 10), ([2.5], 1)])
def test_approximate_actions_are_exact_when_the_job_finishes(any_sc, data, slices):
    rdd = any_sc.parallelize(data, slices)
    assert rdd.countApprox(60_000) == len(data)
    total = rdd.sumApprox(60_000)
    assert isinstance(total, BoundedFloat) and total == float(sum(data))
    assert total.confidence == 1.0 and total.low == total.high == float(sum(data))
    mean = rdd.meanApprox(60_000, 0.9)
    if data:
        assert mean == pytest.approx(sum(data) / len(data)) and mean.confidence == 1.0
    else:
        assert math.isnan(mean)


def test_approximate_actions_estimate_after_a_timeout(context_factory):
    context = context_factory("local[2]")
    import time

    def slow_for_late_partitions(index, iterator):
        if index >= 2:
            for _ in range(600):  # killable (short sleeps): stopped when the job is cancelled
                time.sleep(0.05)
        return iterator

    # both executors up and warm first: on a loaded machine, starting them can take longer than
    # the timeout below, and an estimate from no finished partition has confidence 0 (issue 11)
    assert context.parallelize(range(4), 4).count() == 4
    rdd = context.parallelize([1.0] * 40, 4).mapPartitionsWithIndex(slow_for_late_partitions)
    started = time.monotonic()
    estimate = rdd.sumApprox(2500, 0.95)
    assert time.monotonic() - started < 20
    assert estimate.confidence == 0.95
    assert estimate == pytest.approx(40.0)  # every finished partition summed 10 of the 40 ones
    assert estimate.low <= 40.0 <= estimate.high
    count = rdd.countApprox(2500)
    assert count == 40
    assert context.parallelize(range(4), 2).count() == 4  # the cancelled tasks freed their slots


@pytest.mark.parametrize("relative_sd", [0.05, 0.01])
def test_count_approx_distinct(any_sc, relative_sd):
    data = [i % 3000 for i in range(9000)] + [str(i) for i in range(500)] + [None, (1, "x")]
    exact = len(set(data))
    got = any_sc.parallelize(data, 6).countApproxDistinct(relative_sd)
    assert abs(got - exact) <= 4 * relative_sd * exact
    assert any_sc.parallelize([], 2).countApproxDistinct() == 0
    assert any_sc.parallelize(["x"] * 100, 3).countApproxDistinct() == 1
    with pytest.raises(ValueError, match="relativeSD"):
        any_sc.parallelize([1]).countApproxDistinct(0.00001)


def test_stats_family_edge_cases(any_sc):
    for data, slices in ((list(range(10)), 3), ([5.0], 4), ([], 2)):
        rdd = any_sc.parallelize(data, slices)
        stats = rdd.stats()
        assert stats.count() == len(data)
        if data:
            mean = sum(data) / len(data)
            var = sum((x - mean) ** 2 for x in data) / len(data)
            assert rdd.mean() == pytest.approx(mean) and rdd.variance() == pytest.approx(var)
            assert rdd.stdev() == pytest.approx(math.sqrt(var))
            if len(data) > 1:
                sample_var = sum((x - mean) ** 2 for x in data) / (len(data) - 1)
                assert rdd.sampleVariance() == pytest.approx(sample_var)
                assert rdd.sampleStdev() == pytest.approx(math.sqrt(sample_var))
            else:
                assert math.isnan(rdd.sampleVariance())
        else:
            assert rdd.mean() == 0.0  # as PySpark: StatCounter starts at mu = 0.0
            assert math.isnan(rdd.variance())
    assert reduce(add, [1, 2, 3]) == any_sc.parallelize([1, 2, 3]).treeReduce(add)
