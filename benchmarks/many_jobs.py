"""10,000 small shuffle jobs on one context: local-dir files, open fds, threads and RSS stay flat.

    python benchmarks/many_jobs.py                  # 10,000 jobs, local[2]
    python benchmarks/many_jobs.py --jobs 2000 --every 500

Each job is ``parallelize(range(200), 4).map(to a pair).reduceByKey(add).collect()`` with a
fresh RDD chain, checked against plain Python; the previous job's RDDs are dropped, so the
ContextCleaner must remove their shuffle files, stage binaries and map outputs. Every
``--every`` jobs it prints, for the driver and its executors: files under the application's
local dir, open file descriptors, threads, RSS (MiB), and the shuffles the driver tracks.
Prints the first and last sample side by side, and the most files the local dir held at any
time (checked every 10th job, without waiting for the cleaner); exits 1 if files, fds or threads grew, or
if the driver's RSS grew by more than ``--max-rss-growth`` MiB.
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
from operator import add

import psutil


def sample(context) -> dict[str, int]:
    files = sum(len(names) for _, _, names in os.walk(context._app_dir))
    driver = psutil.Process()
    executors = [psutil.Process(p) for p in context._runtime.backend.process_ids().values()]
    return {
        "files": files,
        "driver fds": driver.num_fds(),
        "driver threads": threading.active_count(),
        "driver RSS MiB": driver.memory_info().rss >> 20,
        "executor fds": sum(p.num_fds() for p in executors),
        "executor threads": sum(p.num_threads() for p in executors),
        "executor RSS MiB": sum(p.memory_info().rss for p in executors) >> 20,
        "tracked shuffles": len(context._runtime.call(context._runtime.tracker.shuffle_ids)),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1000)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--warm-up", type=int, default=200, help="jobs before the first sample")
    parser.add_argument("--max-rss-growth", type=float, default=40.0)
    args = parser.parse_args()

    from sparklite import SparkContext

    data = list(range(200))
    expected = sorted({k: sum(x for x in data if x % 10 == k) for k in range(10)}.items())
    context = SparkContext(args.master, "many-jobs")
    context.setLogLevel("ERROR")
    samples: list[tuple[int, dict[str, int]]] = []
    peak_files = 0
    started = time.perf_counter()
    try:
        for job in range(1, args.warm_up + args.jobs + 1):
            got = context.parallelize(data, 4).map(lambda x: (x % 10, x)).reduceByKey(add).collect()
            if sorted(got) != expected:
                print(f"job {job}: WRONG answer {sorted(got)[:3]}...")
                return 1
            counted = job - args.warm_up
            if job % 10 == 0:  # between samples too: the most files the local dir ever held
                peak_files = max(peak_files, sum(len(n) for _, _, n in os.walk(context._app_dir)))
            if counted >= 0 and counted % args.every == 0:
                time.sleep(0.5)  # let the cleaner catch up with the last job's shuffle
                gc.collect()
                samples.append((counted, sample(context)))
                row = "  ".join(f"{k} {v}" for k, v in samples[-1][1].items())
                print(f"after {counted:>6} jobs ({time.perf_counter() - started:7.1f} s): {row}", flush=True)
    finally:
        context.stop()
    (first_job, first), (last_job, last) = samples[0], samples[-1]
    print(f"\n{args.jobs} jobs on {args.master} in {time.perf_counter() - started:.0f} s "
          f"({args.jobs / (time.perf_counter() - started):.0f} jobs/s)")
    print(f"{'':<20}{'after ' + str(first_job):>12}{'after ' + str(last_job):>14}")
    for key in first:
        print(f"{key:<20}{first[key]:>12}{last[key]:>14}")
    print(f"most files in the local dir at any time (every 10th job): {peak_files}")
    grew = [k for k in ("files", "driver fds", "driver threads", "executor fds", "executor threads",
                        "tracked shuffles") if last[k] > first[k]]
    if last["driver RSS MiB"] - first["driver RSS MiB"] > args.max_rss_growth:
        grew.append("driver RSS MiB")
    if grew:
        print("GREW: " + ", ".join(grew))
        return 1
    print("flat: files, fds, threads and tracked shuffles did not grow; driver RSS within "
          f"{args.max_rss_growth:g} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
