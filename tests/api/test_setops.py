"""intersection, subtract, subtractByKey, cartesian, zip, zipWithIndex, zipWithUniqueId vs plain Python."""
from __future__ import annotations

from itertools import product

import pytest

from sparklite import TaskContext
from sparklite.errors import SparkliteJobError
from tests.helpers import reference as ref

LEFT = [1, 2, 2, 3, None, "a", "a", (1, 2), 4.5, 9]
RIGHT = [2, 2, 3, "a", (1, 2), 7, None, 8]


@pytest.mark.parametrize("left_slices,right_slices", [(1, 1), (3, 2), (12, 5)])
def test_intersection(any_sc, left_slices, right_slices):
    a, b = any_sc.parallelize(LEFT, left_slices), any_sc.parallelize(RIGHT, right_slices)
    got = a.intersection(b)
    assert ref.multiset(got.collect()) == ref.multiset(set(LEFT) & set(RIGHT))
    assert got.getNumPartitions() == left_slices + right_slices
    assert any_sc.parallelize([], 2).intersection(b).collect() == []


@pytest.mark.parametrize("parts", [None, 1, 4])
def test_subtract_keeps_duplicates(any_sc, parts):
    a, b = any_sc.parallelize(LEFT, 3), any_sc.parallelize(RIGHT, 2)
    got = a.subtract(b, parts)
    assert ref.multiset(got.collect()) == ref.multiset(x for x in LEFT if x not in RIGHT)
    assert got.getNumPartitions() == (parts or 5)
    assert ref.multiset(a.subtract(any_sc.emptyRDD()).collect()) == ref.multiset(LEFT)


def test_subtract_by_key(any_sc):
    left = [("a", 1), ("b", 4), ("b", 5), ("a", 2), (None, 0), ("c", 9)]
    right = [("a", 3), ("c", None), ("d", 1)]
    got = any_sc.parallelize(left, 2).subtractByKey(any_sc.parallelize(right, 3), 2)
    right_keys = {k for k, _ in right}
    assert ref.multiset(got.collect()) == ref.multiset(kv for kv in left if kv[0] not in right_keys)
    assert got.getNumPartitions() == 2


@pytest.mark.parametrize("a_data,a_slices,b_data,b_slices", [
    ([1, 2, 3], 2, ["x", "y"], 1), ([], 2, [1], 1), ([1], 1, [], 3), (list(range(5)), 7, list(range(3)), 2)])
def test_cartesian(any_sc, a_data, a_slices, b_data, b_slices):
    a, b = any_sc.parallelize(a_data, a_slices), any_sc.parallelize(b_data, b_slices)
    got = a.cartesian(b)
    assert ref.multiset(got.collect()) == ref.multiset(product(a_data, b_data))
    assert got.getNumPartitions() == a_slices * b_slices


def test_cartesian_of_shuffled_rdds(any_sc):
    a = any_sc.parallelize([(i % 3, i) for i in range(9)], 3).reduceByKey(lambda x, y: x + y)
    b = any_sc.parallelize("abc", 2).distinct()
    assert ref.multiset(a.cartesian(b).collect()) == ref.multiset(
        product(ref.reduce_by_key([(i % 3, i) for i in range(9)], lambda x, y: x + y).items(), "abc"))


@pytest.mark.parametrize("data,slices", [([], 3), (list(range(10)), 1), (list(range(10)), 4), ([5], 6)])
def test_zip(sc, data, slices):
    a = sc.parallelize(data, slices)
    b = a.map(lambda x: x * 10)
    assert a.zip(b).collect() == [(x, x * 10) for x in data]
    assert a.zip(sc.parallelize([str(x) for x in data], slices)).collect() == [(x, str(x)) for x in data]


def test_zip_errors(sc):
    with pytest.raises(ValueError, match="same number of partitions"):
        sc.parallelize(range(4), 2).zip(sc.parallelize(range(4), 3))
    with pytest.raises(ValueError, match="same number of elements in each partition"):
        sc.parallelize(range(4), 2).zip(sc.parallelize(range(5), 2)).collect()
    with pytest.raises(SparkliteJobError, match="same number of elements"):
        sc.parallelize(range(5), 2).zip(sc.parallelize(range(4), 2)).count()


@pytest.mark.parametrize("data,slices", [([], 1), ([], 3), (["x"], 4), (list("abcdefghij"), 1),
                                         (list("abcdefghij"), 3), (list("abc"), 8)])
def test_zip_with_index_and_unique_id(any_sc, data, slices):
    rdd = any_sc.parallelize(data, slices)
    assert rdd.zipWithIndex().collect() == [(x, i) for i, x in enumerate(data)]
    ids = rdd.zipWithUniqueId().collect()
    parts = [data[i * len(data) // slices:(i + 1) * len(data) // slices] for i in range(slices)]
    assert ids == [(x, k * slices + p) for p, part in enumerate(parts) for k, x in enumerate(part)]
    assert len({i for _, i in ids}) == len(data)


def test_zip_with_index_after_a_shuffle_and_with_a_recomputed_partition(any_sc):
    data = [(i % 5, i) for i in range(100)]
    grouped = any_sc.parallelize(data, 4).groupByKey(3).mapValues(sorted).sortByKey()
    expected = [(kv, i) for i, kv in enumerate(grouped.collect())]
    assert grouped.zipWithIndex().collect() == expected

    def flaky(index, iterator):
        items = list(iterator)
        if index == 2 and TaskContext.get().attemptNumber() == 0:
            raise RuntimeError("lost partition 2 once")
        return items

    rdd = any_sc.parallelize(list("abcdefghijklmnop"), 4)
    indexed = rdd.zipWithIndex().mapPartitionsWithIndex(flaky)
    assert indexed.collect() == [(x, i) for i, x in enumerate("abcdefghijklmnop")]
