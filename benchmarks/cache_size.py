"""Cache-size benchmark: bytes per cached record in sparklite vs the same records as Python objects.

    python benchmarks/cache_size.py              # 1M records per kind
    python benchmarks/cache_size.py --records 200000

For each kind of record, an RDD of the records is cached on ``local[2]`` and
the driver's storage report (``sc.getRDDStorageInfo()``: exact Arrow buffer
bytes, summed over executors) is divided by the number of records. Side by
side:

* *Python objects*: what a cache of deserialized records holds: for each
  record ``sys.getsizeof`` of it and of its fields, plus its 8-byte slot in
  the partition's list;
* *pickled*: ``pickle.dumps`` of the partition's records in one batch
  (roughly what PySpark's MEMORY_ONLY keeps in the JVM: pickled batches,
  which it must unpickle on every read).

Target (issue #4): cached ints and floats within 1.2x of 8 bytes per value.
"""
from __future__ import annotations

import argparse
import pickle
import random
import sys
from typing import Any, Callable

from sparklite import SparkContext
from sparklite.resultiterable import ResultIterable


def python_bytes(record: Any) -> int:
    size = sys.getsizeof(record)
    if isinstance(record, tuple):
        size += sum(python_bytes(x) for x in record)
    elif isinstance(record, ResultIterable):
        size += sys.getsizeof(record.__dict__) + python_bytes(record.data)
    elif isinstance(record, list):
        size += sum(python_bytes(x) for x in record)
    return size


def words(n: int, seed: int) -> list[str]:
    """``n`` words drawn from a 100k vocabulary, each a distinct str object (as after unpickling
    records one by one: neither side gets to share repeated strings)."""
    rng = random.Random(seed)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = ["".join(rng.choice(letters) for _ in range(rng.randint(2, 12))) for _ in range(100_000)]
    return [(vocab[rng.randrange(len(vocab))] + "_")[:-1] for _ in range(n)]


def grouped(values: list[str]) -> list[tuple[str, ResultIterable]]:
    """PageRank's cached links: (node, ResultIterable of 10 neighbour names)."""
    return [(f"n{i}", ResultIterable(values[i:i + 10])) for i in range(0, len(values), 10)]


def kinds(n: int) -> dict[str, Callable[[], list[Any]]]:
    return {
        "ints": lambda: [i * 7919 for i in range(n)],
        "floats": lambda: [i / 7.0 for i in range(n)],
        "strings (2-12 letters)": lambda: words(n, 1),
        "(str, int) pairs": lambda: list(zip(words(n, 2), range(n))),
        "(str, [str]) grouped (W5 links)": lambda: grouped(words(n, 3)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    sc = SparkContext("local[2]", "bench-cache-size")
    try:
        print(f"{args.records:,} records per kind (the grouped kind: 1/10 as many keys, 10 values each), "
              f"{args.partitions} partitions, local[2]\n")
        header = (f"{'records':<34} {'sparklite B/rec':>15} {'Python objects B/rec':>21} {'pickled B/rec':>14}"
                  f" {'objects/sparklite':>18}")
        print(header)
        print("-" * len(header))
        for name, make in kinds(args.records).items():
            data = make()
            rdd = sc.parallelize(data, args.partitions).cache()
            count = rdd.count()
            assert count == len(data)
            info = next(i for i in sc.getRDDStorageInfo() if i.id == rdd.id())
            assert info.numCachedPartitions == args.partitions and info.diskSize == 0
            cached = info.memSize / count
            objects = sum(8 + python_bytes(r) for r in data) / count
            step = max(1, len(data) // args.partitions)
            pickled = sum(len(pickle.dumps(data[i:i + step], pickle.HIGHEST_PROTOCOL))
                          for i in range(0, len(data), step)) / count
            assert rdd.collect() == data  # the cache gives back the same records
            print(f"{name:<34} {cached:15.2f} {objects:21.2f} {pickled:14.2f} {objects / cached:17.1f}x",
                  flush=True)
            rdd.unpersist(blocking=True)
        print("\nsparklite = exact Arrow buffer bytes from the storage report; target for ints and floats: "
              "<= 9.6 (1.2 x 8)")
    finally:
        sc.stop()


if __name__ == "__main__":
    main()
