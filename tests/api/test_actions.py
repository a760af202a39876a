"""Actions vs plain Python, including empty RDDs and more partitions than records."""
from __future__ import annotations

import os
from operator import add

import pytest

from sparklite.scheduler.listener import EventRecorder

DATA = [5, 3, 8, 1, 9, 2, 7, 3, 3]


@pytest.mark.parametrize("slices", [1, 3, 12])
def test_numeric_and_reduce_actions(any_sc, slices):
    rdd = any_sc.parallelize(DATA, slices)
    assert rdd.count() == len(DATA)
    assert rdd.sum() == sum(DATA)
    assert rdd.max() == max(DATA) and rdd.min() == min(DATA)
    assert rdd.max(key=lambda x: -x) == min(DATA)
    assert rdd.mean() == pytest.approx(sum(DATA) / len(DATA))
    assert rdd.reduce(add) == sum(DATA)
    assert rdd.fold(0, add) == sum(DATA)
    assert rdd.aggregate((0, 0), lambda a, x: (a[0] + x, a[1] + 1), lambda a, b: (a[0] + b[0], a[1] + b[1])) \
        == (sum(DATA), len(DATA))
    assert rdd.takeOrdered(4) == sorted(DATA)[:4]
    assert rdd.takeOrdered(3, key=lambda x: -x) == sorted(DATA, reverse=True)[:3]
    assert rdd.top(3) == sorted(DATA, reverse=True)[:3]
    assert dict(rdd.countByValue()) == {x: DATA.count(x) for x in set(DATA)}
    assert rdd.first() == DATA[0]
    assert rdd.take(4) == DATA[:4]
    assert rdd.take(100) == DATA
    assert list(rdd.toLocalIterator()) == DATA
    assert not rdd.isEmpty()


def test_empty_rdd_actions(any_sc):
    for empty in (any_sc.emptyRDD(), any_sc.parallelize([], 3)):
        assert empty.count() == 0
        assert empty.collect() == []
        assert empty.sum() == 0
        assert empty.take(3) == []
        assert empty.isEmpty()
        assert empty.fold(0, add) == 0
        assert empty.takeOrdered(2) == [] and empty.top(2) == []
        assert list(empty.toLocalIterator()) == []
        with pytest.raises(ValueError, match="empty RDD"):
            empty.reduce(add)
        with pytest.raises(ValueError, match="RDD is empty"):
            empty.first()
        with pytest.raises(ValueError):
            empty.max()


def test_take_scans_more_partitions_only_as_needed(any_sc):
    rdd = any_sc.parallelize(range(100), 10)
    recorder = EventRecorder()
    any_sc._runtime.listeners.add(recorder)
    try:
        assert rdd.take(5) == [0, 1, 2, 3, 4]
        assert [s.partitions for s in recorder.stages] == [(0,)]
        recorder.clear()
        assert rdd.filter(lambda x: x >= 95).take(2) == [95, 96]
        scanned = [p for s in recorder.stages for p in s.partitions]
        assert scanned == sorted(set(scanned)) and 9 in scanned
    finally:
        any_sc._runtime.listeners.remove(recorder)


def test_pair_actions(any_sc):
    pairs = [("a", 1), ("b", 2), ("a", 3), (None, 4)]
    rdd = any_sc.parallelize(pairs, 2)
    assert dict(rdd.countByKey()) == {"a": 2, "b": 1, None: 1}
    assert rdd.collectAsMap() == dict(pairs)


def test_foreach_and_foreach_partition_with_accumulators(any_sc):
    acc = any_sc.accumulator(0)
    any_sc.parallelize(range(100), 7).foreach(lambda x: acc.add(x))
    assert acc.value == sum(range(100))
    sizes = any_sc.accumulator(0)
    any_sc.parallelize(range(10), 3).foreachPartition(lambda it: sizes.add(len(list(it))))
    assert sizes.value == 10


def test_save_as_text_file_round_trips_and_refuses_existing(any_sc, tmp_path):
    out = str(tmp_path / "out")
    data = ["alpha", "beta", 3, None, ("t", 1), b"raw"]
    any_sc.parallelize(data, 3).saveAsTextFile(out)
    assert sorted(os.listdir(out)) == ["_SUCCESS", "part-00000", "part-00001", "part-00002"]
    expected = [x.decode() if isinstance(x, bytes) else str(x) for x in data]
    assert sorted(any_sc.textFile(out).collect()) == sorted(expected)
    with pytest.raises(FileExistsError, match="already exists"):
        any_sc.parallelize([1]).saveAsTextFile(out)


def test_save_as_text_file_gzip(any_sc, tmp_path):
    out = str(tmp_path / "gz")
    any_sc.parallelize(range(20), 2).saveAsTextFile(out, "org.apache.hadoop.io.compress.GzipCodec")
    assert sorted(os.listdir(out)) == ["_SUCCESS", "part-00000.gz", "part-00001.gz"]
    assert sorted(int(x) for x in any_sc.textFile(out).collect()) == list(range(20))
