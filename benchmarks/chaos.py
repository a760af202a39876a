"""Chaos run: workloads in a loop while a killer SIGKILLs a random executor every few seconds.

    python benchmarks/chaos.py                     # 5 minutes, a kill every 2-5 s
    python benchmarks/chaos.py --minutes 1 --scale 0.02

Runs W1 (word count), W2 (reduceByKey), W7 (groupByKey) and W5 (PageRank: an
iterative job over a cached RDD) on one ``local[N]`` context, first once
without faults (the reference time), then over and over while a killer thread
SIGKILLs a random live executor at random intervals. Every answer is compared
with the plain-Python reference computed up front. Prints, per workload and in
total: runs, kills, runs that a kill hit and that still recovered, wrong answers,
failed runs, and the slowdown against the no-fault run.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import threading
import time
from collections import defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import WORKLOADS, digest  # noqa: E402

CHAOS_WORKLOADS = ["W1", "W2", "W7", "W5"]
SCALES = {"W1": 0.05, "W2": 0.1, "W7": 0.1, "W5": 0.1}


class Killer(threading.Thread):
    """SIGKILLs a random live executor of ``context`` every ``low``-``high`` seconds."""

    def __init__(self, context, low: float, high: float, seed: int):
        super().__init__(name="chaos-killer", daemon=True)
        self.context = context
        self.low, self.high = low, high
        self.rng = random.Random(seed)
        self.kills = 0
        self.stop_event = threading.Event()

    def run(self) -> None:
        while not self.stop_event.wait(self.rng.uniform(self.low, self.high)):
            pids = list(self.context._runtime.backend.process_ids().values())
            if not pids:
                continue
            try:
                os.kill(self.rng.choice(pids), signal.SIGKILL)
                self.kills += 1
            except ProcessLookupError:
                pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--scale", type=float, help="one size factor for every workload")
    parser.add_argument("--min-interval", type=float, default=2.0)
    parser.add_argument("--max-interval", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from sparklite import SparkContext

    scales = {w: args.scale or SCALES[w] for w in CHAOS_WORKLOADS}
    print("computing plain-Python references ...", flush=True)
    expected = {w: digest(WORKLOADS[w][2](scales[w])) for w in CHAOS_WORKLOADS}

    context = SparkContext(args.master, "chaos")
    context.setLogLevel("ERROR")
    try:
        baseline: dict[str, float] = {}
        for w in CHAOS_WORKLOADS:
            for _ in range(2):  # the faster of two runs: the first one warms caches
                start = time.perf_counter()
                got = digest(WORKLOADS[w][1](context, scales[w]))
                elapsed = time.perf_counter() - start
                baseline[w] = min(baseline.get(w, elapsed), elapsed)
                assert got == expected[w], f"{w} is wrong even without faults"
        print("no-fault times: " + ", ".join(f"{w} {t:.2f}s" for w, t in baseline.items()), flush=True)

        killer = Killer(context, args.min_interval, args.max_interval, args.seed)
        stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        deadline = time.monotonic() + args.minutes * 60
        killer.start()
        i = 0
        while time.monotonic() < deadline:
            w = CHAOS_WORKLOADS[i % len(CHAOS_WORKLOADS)]
            i += 1
            kills_before = killer.kills
            start = time.perf_counter()
            try:
                got = digest(WORKLOADS[w][1](context, scales[w]))
                failed = False
            except Exception as exc:  # a failed run is reported, never hidden
                print(f"  {w} FAILED: {type(exc).__name__}: {str(exc)[:300]}", flush=True)
                got, failed = None, True
            elapsed = time.perf_counter() - start
            hit = killer.kills - kills_before
            s = stats[w]
            s["runs"] += 1
            s["seconds"] += elapsed
            s["kills"] += hit
            s["failed"] += failed
            s["wrong"] += (not failed and got != expected[w])
            s["recovered"] += (hit > 0 and not failed and got == expected[w])
        killer.stop_event.set()
        killer.join(10)
    finally:
        context.stop()

    print(f"\n{args.minutes:.1f} min, master {args.master}, kill every {args.min_interval:.0f}-"
          f"{args.max_interval:.0f} s, {killer.kills} kills in total\n")
    header = f"{'workload':<9}{'runs':>6}{'kills':>7}{'recovered':>11}{'wrong':>7}{'failed':>8}{'mean s':>9}{'no-fault s':>12}{'slowdown':>10}"
    print(header)
    print("-" * len(header))
    totals = defaultdict(float)
    for w in CHAOS_WORKLOADS:
        s = stats[w]
        mean = s["seconds"] / s["runs"] if s["runs"] else float("nan")
        print(f"{w:<9}{int(s['runs']):>6}{int(s['kills']):>7}{int(s['recovered']):>11}{int(s['wrong']):>7}"
              f"{int(s['failed']):>8}{mean:>9.2f}{baseline[w]:>12.2f}{mean / baseline[w]:>9.2f}x")
        for k in ("runs", "kills", "recovered", "wrong", "failed"):
            totals[k] += s[k]
    print(f"{'total':<9}{int(totals['runs']):>6}{int(totals['kills']):>7}{int(totals['recovered']):>11}"
          f"{int(totals['wrong']):>7}{int(totals['failed']):>8}")
    return 1 if totals["wrong"] or totals["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
