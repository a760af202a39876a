"""K-means clustering, as the PySpark example writes it, with plain-Python vectors (tuples).

This is an example implementation of KMeans clustering. For more conventional use, please
refer to a machine learning library. Input: one point per line, coordinates separated by
spaces.

    sparklite-submit examples/kmeans.py [<file> <k> <convergeDist>]

Without arguments it clusters the bundled examples/data/kmeans_data.txt into 3 clusters,
until centers move less than 0.0001.
"""
import os
import sys
from typing import List, Tuple

from sparklite import SparkContext

Vector = Tuple[float, ...]


def parseVector(line: str) -> Vector:
    return tuple(float(x) for x in line.split(' '))


def squaredDistance(p: Vector, q: Vector) -> float:
    return sum((a - b) ** 2 for a, b in zip(p, q))


def add(p: Vector, q: Vector) -> Vector:
    return tuple(a + b for a, b in zip(p, q))


def closestPoint(p: Vector, centers: List[Vector]) -> int:
    bestIndex = 0
    closest = float("+inf")
    for i in range(len(centers)):
        tempDist = squaredDistance(p, centers[i])
        if tempDist < closest:
            closest = tempDist
            bestIndex = i
    return bestIndex


if __name__ == "__main__":

    if len(sys.argv) not in (1, 4):
        print("Usage: kmeans [<file> <k> <convergeDist>]", file=sys.stderr)
        sys.exit(-1)
    if len(sys.argv) == 1:
        here = os.path.dirname(os.path.abspath(__file__))
        sys.argv[1:] = [os.path.join(here, "data", "kmeans_data.txt"), "3", "0.0001"]

    sc = SparkContext(appName="PythonKMeans")
    lines = sc.textFile(sys.argv[1])
    data = lines.map(parseVector).cache()
    K = int(sys.argv[2])
    convergeDist = float(sys.argv[3])

    kPoints = data.takeSample(False, K, 1)
    print("Initial centers: " + repr(kPoints))
    tempDist = 1.0

    while tempDist > convergeDist:
        closest = data.map(
            lambda p: (closestPoint(p, kPoints), (p, 1)))
        pointStats = closest.reduceByKey(
            lambda p1_c1, p2_c2: (add(p1_c1[0], p2_c2[0]), p1_c1[1] + p2_c2[1]))
        newPoints = pointStats.map(
            lambda st: (st[0], tuple(x / st[1][1] for x in st[1][0]))).collect()

        tempDist = sum(squaredDistance(kPoints[iK], p) for (iK, p) in newPoints)

        for (iK, p) in newPoints:
            kPoints[iK] = p

    print("Final centers: " + repr(kPoints))

    sc.stop()
