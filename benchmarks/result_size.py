"""The driver's memory under a collect bigger than spark.driver.maxResultSize (issue 11).

    python benchmarks/result_size.py                          # 1.5 GB collect, default limit (1g)
    python benchmarks/result_size.py --limit 0                # unlimited: the collect succeeds
    python benchmarks/result_size.py --gb 0.5 --partitions 4
    python benchmarks/result_size.py --repo DIR               # another checkout (e.g. older code)

The driver runs in its own process (``local[2]``): ``parallelize(range(P), P)
.map(lambda i: bytes([i]) * (size / P)).collect()``. Printed: whether the
collect succeeded or how it failed, its wall time, and the driver's resident
memory before the job and at its peak during it (the kernel's high-water mark,
``VmHWM``, reset just before the job through ``/proc/self/clear_refs``).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import textwrap

HERE = pathlib.Path(__file__).resolve().parent

_DRIVER = textwrap.dedent("""
    import json, sys, time
    from sparklite import SparkConf, SparkContext

    def kib(field):
        with open("/proc/self/status") as f:
            return next(int(line.split()[1]) for line in f if line.startswith(field + ":"))

    size, partitions, limit = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    conf = SparkConf(loadDefaults=False)
    if limit != "default":
        conf.set("spark.driver.maxResultSize", limit)
    sc = SparkContext("local[2]", "result-size", conf=conf)
    sc.parallelize(range(4), 2).count()
    each = size // partitions
    before = kib("VmRSS")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    start = time.perf_counter()
    try:
        values = sc.parallelize(range(partitions), partitions).map(lambda i: bytes([i]) * each).collect()
        outcome = f"collected {sum(len(v) for v in values) / 1e9:.2f} GB"
        assert all(v == bytes([i]) * each for i, v in enumerate(values))
        del values
    except Exception as exc:
        outcome = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
    seconds = time.perf_counter() - start
    print(json.dumps({"outcome": outcome, "seconds": round(seconds, 2), "rss_before_mib": before // 1024,
                      "rss_peak_mib": kib("VmHWM") // 1024}), flush=True)
    sc.stop()
""")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--gb", type=float, default=1.5)
    parser.add_argument("--partitions", type=int, default=12)
    parser.add_argument("--limit", default="default", help="spark.driver.maxResultSize (default: its default)")
    parser.add_argument("--repo", default=str(HERE.parent))
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=args.repo)
    env.pop("SPARKLITE_SUBMIT_CONF", None)
    with tempfile.TemporaryDirectory() as tmp:  # not the checkout: -c imports from the working directory
        out = subprocess.run([sys.executable, "-c", _DRIVER, str(int(args.gb * 1e9)), str(args.partitions),
                              args.limit], capture_output=True, text=True, env=env, timeout=1800, cwd=tmp)
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return 1
    row = json.loads(out.stdout.strip().splitlines()[-1])
    print(f"{args.gb} GB in {args.partitions} results, spark.driver.maxResultSize={args.limit}: {row['outcome']}\n"
          f"  {row['seconds']} s; driver RSS {row['rss_before_mib']} MiB before, "
          f"peak {row['rss_peak_mib']} MiB during the job")
    print(json.dumps({**vars(args), **row}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
