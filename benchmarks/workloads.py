"""The benchmark workloads, each written twice: for sparklite (as a PySpark user writes it) and
as a single-process plain-Python reference. Each returns a checksum; both sides must agree.

Run one side in a fresh process:  python benchmarks/workloads.py W2 sparklite --scale 1
"""
from __future__ import annotations

import hashlib
import json
import sys
import time
from collections import defaultdict
from operator import add
from typing import Any, Callable

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from datagen import corpus, edges, mix  # noqa: E402

Workload = dict[str, Callable[..., Any]]


def digest(value: Any) -> str:
    return hashlib.sha256(repr(value).encode()).hexdigest()[:16]


# ----------------------------------------------------------------- W1 word count
def w1_sparklite(sc, scale):
    counts = sc.textFile(str(corpus(scale))).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(add)
    return counts.count(), counts.takeOrdered(10, key=lambda wc: (-wc[1], wc[0]))


def w1_plain(scale):
    counts: dict[str, int] = {}
    with open(corpus(scale)) as f:
        for line in f:
            for w in line.split():
                counts[w] = counts.get(w, 0) + 1
    return len(counts), sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:10]


# ----------------------------------------------------------------- W2 reduceByKey
def w2_sparklite(sc, scale, partitions=8):
    n = int(20_000_000 * scale)
    sums = sc.parallelize(range(n), partitions).map(lambda x: (x % 100_000, x)).reduceByKey(add)
    return sums.count(), sums.values().sum()


def w2_plain(scale):
    n = int(20_000_000 * scale)
    sums: dict[int, int] = {}
    for x in range(n):
        k = x % 100_000
        sums[k] = sums.get(k, 0) + x
    return len(sums), sum(sums.values())


# ----------------------------------------------------------------- W3 sortByKey
def w3_sparklite(sc, scale):
    n = int(2_000_000 * scale)
    pairs = sc.parallelize(range(n), 8).map(lambda i: (mix(i), f"v{i}"))
    ordered = pairs.sortByKey()
    return ordered.count(), ordered.take(10), _last(ordered, 10)


def _last(rdd, k):
    return rdd.mapPartitions(lambda it: [list(it)[-k:]]).filter(bool).collect()[-1][-k:]


def w3_plain(scale):
    n = int(2_000_000 * scale)
    ordered = sorted(((mix(i), f"v{i}") for i in range(n)), key=lambda kv: kv[0])
    return len(ordered), ordered[:10], ordered[-10:]


# ----------------------------------------------------------------- W4 join
def w4_sparklite(sc, scale):
    n = int(1_000_000 * scale)
    keys = max(1, int(500_000 * scale))
    left = sc.parallelize(range(n), 8).map(lambda i: (mix(i) % keys, i))
    right = sc.parallelize(range(n), 8).map(lambda i: (mix(i + n) % keys, -i))
    return left.join(right).count()


def w4_plain(scale):
    n = int(1_000_000 * scale)
    keys = max(1, int(500_000 * scale))
    table: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        table[mix(i) % keys].append(i)
    count = 0
    for i in range(n):
        vs = table.get(mix(i + n) % keys)
        if vs:
            count += len(vs)
    return count


# ----------------------------------------------------------------- W5 PageRank
def _contribs(urls, rank):
    n = len(urls)
    for url in urls:
        yield url, rank / n


def w5_sparklite(sc, scale, iterations=10):
    lines = sc.textFile(str(edges(scale)))
    links = lines.map(lambda line: tuple(line.split())).groupByKey().cache()
    ranks = links.map(lambda u: (u[0], 1.0))
    for _ in range(iterations):
        contribs = links.join(ranks).flatMap(lambda u: _contribs(list(u[1][0]), u[1][1]))
        ranks = contribs.reduceByKey(add).mapValues(lambda r: 0.15 + 0.85 * r)
    result = ranks.collect()
    return _rank_summary(result)


def _rank_summary(result):
    top = sorted(result, key=lambda kv: (-kv[1], kv[0]))[:5]
    return len(result), round(sum(r for _, r in result), 2), [k for k, _ in top]


def w5_plain(scale, iterations=10):
    links: dict[str, list[str]] = defaultdict(list)
    with open(edges(scale)) as f:
        for line in f:
            s, d = line.split()
            links[s].append(d)
    ranks = {u: 1.0 for u in links}
    for _ in range(iterations):
        contribs: dict[str, float] = defaultdict(float)
        for u, urls in links.items():
            r = ranks.get(u)
            if r is None:
                continue
            share = r / len(urls)
            for v in urls:
                contribs[v] += share
        ranks = {u: 0.15 + 0.85 * c for u, c in contribs.items()}
    return _rank_summary(list(ranks.items()))


# ----------------------------------------------------------------- W6 start-up
def w6_sparklite(sc, scale):
    return sc.parallelize(range(100)).count()


