"""Spill benchmark: W2 and W7 with each executor's memory set to 1/4 of the data size.

    python benchmarks/spill.py                      # W2 and W7 at full size (~1-2 min)
    python benchmarks/spill.py --scale 0.2 W7       # quicker
    python benchmarks/spill.py HOT                  # groupByKey where 99% of 10M pairs share a key

*Data size* is what the shuffled records take as Python objects, the memory a
job needs to hold them without spilling: records x (tuple + key + value, by
``sys.getsizeof``). Each executor gets ``spark.executor.memory`` = data / 4.
The input has as many partitions as executors (``--partitions``, default 2),
so every task shuffles half of the data, twice its executor's whole memory:
it must spill to finish.

Printed side by side: the plain-Python reference (one process, all in
memory: its time and peak RSS) and sparklite (time, and per executor: peak
RSS read from the kernel's high-water mark ``VmHWM``, the configured memory,
their ratio, and how many spill runs it wrote). The target: peak executor RSS
under 2x its configured memory. Checksums of both sides must agree.
"""
from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys
import time

import psutil

HERE = pathlib.Path(__file__).resolve().parent

#: records shuffled at scale 1 (see workloads.py)
RECORDS = {"W2": 20_000_000, "W7": 5_000_000, "HOT": 10_000_000}


def record_bytes() -> int:
    """Bytes of one (int key, int value) record as Python objects: the tuple and its two ints."""
    key, value = 12_345, 4_000_000
    return sys.getsizeof((key, value)) + sys.getsizeof(key) + sys.getsizeof(value)


def vm_hwm(pid: int) -> int:
    """Peak resident set size of a live process (bytes), from /proc."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def _is_executor(process: psutil.Process, driver_pid: int) -> bool:
    """A spawned executor (``-m sparklite.executor``), or one forked by the driver's executor
    template (which carries the template's command line; the template itself is not one)."""
    cmdline = " ".join(process.cmdline())
    if "sparklite.executor.forkserver" in cmdline:
        return process.ppid() != driver_pid
    return "sparklite.executor" in cmdline


def run(cmd: list[str], timeout: float, watch_children: bool) -> tuple[float, dict, int, dict[int, int]]:
    """(wall s, output json, peak RSS of the process, peak RSS per child executor pid)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    me = psutil.Process(proc.pid)
    peaks: dict[int, int] = {}
    own = 0
    while proc.poll() is None:
        own = max(own, vm_hwm(proc.pid))
        if watch_children:
            try:
                for child in me.children(recursive=True):
                    if _is_executor(child, proc.pid):
                        peaks[child.pid] = max(peaks.get(child.pid, 0), vm_hwm(child.pid))
            except psutil.Error:
                pass
        if time.perf_counter() - start > timeout:
            proc.kill()
            raise TimeoutError(f"{cmd} took longer than {timeout} s")
        time.sleep(0.05)
    wall = time.perf_counter() - start
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    return wall, json.loads(out.strip().splitlines()[-1]), own, peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workloads", nargs="*", default=["W2", "W7"])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--executors", type=int, default=2)
    parser.add_argument("--partitions", type=int, help="input partitions (default: one per executor)")
    parser.add_argument("--timeout", type=float, default=1800)
    args = parser.parse_args()
    partitions = args.partitions or args.executors
    script = str(HERE / "workloads.py")
    per_record = record_bytes()
    print(f"scale {args.scale}, local[{args.executors}], {partitions} input partitions; "
          f"a record as Python objects: {per_record} bytes\n")
    for name in args.workloads:
        name = name.upper()
        records = int(RECORDS[name] * args.scale)
        data = records * per_record
        memory_mb = max(1, data // 4 // 2**20)
        plain_wall, plain_out, plain_peak, _ = run(
            [sys.executable, script, name, "plain", "--scale", str(args.scale)], args.timeout, False)
        cmd = [sys.executable, script, name, "sparklite", "--scale", str(args.scale),
               "--master", f"local[{args.executors}]", "--partitions", str(partitions), "--report-spills",
               "--conf", f"spark.executor.memory={memory_mb}m"]
        wall, out, driver_peak, peaks = run(cmd, args.timeout, True)
        check = "agree" if plain_out["checksum"] == out["checksum"] else "MISMATCH"
        print(f"{name}: {records:,} records = {data / 2**20:,.0f} MiB as Python objects; "
              f"spark.executor.memory={memory_mb}m (1/4 of it); checksums {check}")
        print(f"  plain Python (reference): {plain_wall:7.2f} s, peak RSS {plain_peak / 2**20:6.0f} MiB")
        print(f"  sparklite               : {wall:7.2f} s, driver peak RSS {driver_peak / 2**20:6.0f} MiB")
        by_pid = {pid: eid for eid, pid in out.get("executor_pids", {}).items()}
        limit = 2 * memory_mb * 2**20
        for pid, peak in sorted(peaks.items()):
            eid = by_pid.get(pid, "?")
            runs = out.get("spill_runs", {}).get(eid, "?")
            verdict = "under 2x" if peak < limit else "OVER 2x"
            print(f"    executor {eid:>2} (pid {pid}): peak RSS {peak / 2**20:6.0f} MiB = "
                  f"{peak / (memory_mb * 2**20):4.2f}x its memory ({verdict}); spill runs written: {runs}")
        print(flush=True)


if __name__ == "__main__":
    main()
