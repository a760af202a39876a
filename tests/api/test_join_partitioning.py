"""Joins keep the partitioner of a partitioned input (Spark's defaultPartitioner rule), so a cached
partitioned RDD joined in a loop is never shuffled again (issue #4, PageRank)."""
from __future__ import annotations

from operator import add

from sparklite.scheduler.listener import EventRecorder
from tests.helpers import reference as ref


def shuffle_stages(context, action):
    recorder = EventRecorder()
    context._runtime.listeners.add(recorder)
    try:
        result = action()
    finally:
        context._runtime.listeners.remove(recorder)
    return result, [s for s in recorder.stages if s.is_shuffle_map]


def test_join_keeps_the_partitioner_of_the_partitioned_side(any_sc):
    left_data = [(i % 40, i) for i in range(400)]
    right_data = [(i % 50, -i) for i in range(100)]
    left = any_sc.parallelize(left_data, 4).reduceByKey(add, 3)
    right = any_sc.parallelize(right_data, 2)
    assert left.count() == 40  # the reduceByKey's map stage is done and reused below
    joined = left.join(right)
    assert joined.partitioner == left.partitioner and joined.getNumPartitions() == 3
    got, stages = shuffle_stages(any_sc, joined.collect)
    assert len(stages) == 1 and stages[0].rdd_id == right.id()  # only the unpartitioned side moves
    assert ref.multiset(got) == ref.multiset(ref.join(list(ref.reduce_by_key(left_data, add).items()),
                                                       right_data))


def test_pagerank_loop_never_reshuffles_the_cached_links(any_sc):
    edges = [(str(i), str((i * 7 + j) % 50)) for i in range(50) for j in range(3)]
    links = any_sc.parallelize(edges, 2).groupByKey().cache()
    ranks = links.map(lambda u: (u[0], 1.0))
    for _ in range(3):
        contribs = links.join(ranks).flatMap(
            lambda u: [(v, u[1][1] / len(u[1][0])) for v in u[1][0]])
        ranks = contribs.reduceByKey(add).mapValues(lambda r: 0.15 + 0.85 * r)
    got, stages = shuffle_stages(any_sc, lambda: dict(ranks.collect()))
    links_shuffles = [s for s in stages if s.rdd_id == links.id()]
    assert links_shuffles == []
    expected = {u: 1.0 for u, _ in edges}
    out_links = ref.group_by_key(edges)
    for _ in range(3):
        contrib: dict = {}
        for u, vs in out_links.items():
            for v in vs:
                contrib[v] = contrib.get(v, 0.0) + expected[u] / len(vs)
        expected = {v: 0.15 + 0.85 * c for v, c in contrib.items()}
    assert got.keys() == expected.keys()
    assert all(abs(got[k] - expected[k]) < 1e-9 for k in expected)
    links.unpersist()