def w6_plain(scale):
    return len(list(range(100)))


# ----------------------------------------------------------------- W7 groupByKey
def w7_sparklite(sc, scale, partitions=8):
    n = int(5_000_000 * scale)
    keys = max(1, int(50_000 * scale))
    groups = sc.parallelize(range(n), partitions).map(lambda i: (mix(i) % keys, i)).groupByKey().mapValues(len)
    return groups.count(), groups.values().sum()


def w7_plain(scale):
    n = int(5_000_000 * scale)
    keys = max(1, int(50_000 * scale))
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[mix(i) % keys].append(i)
    lens = {k: len(v) for k, v in groups.items()}
    return len(lens), sum(lens.values())


# ----------------------------------------------------------------- HOT: one hot key (spill benchmark)
def hot_sparklite(sc, scale, partitions=8):
    n = int(10_000_000 * scale)
    pairs = sc.parallelize(range(n), partitions).map(lambda i: ("hot", i) if i % 100 else (i, i))
    sizes = pairs.groupByKey().mapValues(len)
    return sizes.count(), sizes.filter(lambda kv: kv[0] == "hot").values().collect()


def hot_plain(scale):
    n = int(10_000_000 * scale)
    groups: dict = defaultdict(list)
    for i in range(n):
        groups["hot" if i % 100 else i].append(i)
    return len(groups), [len(groups["hot"])]


WORKLOADS = {
    "W1": ("word count, 200 MB text", w1_sparklite, w1_plain),
    "W2": ("reduceByKey, 20M ints -> 100k keys", w2_sparklite, w2_plain),
    "W3": ("sortByKey, 2M pairs", w3_sparklite, w3_plain),
    "W4": ("join, 1M x 1M over 500k keys", w4_sparklite, w4_plain),
    "W5": ("PageRank, 100k nodes / 1M edges, 10 iterations", w5_sparklite, w5_plain),
    "W6": ("start-up: trivial job, process start to exit", w6_sparklite, w6_plain),
    "W7": ("groupByKey, 5M pairs over 50k keys", w7_sparklite, w7_plain),
}

#: not in the default benchmark set (run.py): the spill benchmark's extra case
EXTRA_WORKLOADS = {
    "HOT": ("groupByKey, 10M pairs, 99% of them on one key", hot_sparklite, hot_plain),
}

# W5 floats are summed in a different order on each side: compare them rounded
PREPARE = {"W1": lambda s: corpus(s), "W5": lambda s: edges(s)}


def main(argv: list[str]) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("workload", choices=sorted(WORKLOADS) + sorted(EXTRA_WORKLOADS))
    parser.add_argument("engine", choices=["sparklite", "plain", "prepare"])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--conf", action="append", default=[])
    parser.add_argument("--partitions", type=int, help="input partitions (W2, W7; default 8)")
    parser.add_argument("--report-spills", action="store_true",
                        help="after the run, ask each executor how many spill runs it wrote")
    args = parser.parse_args(argv)
    _, spark_fn, plain_fn = {**WORKLOADS, **EXTRA_WORKLOADS}[args.workload]
    if args.engine == "prepare":
        if args.workload in PREPARE:
            PREPARE[args.workload](args.scale)
        return
    start = time.perf_counter()
    extra: dict[str, Any] = {}
    if args.engine == "plain":
        result = plain_fn(args.scale)
    else:
        from sparklite import SparkConf, SparkContext

        conf = SparkConf()
        for pair in args.conf:
            k, _, v = pair.partition("=")
            conf.set(k, v)
        sc = SparkContext(args.master, f"bench-{args.workload}", conf=conf)
        try:
            kwargs = {"partitions": args.partitions} if args.partitions else {}
            result = spark_fn(sc, args.scale, **kwargs)
            if args.report_spills:
                extra["spill_runs"] = _spill_runs(sc)
                extra["executor_pids"] = sc._runtime.backend.process_ids()
        finally:
            sc.stop()
    elapsed = time.perf_counter() - start
    print(json.dumps({"seconds": elapsed, "checksum": digest(result), "result": repr(result)[:200], **extra}))


def _spill_runs(sc) -> dict[str, int]:
    """executor id -> spill runs it wrote (probe tasks until every executor answered)."""
    from sparklite.shuffle import external
    from sparklite.taskcontext import TaskContext

    def probe(_):
        yield TaskContext.get().env.executor_id, external.stats["runs"]

    seen: dict[str, int] = {}
    executors = len(sc._runtime.backend.process_ids())
    for _ in range(20):
        seen.update(sc.parallelize(range(16), 16).mapPartitions(probe).collect())
        if len(seen) >= executors:
            break
    return seen


if __name__ == "__main__":
    main(sys.argv[1:])
