"""spark.driver.maxResultSize: checked as results arrive, before the driver holds them; big results
wait on their executor until admitted, and a failed job's results are dropped everywhere."""
from __future__ import annotations

import os

import pytest

from sparklite.errors import SparkliteJobError
from tests.helpers.waiting import wait_until


def _stored_results(context) -> list[str]:
    """Task payloads waiting on executors, and fetched results waiting in the driver's files."""
    found = []
    for root, _, names in os.walk(context._app_dir):
        if os.path.basename(root) == "results":
            found += [os.path.join(root, n) for n in names]
    return found


def test_a_collect_over_the_limit_fails_naming_the_key_and_leaves_nothing_behind(context_factory):
    context = context_factory("local[2]", {"spark.driver.maxResultSize": "10m"})
    # 8 results of 4 MB: each waits on its executor, and only admitted ones are fetched
    with pytest.raises(SparkliteJobError, match=r"spark\.driver\.maxResultSize \(10\.0 MiB\)") as info:
        context.parallelize(range(8), 8).map(lambda i: bytes([i]) * 4_000_000).collect()
    assert "Total size of serialized results of" in str(info.value)
    assert context._runtime.results.fetches <= 2  # at most 8 MiB was ever let through
    wait_until(lambda: not _stored_results(context), 30, message="stored results dropped")
    assert context.parallelize(range(10), 2).map(lambda x: x * x).collect() == [x * x for x in range(10)]


def test_many_small_results_over_the_limit_fail_too(context_factory):
    context = context_factory("local[2]", {"spark.driver.maxResultSize": "1m"})
    with pytest.raises(SparkliteJobError, match=r"spark\.driver\.maxResultSize"):
        context.parallelize(range(40), 40).map(lambda i: b"s" * 100_000).collect()  # inline, 4 MB in all


def test_one_result_bigger_than_the_limit_is_never_stored(context_factory):
    context = context_factory("local[1]", {"spark.driver.maxResultSize": "2m"})
    with pytest.raises(SparkliteJobError, match=r"spark\.driver\.maxResultSize"):
        context.parallelize([0], 1).map(lambda i: b"x" * 6_000_000).collect()
    assert not _stored_results(context)


def test_big_results_within_the_limit_come_back_whole(context_factory):
    context = context_factory("local[2]", {"spark.task.maxDirectResultSize": "64k"})
    expected = [[(p, i) for i in range(p * 50_000, (p + 1) * 50_000)] for p in range(6)]
    got = context.parallelize(range(300_000), 6).map(lambda i: (i // 50_000, i)).glom().collect()
    assert got == expected
    assert context._runtime.results.fetches == 6  # every result went the stored way
    assert not _stored_results(context)


def test_zero_means_unlimited(context_factory):
    context = context_factory("local[2]", {"spark.driver.maxResultSize": "0"})
    got = context.parallelize(range(4), 4).map(lambda i: str(i) * 3_000_000).collect()
    assert [len(s) for s in got] == [3_000_000] * 4 and [s[0] for s in got] == ["0", "1", "2", "3"]


def test_big_shuffle_map_statuses_and_accumulators_take_the_stored_path(context_factory):
    context = context_factory("local[2]", {"spark.task.maxDirectResultSize": "200b"})
    acc = context.accumulator(0)

    def count(x):
        acc.add(1)
        return x

    pairs = context.parallelize(range(2000), 4).map(count).map(lambda x: (x % 300, x))
    assert sorted(pairs.reduceByKey(lambda a, b: a + b, 300).collect()) == \
        sorted({k: sum(range(k, 2000, 300)) for k in range(300)}.items())
    assert acc.value == 2000
    assert context._runtime.results.fetches >= 4  # the map statuses, too big to travel inline
