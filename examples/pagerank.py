"""PageRank, as the PySpark example writes it: iterate joins of the link table with the ranks.

This is an example implementation of PageRank. For more conventional use, please refer to
a graph library. Input file format: one "URL neighbor-URL" pair per line.

    sparklite-submit examples/pagerank.py [<file> [<iterations>]]

Without arguments it ranks the bundled examples/data/pagerank_data.txt for 10 iterations.
"""
import os
import re
import sys
from operator import add
from typing import Iterable, Tuple

from sparklite import RDD, SparkContext
from sparklite.resultiterable import ResultIterable


def computeContribs(urls: ResultIterable[str], rank: float) -> Iterable[Tuple[str, float]]:
    """Calculates URL contributions to the rank of other URLs."""
    num_urls = len(urls)
    for url in urls:
        yield (url, rank / num_urls)


def parseNeighbors(urls: str) -> Tuple[str, str]:
    """Parses a urls pair string into urls pair."""
    parts = re.split(r'\s+', urls)
    return parts[0], parts[1]


if __name__ == "__main__":
    if len(sys.argv) > 3:
        print("Usage: pagerank [<file> [<iterations>]]", file=sys.stderr)
        sys.exit(-1)
    path = sys.argv[1] if len(sys.argv) > 1 else \
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "pagerank_data.txt")
    iterations = int(sys.argv[2]) if len(sys.argv) > 2 else 10

    sc = SparkContext(appName="PythonPageRank")

    # Loads in input file. It should be in format of:
    #     URL         neighbor URL
    #     URL         neighbor URL
    #     URL         neighbor URL
    #     ...
    lines = sc.textFile(path)

    # Loads all URLs from input file and initialize their neighbors.
    links: RDD[Tuple[str, ResultIterable[str]]] = \
        lines.map(lambda urls: parseNeighbors(urls)).distinct().groupByKey().cache()

    # Loads all URLs with other URL(s) link to from input file and initialize ranks of them to one.
    ranks = links.map(lambda url_neighbors: (url_neighbors[0], 1.0))

    # Calculates and updates URL ranks continuously using PageRank algorithm.
    for iteration in range(iterations):
        # Calculates URL contributions to the rank of other URLs.
        contribs = links.join(ranks).flatMap(lambda url_urls_rank: computeContribs(
            url_urls_rank[1][0], url_urls_rank[1][1]
        ))

        # Re-calculates URL ranks based on neighbor contributions.
        ranks = contribs.reduceByKey(add).mapValues(lambda rank: rank * 0.85 + 0.15)

    # Collects all URL ranks and dump them to console.
    for (link, rank) in ranks.collect():
        print("%s has rank: %s." % (link, rank))

    sc.stop()
