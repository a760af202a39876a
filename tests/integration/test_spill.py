"""Shuffles larger than a task's memory budget spill sorted runs and still give the right answer."""
from __future__ import annotations

import random
from operator import add

import pytest

from sparklite.shuffle import external
from sparklite.taskcontext import TaskContext
from tests.helpers import reference as ref
from tests.helpers.waiting import wait_until

#: 1 MiB per task for aggregation buffers: the data below is tens of times larger
TINY = {"spark.python.worker.memory": "1m"}


@pytest.fixture(scope="module")
def tiny_sc():
    from conftest import _start

    context = _start("local[2]", TINY)
    yield context
    context.stop()


def runs_written(context) -> int:
    """Spill runs written so far by both executors (probe tasks until both answered)."""
    def probe(_):
        env = TaskContext.get().env
        yield env.executor_id, external.stats["runs"]

    def both():
        seen = dict(context.parallelize(range(32), 32).mapPartitions(probe).collect())
        return seen if len(seen) == 2 else None

    return sum(wait_until(both, message="a probe task on each executor").values())


@pytest.fixture
def spills(tiny_sc):
    """Asserts that the test made the executors spill."""
    before = runs_written(tiny_sc)
    yield
    assert runs_written(tiny_sc) > before, "the shuffle did not spill: the test proves nothing"


def test_reduce_by_key_over_many_keys_spills_and_is_right(tiny_sc, spills):
    data = [(i % 150_000, i) for i in range(300_000)]
    got = dict(tiny_sc.parallelize(data, 4).reduceByKey(add, 3).collect())
    assert got == ref.reduce_by_key(data, add)


def test_group_by_key_spills_and_is_right(tiny_sc, spills):
    data = [(i % 5000, f"v{i}") for i in range(200_000)]
    got = {k: sorted(v) for k, v in tiny_sc.parallelize(data, 4).groupByKey(2).collect()}
    assert got == {k: sorted(v) for k, v in ref.group_by_key(data).items()}


def test_group_by_key_of_a_hot_key_larger_than_memory_does_not_crash(tiny_sc, spills):
    n = 600_000
    pairs = tiny_sc.parallelize(range(n), 4).map(lambda i: ("hot" if i % 10 else f"k{i}", i))
    sizes = dict(pairs.groupByKey(2).mapValues(len).collect())
    assert sizes.pop("hot") == n - n // 10
    assert sizes == {f"k{i}": 1 for i in range(0, n, 10)}
    total = pairs.groupByKey(2).filter(lambda kv: kv[0] == "hot").mapValues(sum).collect()
    assert total == [("hot", sum(i for i in range(n) if i % 10))]


def test_sort_by_key_spills_and_is_sorted(tiny_sc, spills):
    rng = random.Random(4)
    data = [(rng.randrange(10**9), i) for i in range(200_000)]
    out = tiny_sc.parallelize(data, 4).sortByKey(numPartitions=2).collect()
    assert out == sorted(data, key=lambda kv: kv[0])
    desc = tiny_sc.parallelize(data, 4).sortByKey(False, 2).keys().collect()
    assert desc == sorted((k for k, _ in data), reverse=True)


@pytest.mark.parametrize("how", ["inner", "left", "right", "full"])
def test_joins_spill_and_agree_with_the_reference(tiny_sc, spills, how):
    rng = random.Random(5)
    left = [(rng.randrange(40_000), i) for i in range(120_000)] + [(-1, i) for i in range(300)]
    right = [(rng.randrange(20_000, 60_000), -i) for i in range(60_000)] + [(-1, -i) for i in range(50)]
    a, b = tiny_sc.parallelize(left, 3), tiny_sc.parallelize(right, 3)
    joined = {"inner": a.join, "left": a.leftOuterJoin, "right": a.rightOuterJoin,
              "full": a.fullOuterJoin}[how](b, 2)
    assert ref.multiset(joined.collect()) == ref.multiset(ref.join(left, right, how))


def test_cogroup_spills_and_is_right(tiny_sc, spills):
    a = [(i % 30_000, i) for i in range(100_000)]
    b = [(i % 20_000, str(i)) for i in range(60_000)]
    got = {k: (sorted(x), sorted(y)) for k, (x, y) in
           tiny_sc.parallelize(a, 3).cogroup(tiny_sc.parallelize(b, 2), 2).collect()}
    ga, gb = ref.group_by_key(a), ref.group_by_key(b)
    assert got == {k: (sorted(ga.get(k, [])), sorted(gb.get(k, []))) for k in set(ga) | set(gb)}
