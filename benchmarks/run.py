"""Run benchmark workloads on sparklite and on plain Python, side by side, in one invocation.

    python benchmarks/run.py                 # every workload at full size (../shared/BASELINES.md)
    python benchmarks/run.py --small         # every workload at 1/20 size, for a quick check
    python benchmarks/run.py W1 W2 --repeat 3
    python benchmarks/run.py W2 W5 --repeat 5 --baseline /tmp/main-checkout   # overhead vs another tree

Each measurement is a fresh process (start-up included, as BASELINES.md measures), timed from
outside; the peak memory is of the whole process tree (executors included), sampled every 50 ms.
The plain-Python and sparklite runs of a workload alternate; the medians are reported with the
median of the per-repetition ratios, its range, and (at full size) issue 15's target ratio and
whether it is met. Checksums of both sides must agree, or the row says MISMATCH.

Before measuring, sparklite's and the benchmarks' bytecode is compiled once (``compileall``), as
installing a wheel does: an editable install under ``PYTHONDONTWRITEBYTECODE=1`` would otherwise
compile every imported module from source in every process (~0.1 s per process, three processes
per sparklite run).

``--baseline DIR`` also runs each workload on the sparklite of another checkout (its
``sparklite`` package imported from DIR, in alternation with this one), and reports this
checkout's median against the baseline's: the way to measure what a change costs. It also
reports the CPU seconds (user + system) of both whole process trees, which a shared machine's
load disturbs much less than wall time.
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


def measure(cmd: list[str], timeout: float, tree: str | None = None) -> tuple[float, float, dict, float]:
    """(wall seconds, peak tree RSS MiB, parsed output, CPU seconds) of one fresh process; with
    ``tree``, its ``sparklite`` is imported from that checkout (driver and executors: they start
    in its cwd). CPU seconds are user + system time of the process and of every descendant it
    reaped (the executors), from ``wait4``: on a shared machine they move far less than wall time."""
    env = None
    if tree is not None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([tree, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tree)
    ps = psutil.Process(proc.pid)
    peak = 0
    deadline = start + timeout
    cpu = 0.0
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
            break
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
    return wall, peak / 2**20, json.loads(out.strip().splitlines()[-1]), cpu


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
    parser.add_argument("--baseline", metavar="DIR", help="another checkout to compare with, side by side")
    args = parser.parse_args()
    baseline = os.path.abspath(args.baseline) if args.baseline else None
    scale = args.scale if args.scale is not None else (0.05 if args.small else 1.0)
    precompile()
    script = str(HERE / "workloads.py")
    print(f"scale {scale}, master {args.master}, {os.cpu_count()} cores, {args.repeat} run(s) each\n")
    header = (f"{'workload':<5} {'plain s':>8} {'sparklite s':>12} {'ratio':>7} {'range':>11} {'target':>7} "
              f"{'plain MiB':>10} {'spk MiB':>9}  checksums")
    if baseline:
        header += "   baseline s  vs baseline   spk cpu s  base cpu s  cpu vs base"
    print(header)
    print("-" * len(header))
    for name in args.workloads:
        name = name.upper()
        subprocess.run([sys.executable, script, name, "prepare", "--scale", str(scale)], check=True)
        plain, spark, ratios, plain_mem, spark_mem, base = [], [], [], [], [], []
        spark_cpu, base_cpu = [], []
        sums = set()
        for _ in range(args.repeat):
            w, m, out, _ = measure([sys.executable, script, name, "plain", "--scale", str(scale)], args.timeout)
            plain.append(w)
            plain_mem.append(m)
            sums.add(out["checksum"])
            cmd = [sys.executable, script, name, "sparklite", "--scale", str(scale), "--master", args.master]
            for pair in args.conf:
                cmd += ["--conf", pair]
            if baseline:
                w, _, out, c = measure(cmd, args.timeout, baseline)
                base.append(w)
                base_cpu.append(c)
                sums.add(out["checksum"])
            w, m, out, c = measure(cmd, args.timeout)
            spark.append(w)
            ratios.append(w / plain[-1])
            spark_cpu.append(c)
            spark_mem.append(m)
            sums.add(out["checksum"])
        p, s, r = statistics.median(plain), statistics.median(spark), statistics.median(ratios)
        check = "agree" if len(sums) == 1 else "MISMATCH " + " ".join(sorted(sums))
        target = TARGETS.get(name) if scale == 1.0 else None  # the targets are for the full sizes
        goal = "" if target is None else (f"<={target:.2f}" if target != 0.99 else "<1.00")
        met = "" if target is None else (" met" if r <= target else " NOT met")
        span = f"{min(ratios):.2f}-{max(ratios):.2f}"
        row = (f"{name:<5} {p:8.2f} {s:12.2f} {r:6.2f}x {span:>11} {goal:>7} {max(plain_mem):10.0f} "
               f"{max(spark_mem):9.0f}  {check}{met}")
        if baseline:
            b = statistics.median(base)
            sc, bc = statistics.median(spark_cpu), statistics.median(base_cpu)
            row += f"   {b:10.2f}  {100 * (s - b) / b:+9.1f}%   {sc:9.2f}  {bc:10.2f}  {100 * (sc - bc) / bc:+10.1f}%" \
                   f"   (runs: {' '.join(f'{x:.2f}' for x in spark)} vs {' '.join(f'{x:.2f}' for x in base)};" \
                   f" cpu: {' '.join(f'{x:.2f}' for x in spark_cpu)} vs {' '.join(f'{x:.2f}' for x in base_cpu)})"
        print(row, flush=True)
    print("\nratio = sparklite / plain Python in the same repetition, median over repetitions (lower is better;\n"
          "two cores' ideal is 0.5); range = lowest-highest ratio; W6 is process start to exit.")
    if baseline:
        print("cpu s = user + system seconds of the whole process tree (steadier than wall time on a busy machine).")


if __name__ == "__main__":
    main()
