"""Run benchmark workloads on sparklite and on plain Python, side by side, in one invocation.

    python benchmarks/run.py                 # every workload at full size (../shared/BASELINES.md)
    python benchmarks/run.py --small         # every workload at 1/20 size, for a quick check
    python benchmarks/run.py W1 W2 --repeat 3

Each measurement is a fresh process (start-up included, as BASELINES.md measures), timed from
outside; the peak memory is of the whole process tree (executors included), sampled every 50 ms.
The plain-Python and sparklite runs of a workload alternate; the medians are reported with the
median of the per-repetition ratios, its range, and (at full size) issue 15's target ratio and
whether it is met. Checksums of both sides must agree, or the row says MISMATCH.

Before measuring, sparklite's and the benchmarks' bytecode is compiled once (``compileall``), as
installing a wheel does: an editable install under ``PYTHONDONTWRITEBYTECODE=1`` would otherwise
compile every imported module from source in every process (~0.1 s per process, three processes
per sparklite run).
"""
from __future__ import annotations

import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

import psutil

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from workloads import WORKLOADS  # noqa: E402

#: issue 15's target for sparklite / plain Python on two cores (ideal 0.5); met when ratio <= target
TARGETS = {"W1": 0.65, "W2": 0.99, "W3": 0.99, "W4": 0.99, "W5": 0.99, "W6": 4.0, "W7": 0.99}


def measure(cmd: list[str], timeout: float) -> tuple[float, float, dict]:
    """(wall seconds, peak tree RSS MiB, parsed output) of one fresh process."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    peak = 0
    deadline = start + timeout
    while proc.poll() is None:
        try:
            procs = [ps] + ps.children(recursive=True)
            rss = 0
            for p in procs:
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    pass
            peak = max(peak, rss)
        except psutil.Error:
            pass
        if time.perf_counter() > deadline:
            proc.kill()
            raise TimeoutError(f"{cmd} took longer than {timeout} s")
        time.sleep(0.05)
    wall = time.perf_counter() - start
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    return wall, peak / 2**20, json.loads(out.strip().splitlines()[-1])


def precompile() -> None:
    """Bytecode for sparklite and the benchmark modules, as an installed package has."""
    import compileall

    import sparklite

    for directory in (pathlib.Path(sparklite.__file__).parent, HERE):
        compileall.compile_dir(str(directory), quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workloads", nargs="*", default=sorted(WORKLOADS))
    parser.add_argument("--small", action="store_true", help="1/20 of the full sizes")
    parser.add_argument("--scale", type=float, help="size factor (overrides --small)")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--conf", action="append", default=[], help="sparklite config key=value")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    scale = args.scale if args.scale is not None else (0.05 if args.small else 1.0)
    precompile()
    script = str(HERE / "workloads.py")
    print(f"scale {scale}, master {args.master}, {os.cpu_count()} cores, {args.repeat} run(s) each\n")
    header = (f"{'workload':<5} {'plain s':>8} {'sparklite s':>12} {'ratio':>7} {'range':>11} {'target':>7} "
              f"{'plain MiB':>10} {'spk MiB':>9}  checksums")
    print(header)
    print("-" * len(header))
    for name in args.workloads:
        name = name.upper()
        subprocess.run([sys.executable, script, name, "prepare", "--scale", str(scale)], check=True)
        plain, spark, ratios, plain_mem, spark_mem = [], [], [], [], []
        sums = set()
        for _ in range(args.repeat):
            w, m, out = measure([sys.executable, script, name, "plain", "--scale", str(scale)], args.timeout)
            plain.append(w)
            plain_mem.append(m)
            sums.add(out["checksum"])
            cmd = [sys.executable, script, name, "sparklite", "--scale", str(scale), "--master", args.master]
            for pair in args.conf:
                cmd += ["--conf", pair]
            w, m, out = measure(cmd, args.timeout)
            spark.append(w)
            ratios.append(w / plain[-1])
            spark_mem.append(m)
            sums.add(out["checksum"])
        p, s, r = statistics.median(plain), statistics.median(spark), statistics.median(ratios)
        check = "agree" if len(sums) == 1 else "MISMATCH " + " ".join(sorted(sums))
        target = TARGETS.get(name) if scale == 1.0 else None  # the targets are for the full sizes
        goal = "" if target is None else (f"<={target:.2f}" if target != 0.99 else "<1.00")
        met = "" if target is None else (" met" if r <= target else " NOT met")
        span = f"{min(ratios):.2f}-{max(ratios):.2f}"
        print(f"{name:<5} {p:8.2f} {s:12.2f} {r:6.2f}x {span:>11} {goal:>7} {max(plain_mem):10.0f} "
              f"{max(spark_mem):9.0f}  {check}{met}", flush=True)
    print("\nratio = sparklite / plain Python in the same repetition, median over repetitions (lower is better;\n"
          "two cores' ideal is 0.5); range = lowest-highest ratio; W6 is process start to exit.")


if __name__ == "__main__":
    main()
