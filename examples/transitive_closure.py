"""Transitive closure of a random graph, as the PySpark example computes it: join the paths found
so far with the edges until no new path appears.

One change from PySpark's version: join() and distinct() are given ``partitions``. Without
spark.default.parallelism, a join has as many partitions as both sides together and distinct
keeps its parent's count (PySpark's rules, which sparklite follows), so every round would
triple the partition count: 3**14 times the start for this graph.

    sparklite-submit examples/transitive_closure.py [partitions]
"""
import sys
from random import Random
from typing import Set, Tuple

from sparklite import SparkContext

numEdges = 200
numVertices = 100
rand = Random(42)


def generateGraph() -> Set[Tuple[int, int]]:
    edges: Set[Tuple[int, int]] = set()
    while len(edges) < numEdges:
        src = rand.randrange(0, numVertices)
        dst = rand.randrange(0, numVertices)
        if src != dst:
            edges.add((src, dst))
    return edges


if __name__ == "__main__":
    sc = SparkContext(appName="PythonTransitiveClosure")

    partitions = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    tc = sc.parallelize(sorted(generateGraph()), partitions).cache()

    # Linear transitive closure: each round grows paths by one edge,
    # by joining the graph's edges with the already-discovered paths.
    # e.g. join the path (y, z) from the TC with the edge (x, y) from
    # the graph to obtain the path (x, z).

    # Because join() joins on keys, the edges are stored in reversed order.
    edges = tc.map(lambda x_y: (x_y[1], x_y[0]))

    oldCount = 0
    nextCount = tc.count()
    while True:
        oldCount = nextCount
        # Perform the join, obtaining an RDD of (y, (z, x)) pairs,
        # then project the result to obtain the new (x, z) paths.
        new_edges = tc.join(edges, partitions).map(lambda __a_b: (__a_b[1][1], __a_b[1][0]))
        tc = tc.union(new_edges).distinct(partitions).cache()
        nextCount = tc.count()
        if nextCount == oldCount:
            break

    print("TC has %i edges" % tc.count())

    sc.stop()
