"""Word count, as the PySpark example writes it: the top words of a text file.

    sparklite-submit examples/wordcount.py [path]          # default: examples/data/sample.txt
    python examples/wordcount.py [path]                     # same, without the launcher
"""
import os
import sys
from operator import add

from sparklite import SparkContext

if __name__ == "__main__":
    default = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "sample.txt")
    path = sys.argv[1] if len(sys.argv) > 1 else default
    sc = SparkContext(appName="PythonWordCount")

    lines = sc.textFile(path)
    counts = lines.flatMap(lambda line: line.lower().split()).map(lambda word: (word, 1)).reduceByKey(add)
    top = counts.takeOrdered(10, key=lambda wc: (-wc[1], wc[0]))

    print(f"{counts.count()} distinct words in {path}; the top 10:")
    for word, count in top:
        print(f"{count:6d}  {word}")

    pids = lines.mapPartitions(lambda _: [os.getpid()]).distinct().collect()
    print(f"(computed on executor processes with pids {sorted(pids)}; the driver is pid {os.getpid()})")
    sc.stop()
