"""Logistic regression by batch gradient descent, as the PySpark example writes it, with
plain-Python vectors (lists) instead of NumPy.

This is an example implementation of logistic regression. For more conventional use, please
refer to a machine learning library. Input: one point per line, "label f1 f2 ... fD", with
labels -1 or 1.

    sparklite-submit examples/logistic_regression.py [<file> [<iterations>]]

Without arguments it fits the bundled examples/data/lr_data.txt in 5 iterations.
"""
import math
import os
import random
import sys
from typing import List, Tuple

from sparklite import SparkContext

Point = Tuple[float, List[float]]


def readPoint(line: str) -> Point:
    values = [float(x) for x in line.split(' ')]
    return values[0], values[1:]


def gradient(point: Point, w: List[float]) -> List[float]:
    """The gradient of the logistic loss of one point at ``w``."""
    y, x = point
    margin = y * sum(wi * xi for wi, xi in zip(w, x))
    scale = (1.0 / (1.0 + math.exp(-margin)) - 1.0) * y
    return [scale * xi for xi in x]


def addVectors(a: List[float], b: List[float]) -> List[float]:
    return [x + y for x, y in zip(a, b)]


if __name__ == "__main__":

    if len(sys.argv) > 3:
        print("Usage: logistic_regression [<file> [<iterations>]]", file=sys.stderr)
        sys.exit(-1)
    path = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "lr_data.txt")

    sc = SparkContext(appName="PythonLR")
    points = sc.textFile(path).map(readPoint).cache()
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    D = len(points.first()[1])  # number of dimensions

    # Initialize w to a random value
    rng = random.Random(42)
    w = [2 * rng.random() - 1 for _ in range(D)]
    print("Initial w: " + repr(w))

    for i in range(iterations):
        print("On iteration %i" % (i + 1))
        step = points.map(lambda m: gradient(m, w)).reduce(addVectors)
        w = [wi - si for wi, si in zip(w, step)]

    print("Final w: " + repr(w))

    sc.stop()
