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
  which it must unpickle on every read);
* *RSS growth*: what caching cost the executors' processes, the growth of
  their resident set size (``psutil``, summed over executors) from before the
  RDD was computed to after it was cached, per record. Accounting is one thing,
  memory paid another: this includes whatever building the block left behind
  in the heap.

Targets: cached ints and floats within 1.2x of 8 bytes per value (issue #4);
executor RSS growth per cached int <= 12 bytes (issue #15).
"""
from __future__ import annotations

import argparse
import pickle
import random
import sys
import time
from typing import Any, Callable

import psutil

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


def executor_rss(sc: SparkContext) -> dict[int, int]:
    """pid -> resident set size (bytes) of every executor process."""
    out = {}
    for pid in sc._runtime.backend.process_ids().values():
        try:
            out[pid] = psutil.Process(pid).memory_info().rss
        except psutil.Error:
            pass
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--partitions", type=int, default=4)
    args = parser.parse_args()
    print(f"{args.records:,} records per kind (the grouped kind: 1/10 as many keys, 10 values each), "
          f"{args.partitions} partitions, local[2]; a fresh context for each kind\n")
    header = (f"{'records':<34} {'sparklite B/rec':>15} {'RSS growth B/rec':>17} {'Python objects B/rec':>21}"
              f" {'pickled B/rec':>14} {'objects/sparklite':>18}")
    print(header)
    print("-" * len(header))
    for name, make in kinds(args.records).items():
        data = make()
        cached, grown = measure(data, args.partitions)
        objects = sum(8 + python_bytes(r) for r in data) / len(data)
        step = max(1, len(data) // args.partitions)
        pickled = sum(len(pickle.dumps(data[i:i + step], pickle.HIGHEST_PROTOCOL))
                      for i in range(0, len(data), step)) / len(data)
        print(f"{name:<34} {cached:15.2f} {grown:17.2f} {objects:21.2f} {pickled:14.2f} "
              f"{objects / cached:17.1f}x", flush=True)
    print("\nsparklite = exact Arrow buffer bytes from the storage report; target for ints and floats: "
          "<= 9.6 (1.2 x 8)\nRSS growth = the executors' resident memory after caching less before; "
          "target for ints: <= 12")


def measure(data: list[Any], partitions: int) -> tuple[float, float]:
    """(Arrow bytes per record, executor RSS growth per record) of caching ``data``."""
    sc = SparkContext("local[2]", "bench-cache-size")
    try:
        # the same path once on a tenth of the data first: what executors allocate once (pyarrow
        # imported, allocator pools, gRPC streams) is not what caching costs
        warm = sc.parallelize(data[:len(data) // 10], partitions).cache()
        warm.count()
        warm.unpersist(blocking=True)
        rdd = sc.parallelize(data, partitions).cache()
        before = executor_rss(sc)
        count = rdd.count()
        time.sleep(0.2)
        grown = sum(rss - before.get(pid, rss) for pid, rss in executor_rss(sc).items()) / count
        assert count == len(data)
        info = next(i for i in sc.getRDDStorageInfo() if i.id == rdd.id())
        assert info.numCachedPartitions == partitions and info.diskSize == 0
        assert rdd.collect() == data  # the cache gives back the same records
        return info.memSize / count, grown
    finally:
        sc.stop()


if __name__ == "__main__":
    main()
