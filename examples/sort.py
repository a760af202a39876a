"""Sort the integers of a text file (whitespace separated), as the PySpark example does.

    sparklite-submit examples/sort.py [<file>]

Without a file it sorts the bundled examples/data/numbers.txt.
"""
import os
import sys

from sparklite import SparkContext

if __name__ == "__main__":
    if len(sys.argv) > 2:
        print("Usage: sort [<file>]", file=sys.stderr)
        sys.exit(-1)
    path = sys.argv[1] if len(sys.argv) == 2 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "numbers.txt")
    sc = SparkContext(appName="PythonSort")
    lines = sc.textFile(path, 1)
    sortedCount = lines.flatMap(lambda x: x.split()) \
        .map(lambda x: (int(x), 1)) \
        .sortByKey()
    # This is just a demo on how to bring all the sorted data back to a single node.
    # In reality, we wouldn't want to collect all the data to the driver node.
    output = sortedCount.collect()
    for (num, unitcount) in output:
        print(num)
    sc.stop()
