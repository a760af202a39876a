"""sample, randomSplit, takeSample, sampleByKey vs plain Python: reproducible for a seed, the same
after a partition is recomputed, and statistically what was asked for."""
from __future__ import annotations

from collections import Counter

import pytest

from sparklite import TaskContext
from sparklite.rdd import sampling
from tests.helpers import reference as ref

SHAPES = [([], 1), ([], 3), ([7], 4), (list(range(10)), 1), (list(range(2000)), 5), (list(range(5)), 8)]


@pytest.mark.parametrize("data,slices", SHAPES)
@pytest.mark.parametrize("with_replacement", [False, True])
def test_sample_is_reproducible_and_a_sub_multiset(sc, data, slices, with_replacement):
    rdd = sc.parallelize(data, slices)
    first = rdd.sample(with_replacement, 0.4, 11).collect()
    assert rdd.sample(with_replacement, 0.4, 11).collect() == first
    counts = Counter(first)
    if with_replacement:
        assert set(counts) <= set(data)
    else:
        assert all(c == 1 for c in counts.values()) and set(first) <= set(data)
        assert first == [x for x in data if x in counts]  # partition order is kept


def test_sample_matches_the_kernels_partition_by_partition(sc):
    data = list(range(300))
    slices = 3
    got = sc.parallelize(data, slices).sample(False, 0.3, 5).glom().collect()
    parts = [data[i * 100:(i + 1) * 100] for i in range(slices)]
    expected = [list(sampling.BernoulliSampler(0.3, 5)(i, iter(p))) for i, p in enumerate(parts)]
    assert got == expected


def test_sample_fraction_is_respected_statistically(sc):
    n = 20000
    rdd = sc.parallelize(range(n), 4)
    without = rdd.sample(False, 0.25, 3).count()
    assert abs(without - n * 0.25) < 5 * (n * 0.25 * 0.75) ** 0.5
    with_repl = rdd.sample(True, 2.0, 3).count()
    assert abs(with_repl - n * 2.0) < 5 * (n * 2.0) ** 0.5
    assert rdd.sample(False, 0.0, 1).count() == 0
    assert rdd.sample(False, 1.0, 1).count() == n


def test_sample_rejects_negative_fraction(sc):
    with pytest.raises(ValueError, match="nonnegative"):
        sc.parallelize([1]).sample(False, -0.1)


def test_unseeded_sample_is_fixed_when_the_rdd_is_made(sc):
    sampled = sc.parallelize(range(1000), 4).sample(False, 0.5)
    assert sampled.collect() == sampled.collect()


def test_sample_is_the_same_when_a_partition_is_recomputed_after_a_failure(sc):
    data = list(range(400))

    def fail_first_attempt(index, iterator):
        items = list(iterator)
        ctx = TaskContext.get()
        if index == 1 and ctx.attemptNumber() == 0:
            raise RuntimeError("first attempt of partition 1 dies")
        return [(index, ctx.attemptNumber(), items)]

    clean = sc.parallelize(data, 4).sample(False, 0.3, 99).glom().collect()
    retried = sc.parallelize(data, 4).sample(False, 0.3, 99).mapPartitionsWithIndex(fail_first_attempt).collect()
    assert [attempt for _, attempt, _ in retried] == [0, 1, 0, 0]
    assert [items for _, _, items in retried] == clean


@pytest.mark.parametrize("weights", [[1, 1], [2, 3, 5], [0.1, 0.0, 0.9], [1]])
def test_random_split_partitions_every_element_exactly_once(any_sc, weights):
    data = list(range(3000))
    rdd = any_sc.parallelize(data, 4)
    splits = rdd.randomSplit(weights, 17)
    collected = [s.collect() for s in splits]
    assert sorted(x for part in collected for x in part) == data
    total = sum(weights)
    for part, w in zip(collected, weights):
        expected = len(data) * w / total
        assert abs(len(part) - expected) < 5 * (len(data) * (w / total) * (1 - w / total)) ** 0.5 + 1
    assert [s.collect() for s in rdd.randomSplit(weights, 17)] == collected


def test_random_split_after_shuffle_and_errors(any_sc):
    rdd = any_sc.parallelize([(i % 7, i) for i in range(700)], 3).groupByKey().flatMapValues(sorted)
    a, b = rdd.randomSplit([1, 1], 3)
    assert ref.multiset(a.collect() + b.collect()) == ref.multiset(rdd.collect())
    with pytest.raises(ValueError, match="nonnegative"):
        rdd.randomSplit([1, -1])
    with pytest.raises(ValueError, match="positive"):
        rdd.randomSplit([0, 0])


@pytest.mark.parametrize("data,slices", SHAPES)
def test_take_sample(sc, data, slices):
    rdd = sc.parallelize(data, slices)
    for num in (0, 1, 3, len(data), len(data) + 5):
        got = rdd.takeSample(False, num, 7)
        assert len(got) == min(num, len(data))
        assert len(set(got)) == len(got) and set(got) <= set(data)
        assert rdd.takeSample(False, num, 7) == got
        with_repl = rdd.takeSample(True, num, 7)
        assert len(with_repl) == (num if data else 0)
        assert set(with_repl) <= set(data)
    with pytest.raises(ValueError, match="negative"):
        rdd.takeSample(False, -1)


def test_take_sample_everything_is_a_permutation(sc):
    data = list(range(50))
    got = sc.parallelize(data, 3).takeSample(False, 60, 1)
    assert sorted(got) == data and got != data


def test_sample_by_key(any_sc):
    fractions = {"a": 0.2, "b": 0.6, "c": 0.0}
    pairs = [(k, i) for k in fractions for i in range(2000)]
    rdd = any_sc.parallelize(pairs, 4)
    sampled = rdd.sampleByKey(False, fractions, 2).collect()
    assert rdd.sampleByKey(False, fractions, 2).collect() == sampled
    counts = Counter(k for k, _ in sampled)
    for key, fraction in fractions.items():
        assert abs(counts[key] - 2000 * fraction) <= 5 * (2000 * fraction * (1 - fraction)) ** 0.5
    assert len(set(sampled)) == len(sampled) and set(sampled) <= set(pairs)
    with_repl = rdd.sampleByKey(True, {"a": 2.0, "b": 0.5, "c": 0.0}, 3).collect()
    counts = Counter(k for k, _ in with_repl)
    assert abs(counts["a"] - 4000) < 5 * 4000 ** 0.5 and counts["c"] == 0


def test_sample_by_key_errors(sc):
    rdd = sc.parallelize([("a", 1), ("z", 2)])
    with pytest.raises(ValueError, match="Negative fraction"):
        rdd.sampleByKey(False, {"a": -0.5})
    with pytest.raises(KeyError, match="no fraction given for key 'z'"):
        rdd.sampleByKey(False, {"a": 0.5}, 1).collect()


def test_fraction_for_sample_size_bounds():
    for total in (10, 1000, 10 ** 6):
        for size in (1, 5, total // 2, total):
            f = sampling.fraction_for_sample_size(size, total, False)
            assert size / total <= f <= 1.0
            g = sampling.fraction_for_sample_size(size, total, True)
            assert g > size / total
