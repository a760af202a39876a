"""Shuffle operations vs plain Python: None keys, mixed key types, duplicates, partition counts."""
from __future__ import annotations

from operator import add

import pytest

from tests.helpers import reference as ref

MIXED = [("a", 1), (None, 2), (3, 3), ("a", 4), ((1, "x"), 5), (3, 6), (None, 7), (2.5, 8),
         (b"k", 9), (True, 10), ("", 11)]


def sorted_items(d):
    return sorted(d.items(), key=repr)


@pytest.mark.parametrize("slices,parts", [(1, 1), (3, 2), (4, None), (2, 7)])
def test_reduce_by_key_matches_python(any_sc, slices, parts):
    rdd = any_sc.parallelize(MIXED, slices)
    got = rdd.reduceByKey(add, parts)
    assert sorted(got.collect(), key=repr) == sorted_items(ref.reduce_by_key(MIXED, add))
    assert got.getNumPartitions() == (parts or slices)


def test_combine_aggregate_fold_by_key(any_sc):
    pairs = [(i % 7, i) for i in range(100)]
    rdd = any_sc.parallelize(pairs, 4)
    expected_lists = ref.group_by_key(pairs)
    got = rdd.combineByKey(lambda v: [v], lambda c, v: c + [v], lambda a, b: a + b).collectAsMap()
    assert {k: sorted(v) for k, v in got.items()} == expected_lists
    got = rdd.aggregateByKey((0, 0), lambda acc, v: (acc[0] + v, acc[1] + 1),
                             lambda a, b: (a[0] + b[0], a[1] + b[1])).collectAsMap()
    assert got == {k: (sum(v), len(v)) for k, v in expected_lists.items()}
    assert rdd.foldByKey(0, add).collectAsMap() == {k: sum(v) for k, v in expected_lists.items()}
    # a mutable zero value must not leak between keys or partitions
    got = rdd.aggregateByKey([], lambda acc, v: acc + [v], lambda a, b: a + b).collectAsMap()
    assert {k: sorted(v) for k, v in got.items()} == expected_lists


def test_group_by_key_and_group_by(any_sc):
    rdd = any_sc.parallelize(MIXED, 3)
    got = {k: sorted(v) for k, v in rdd.groupByKey().collect()}
    assert got == {k: sorted(v) for k, v in ref.group_by_key(MIXED).items()}
    assert type(rdd.groupByKey().first()[1]).__name__ == "ResultIterable"
    nums = any_sc.parallelize(range(30), 4)
    assert {k: sorted(v) for k, v in nums.groupBy(lambda x: x % 4, 3).collect()} == \
        {r: [x for x in range(30) if x % 4 == r] for r in range(4)}


def test_group_by_key_empty_and_single_key(any_sc):
    assert any_sc.emptyRDD().groupByKey().collect() == []
    assert any_sc.parallelize([], 3).reduceByKey(add).collect() == []
    one = any_sc.parallelize([("k", i) for i in range(1000)], 5).groupByKey(3).mapValues(len).collect()
    assert one == [("k", 1000)]


def test_partition_by_routes_every_key_to_one_partition(any_sc):
    pairs = [(i % 13, i) for i in range(200)] + [(None, -1), ("s", -2)]
    parts = any_sc.parallelize(pairs, 5).partitionBy(4).glom().collect()
    assert len(parts) == 4
    homes = {}
    for index, part in enumerate(parts):
        for k, _ in part:
            assert homes.setdefault(k, index) == index
    assert ref.multiset(x for part in parts for x in part) == ref.multiset(pairs)


def test_partition_by_custom_function_and_no_reshuffle(any_sc):
    rdd = any_sc.parallelize([(i, i) for i in range(10)], 3).partitionBy(2, lambda k: k)
    assert rdd.glom().map(lambda p: sorted(k for k, _ in p)).collect() == [[0, 2, 4, 6, 8], [1, 3, 5, 7, 9]]
    assert rdd.partitionBy(2, rdd.partitioner.partitionFunc) is rdd


def test_distinct(any_sc):
    data = [1, 2, 2, None, "a", "a", (1, 2), (1, 2), 3.0]
    assert ref.multiset(any_sc.parallelize(data, 4).distinct().collect()) == ref.multiset(set(data))
    assert any_sc.parallelize(data, 4).distinct(2).getNumPartitions() == 2


@pytest.mark.parametrize("ascending", [True, False])
@pytest.mark.parametrize("parts", [1, 3, None])
def test_sort_by_key_is_globally_ordered(any_sc, ascending, parts):
    import random

    rng = random.Random(7)
    pairs = [(rng.randrange(1000), i) for i in range(2000)]
    rdd = any_sc.parallelize(pairs, 4).sortByKey(ascending, parts)
    got = rdd.collect()
    assert [k for k, _ in got] == sorted((k for k, _ in pairs), reverse=not ascending)
    assert ref.multiset(got) == ref.multiset(pairs)
    assert rdd.getNumPartitions() == (parts or 4)


