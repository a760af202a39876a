"""Results that PySpark users see element for element, not just as a multiset: where
partitions cut a list, which partition a key hashes to, which elements a seeded sample keeps.

The expected values below are PySpark's own outputs for the same calls (local mode, one
partition for the sampling calls), so a program moved from PySpark prints the same lines.
"""
from __future__ import annotations

import datetime
import json
import subprocess
import sys

import pytest

from tests.helpers import reference as ref

WORDS = ["a", "b", "c", "apple", "banana", "ünïcode", "日本", "😀", "", "a longer key of text"]


def test_seeded_sample_and_take_sample_keep_what_pyspark_keeps(sc):
    rdd = sc.range(0, 100, numSlices=1)
    assert rdd.sample(False, 0.1, 0).collect() == [24, 29, 41, 64, 86]
    assert rdd.sample(True, 0.3, 123).collect() == [
        0, 11, 13, 14, 16, 18, 21, 23, 27, 31, 32, 32, 48, 49, 49, 53, 54, 72, 74, 77, 77, 83, 88, 91,
        93, 98, 99]
    assert rdd.takeSample(False, 10, 0) == [58, 1, 96, 74, 29, 24, 32, 37, 94, 91]
    assert rdd.takeSample(True, 30, 123) == [
        43, 65, 39, 18, 84, 86, 25, 13, 40, 21, 79, 63, 7, 32, 26, 71, 23, 61, 83, 60, 22, 35, 84, 22,
        0, 88, 16, 40, 65, 84]


@pytest.mark.parametrize("n,slices,expected", [
    (10, 4, [2, 2, 2, 4]),          # batches of 2: 5 batches cut 1/1/1/2
    (7, 3, [2, 2, 3]),
    (3000, 2, [1024, 1976]),        # batches of 1024
    (5000, 3, [1024, 2048, 1928]),
    (2, 5, [0, 0, 1, 0, 1]),
    (0, 3, [0, 0, 0]),
])
def test_parallelize_cuts_a_list_where_pyspark_does(sc, n, slices, expected):
    data = [f"x{i}" for i in range(n)]
    parts = sc.parallelize(data, slices).glom().collect()
    assert [len(p) for p in parts] == expected
    assert [x for p in parts for x in p] == data


def test_parallelize_of_a_range_cuts_evenly(sc):
    assert sc.parallelize(range(10), 4).glom().collect() == [[0, 1], [2, 3, 4], [5, 6], [7, 8, 9]]


def _seed_zero_hashes(keys):
    code = "import json,sys; print(json.dumps([hash(k) for k in json.loads(sys.argv[1])]))"
    out = subprocess.run([sys.executable, "-c", code, json.dumps(keys)], capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "0", "PATH": ""}, timeout=60)
    return json.loads(out.stdout)


def test_string_keys_land_in_the_partition_pyspark_picks(sc):
    # PySpark hashes str keys with hash() in workers run with PYTHONHASHSEED=0
    expected = {k: h % 3 for k, h in zip(WORDS, _seed_zero_hashes(WORDS))}
    parts = sc.parallelize([(w, 1) for w in WORDS], 2).partitionBy(3).glom().collect()
    assert {k: i for i, part in enumerate(parts) for k, _ in part} == expected
    by_reduce = sc.parallelize(WORDS * 3, 2).map(lambda w: (w, 1)).reduceByKey(lambda a, b: a + b, 3)
    parts = by_reduce.glom().collect()
    assert {k: i for i, part in enumerate(parts) for k, _ in part} == expected
    assert dict(by_reduce.collect()) == {w: 3 for w in WORDS}


def test_lookup_routes_on_the_driver_as_the_executors_did(sc):
    pairs = [(w, i) for i, w in enumerate(WORDS)] + [((w, 1), w) for w in WORDS]
    rdd = sc.parallelize(pairs, 3).partitionBy(4)
    for key, value in pairs:
        assert rdd.lookup(key) == [value]
    # dates hash by a seed-dependent hash: the driver cannot route them, so lookup scans
    dated = sc.parallelize([(datetime.date(2020, 1, i), i) for i in range(1, 20)]).partitionBy(4)
    assert [dated.lookup(datetime.date(2020, 1, i)) for i in range(1, 20)] == [[i] for i in range(1, 20)]


def test_sort_by_key_has_the_partitions_asked_for_even_with_few_keys(sc):
    data = [(1, "a"), (1, "b"), (2, "c")] * 5
    for ascending in (True, False):
        rdd = sc.parallelize(data, 3).sortByKey(ascending, 4)
        assert rdd.getNumPartitions() == 4
        assert rdd.collect() == sorted(data, key=lambda kv: kv[0], reverse=not ascending)
    assert len(sc.parallelize([(3, 1), (1, 2)], 2).sortByKey(numPartitions=5).glom().collect()) == 5


def test_join_with_a_sorted_rdd_hashes_both_sides(sc):
    # a sort's range partitioner is not reused: the other side's keys need not compare with it
    left_data = [(1, "x"), (2, "y"), (3, "z")]
    right_data = [(None, 1), (1, 2), ("s", 3)]
    left = sc.parallelize(left_data, 2).sortByKey()
    right = sc.parallelize(right_data, 2)
    assert ref.multiset(left.join(right).collect()) == ref.multiset(ref.join(left_data, right_data))
    assert sorted(left.leftOuterJoin(right).collect()) == [(1, ("x", 2)), (2, ("y", None)), (3, ("z", None))]
    assert sorted(left.subtractByKey(right).collect()) == [(2, "y"), (3, "z")]


def test_run_job_partitions_repeated_and_out_of_range(sc):
    rdd = sc.parallelize(range(6), 3)
    assert sc.runJob(rdd, lambda it: [sum(it)], [0, 0, 2]) == [1, 1, 9]
    assert sc.runJob(rdd, lambda it: list(it), []) == []
    for bad in ([-1], [3], [0, 7]):
        with pytest.raises(ValueError, match="non-existent partition"):
            sc.runJob(rdd, lambda it: list(it), bad)
