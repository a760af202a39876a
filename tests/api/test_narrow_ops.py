"""Narrow transformations vs plain Python, with empty RDDs, empty partitions and odd shapes."""
from __future__ import annotations

import pytest

SHAPES = [([], 1), ([], 3), ([7], 4), (list(range(10)), 1), (list(range(10)), 3), (list(range(5)), 8)]


@pytest.mark.parametrize("data,slices", SHAPES)
def test_map_filter_flatmap_match_python(any_sc, data, slices):
    rdd = any_sc.parallelize(data, slices)
    assert rdd.map(lambda x: x * 3).collect() == [x * 3 for x in data]
    assert rdd.filter(lambda x: x % 2).collect() == [x for x in data if x % 2]
    assert rdd.flatMap(lambda x: [x] * (x % 3)).collect() == [y for x in data for y in [x] * (x % 3)]
    assert rdd.getNumPartitions() == slices


@pytest.mark.parametrize("data,slices", SHAPES)
def test_partition_functions_see_each_partition(any_sc, data, slices):
    rdd = any_sc.parallelize(data, slices)
    expected = [data[i * len(data) // slices:(i + 1) * len(data) // slices] for i in range(slices)]
    assert rdd.glom().collect() == expected
    assert rdd.mapPartitions(lambda it: [sum(it)]).collect() == [sum(p) for p in expected]
    assert rdd.mapPartitionsWithIndex(lambda i, it: [(i, len(list(it)))]).collect() == \
        [(i, len(p)) for i, p in enumerate(expected)]


def test_fused_pipeline_runs_in_one_stage(any_sc):
    from sparklite.scheduler.listener import EventRecorder

    recorder = EventRecorder()
    any_sc._runtime.listeners.add(recorder)
    try:
        rdd = any_sc.parallelize(range(20), 2).map(lambda x: x + 1).filter(lambda x: x % 3).flatMap(lambda x: (x, -x))
        assert rdd.collect() == [y for x in range(20) for y in (x + 1, -(x + 1)) if (x + 1) % 3]
        assert len(recorder.stages) == 1
        assert rdd.prev.__class__.__name__ == "RangeRDD"  # three functions fused into one RDD
    finally:
        any_sc._runtime.listeners.remove(recorder)


def test_key_value_helpers(any_sc):
    pairs = [("a", 1), (None, 2), (3, [4]), (("t", 1), None)]
    rdd = any_sc.parallelize(pairs, 3)
    assert rdd.keys().collect() == [k for k, _ in pairs]
    assert rdd.values().collect() == [v for _, v in pairs]
    assert rdd.mapValues(repr).collect() == [(k, repr(v)) for k, v in pairs]
    assert any_sc.parallelize([("a", [1, 2]), ("b", [])]).flatMapValues(lambda v: v).collect() == [("a", 1), ("a", 2)]
    assert any_sc.parallelize(range(5), 2).keyBy(lambda x: x % 2).collect() == [(x % 2, x) for x in range(5)]


def test_union_and_coalesce_keep_order(any_sc):
    a = any_sc.parallelize(range(5), 2)
    b = any_sc.parallelize(range(5, 12), 3)
    assert a.union(b).collect() == list(range(12))
    assert a.union(b).getNumPartitions() == 5
    assert any_sc.union([a, b, a]).collect() == list(range(5)) + list(range(5, 12)) + list(range(5))
    c = any_sc.parallelize(range(23), 7).coalesce(3)
    assert c.getNumPartitions() == 3
    assert c.collect() == list(range(23))
    assert any_sc.parallelize(range(4), 2).coalesce(10).getNumPartitions() == 2
    assert any_sc.emptyRDD().coalesce(2).collect() == []


def test_more_partitions_than_records(any_sc):
    rdd = any_sc.parallelize([1, 2], 6)
    assert rdd.collect() == [1, 2]
    assert rdd.glom().map(len).collect() == [0, 0, 1, 0, 0, 1]
    assert rdd.map(lambda x: (x, x)).reduceByKey(lambda a, b: a + b, 6).collectAsMap() == {1: 1, 2: 2}


def test_parallelize_of_range_and_iterables(any_sc):
    assert any_sc.parallelize(range(3, 30, 4), 3).collect() == list(range(3, 30, 4))
    assert any_sc.parallelize(iter("abc")).collect() == ["a", "b", "c"]
    assert any_sc.parallelize((1, 2, 3), 2).glom().collect() == [[1], [2, 3]]
    assert any_sc.range(10, 0, -3).collect() == [10, 7, 4, 1]
    big = list(range(200_000))
    assert any_sc.parallelize(big, 4).sum() == sum(big)  # large enough to go through the blob store