def test_sort_by_key_keyfunc_and_sort_by(any_sc):
    words = ["banana", "Apple", "cherry", "apple", "Banana", "date"]
    pairs = [(w, i) for i, w in enumerate(words)]
    got = any_sc.parallelize(pairs, 3).sortByKey(True, 2, keyfunc=str.lower).keys().collect()
    assert [w.lower() for w in got] == sorted(w.lower() for w in words)
    assert any_sc.parallelize(words, 2).sortBy(len, ascending=False).collect()[0] in ("banana", "cherry", "Banana")
    assert any_sc.parallelize(range(50), 5).sortBy(lambda x: -x).collect() == list(range(49, -1, -1))
    assert any_sc.emptyRDD().sortByKey().collect() == []
    assert any_sc.parallelize([], 3).sortBy(lambda x: x).collect() == []


def test_repartition_keeps_every_element(any_sc):
    data = list(range(101))
    rdd = any_sc.parallelize(data, 3).repartition(5)
    assert rdd.getNumPartitions() == 5
    assert sorted(rdd.collect()) == data
    sizes = rdd.glom().map(len).collect()
    assert max(sizes) - min(sizes) <= 3  # round robin
    assert sorted(any_sc.parallelize(data, 4).coalesce(2, shuffle=True).collect()) == data


@pytest.mark.parametrize("how", ["inner", "left", "right", "full"])
def test_joins_match_python(any_sc, how):
    left = [(i % 5, f"l{i}") for i in range(12)] + [(None, "ln"), ("x", "lx")]
    right = [(i % 7, f"r{i}") for i in range(9)] + [(None, "rn"), ("y", "ry")]
    a, b = any_sc.parallelize(left, 3), any_sc.parallelize(right, 2)
    method = {"inner": a.join, "left": a.leftOuterJoin, "right": a.rightOuterJoin, "full": a.fullOuterJoin}[how]
    got = method(b)
    assert ref.multiset(got.collect()) == ref.multiset(ref.join(left, right, how))
    assert got.getNumPartitions() == 5  # as PySpark: both sides' partitions together
    assert method(b, 2).getNumPartitions() == 2


def test_joins_with_empty_sides(any_sc):
    a = any_sc.parallelize([(1, "a")], 2)
    empty = any_sc.parallelize([], 2)
    assert a.join(empty).collect() == []
    assert a.leftOuterJoin(empty).collect() == [(1, ("a", None))]
    assert a.rightOuterJoin(empty).collect() == []
    assert empty.fullOuterJoin(a).collect() == [(1, (None, "a"))]


def test_cogroup_and_group_with(any_sc):
    x = any_sc.parallelize([("a", 1), ("b", 4), ("a", 2)], 2)
    y = any_sc.parallelize([("a", 2), ("c", 3)], 3)
    got = {k: tuple(sorted(v) for v in vs) for k, vs in x.cogroup(y).collect()}
    assert got == {"a": ([1, 2], [2]), "b": ([4], []), "c": ([], [3])}
    z = any_sc.parallelize([("c", 9)])
    got = {k: tuple(sorted(v) for v in vs) for k, vs in x.groupWith(y, z).collect()}
    assert got == {"a": ([1, 2], [2], []), "b": ([4], [], []), "c": ([], [3], [9])}


def test_join_of_copartitioned_inputs_does_not_shuffle_them(any_sc):
    from sparklite.scheduler.listener import EventRecorder

    a = any_sc.parallelize([(i % 10, i) for i in range(100)], 4).reduceByKey(add, 3)
    b = any_sc.parallelize([(i % 10, -i) for i in range(50)], 2).groupByKey(3)
    recorder = EventRecorder()
    any_sc._runtime.listeners.add(recorder)
    try:
        joined = a.join(b).mapValues(lambda vw: (vw[0], sorted(vw[1])))
        got = dict(joined.collect())
        assert joined.getNumPartitions() == 3
        # two map stages (reduceByKey, groupByKey) and the result stage: no shuffle for the join
        assert len([s for s in recorder.stages if s.is_shuffle_map]) == 2
    finally:
        any_sc._runtime.listeners.remove(recorder)
    expected_a = ref.reduce_by_key([(i % 10, i) for i in range(100)], add)
    expected_b = ref.group_by_key([(i % 10, -i) for i in range(50)])
    assert got == {k: (expected_a[k], sorted(expected_b[k])) for k in expected_b}


def test_shuffle_outputs_are_reused_across_jobs(any_sc):
    from sparklite.scheduler.listener import EventRecorder

    counts = any_sc.parallelize(range(1000), 4).map(lambda x: (x % 10, 1)).reduceByKey(add)
    assert counts.count() == 10
    recorder = EventRecorder()
    any_sc._runtime.listeners.add(recorder)
    try:
        assert dict(counts.collect()) == {k: 100 for k in range(10)}
        assert [s.is_shuffle_map for s in recorder.stages] == [False]  # map stage skipped
    finally:
        any_sc._runtime.listeners.remove(recorder)
