"""Chaos run: workloads in a loop while executors (and workers) are SIGKILLed and SIGSTOPped.

    python benchmarks/chaos.py                                  # 5 minutes, local[2]
    python benchmarks/chaos.py --minutes 10 --cpu-load 2        # with two busy-looping processes
    python benchmarks/chaos.py --standalone 2 --minutes 10      # a loopback master + 2 workers

Runs W1 (word count), W2 (reduceByKey), W7 (groupByKey) and W5 (PageRank: an iterative job
over a cached RDD) on one context, first once without faults (the reference time), then over
and over while a fault thread strikes every ``--min-interval``-``--max-interval`` seconds:

* ``kill``: SIGKILL a random executor process;
* ``stop``: SIGSTOP one; half of the time SIGCONT it 0.5-3 s later (it must resume), otherwise
  leave it frozen until the driver's heartbeat expiry removes it, then SIGKILL it;
* on ``--standalone`` also ``worker-kill`` (SIGKILL a worker; a new one starts 3 s later) and
  ``worker-stop`` (SIGSTOP a worker for 1-5 s).

``--cpu-load N`` runs N busy-looping processes beside it the whole time (the machine under
load). Every answer is compared with the plain-Python reference computed up front; a run that
takes longer than ``--hang-after`` seconds counts as a hang and ends the benchmark with a dump
of the driver's threads. Prints, per workload and in total: runs, faults, runs a fault hit that
still gave the right answer, wrong answers, failed runs, mean and no-fault seconds. Exits 1 on
any wrong answer, failed run or hang. Everything it starts it stops, by PID.
"""
from __future__ import annotations

import argparse
import faulthandler
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from workloads import WORKLOADS, digest  # noqa: E402

CHAOS_WORKLOADS = ["W1", "W2", "W7", "W5"]
SCALES = {"W1": 0.05, "W2": 0.1, "W7": 0.1, "W5": 0.1}
#: settings that let a frozen executor be noticed within seconds (heartbeat expiry)
FAST_DETECTION = {"spark.executor.heartbeatInterval": "1s", "spark.network.timeout": "8s",
                  "spark.worker.timeout": "8s", "sparklite.worker.heartbeatInterval": "1s"}


class Cluster:
    """A loopback standalone master and workers, started with the CLIs (stopped in ``close``)."""

    def __init__(self, workers: int, cores: int, directory: str, props: dict[str, str]):
        self.dir = directory
        self.cores = cores
        self.props_file = os.path.join(directory, "cluster.conf")
        with open(self.props_file, "w") as f:
            f.writelines(f"{k} {v}\n" for k, v in props.items())
        self.procs: list[subprocess.Popen] = []
        self.workers: dict[str, subprocess.Popen] = {}
        self._serial = 0
        self.master = self._spawn("master", ["sparklite-master", "--host", "127.0.0.1", "--port", "0",
                                             "--webui-port", "0", "--properties-file", self.props_file])
        line = self.master.stdout.readline()
        match = re.search(r"MASTER_URL (sparklite://\S+)", line)
        if not match:
            raise RuntimeError(f"the master did not start: {line!r}")
        self.url = match.group(1)
        for _ in range(workers):
            self.start_worker()

    def _spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        script = os.path.join(os.path.dirname(sys.executable), args[0])
        log = open(os.path.join(self.dir, f"{name}.log"), "w")
        proc = subprocess.Popen([script, *args[1:]], stdout=subprocess.PIPE, stderr=log, text=True,
                                cwd=self.dir)
        log.close()
        self.procs.append(proc)
        return proc

    def start_worker(self) -> None:
        self._serial += 1
        name = f"worker-{self._serial}"
        self.workers[name] = self._spawn(name, [
            "sparklite-worker", "--master", self.url, "--cores", str(self.cores), "--memory", "2g",
            "--work-dir", os.path.join(self.dir, name), "--host", "127.0.0.1",
            "--properties-file", self.props_file])

    def live_workers(self) -> dict[str, subprocess.Popen]:
        return {n: p for n, p in self.workers.items() if p.poll() is None}

    def close(self) -> None:
        for proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGCONT)
                    proc.terminate()
                    proc.wait(15)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(10)
            if proc.stdout is not None:
                proc.stdout.close()


class Chaos(threading.Thread):
    """Strikes a random fault every ``low``-``high`` seconds; counts what it did in ``done``."""

    def __init__(self, context, cluster: Cluster | None, kinds: list[str], low: float, high: float,
                 seed: int):
        super().__init__(name="chaos", daemon=True)
        self.context = context
        self.cluster = cluster
        self.kinds = kinds
        self.low, self.high = low, high
        self.rng = random.Random(seed)
        self.done: Counter = Counter()
        self.stop_event = threading.Event()
        self._frozen: list[tuple[float, int, str]] = []  # (when to act, pid, "cont" | "expire")

    def faults(self) -> int:
        return sum(v for k, v in self.done.items() if not k.startswith("resumed"))

    def run(self) -> None:
        next_fault = time.monotonic() + self.rng.uniform(self.low, self.high)
        while not self.stop_event.wait(0.1):
            self._tend_frozen()
            if time.monotonic() >= next_fault:
                next_fault = time.monotonic() + self.rng.uniform(self.low, self.high)
                try:
                    getattr(self, "_" + self.rng.choice(self.kinds).replace("-", "_"))()
                except ProcessLookupError:
                    pass
        for _, pid, _ in self._frozen:  # nothing stays frozen after the run
            _signal(pid, signal.SIGCONT)

    def _executor_pids(self) -> list[int]:
        backend = self.context._runtime.backend
        # local mode: every executor process, those still starting too; standalone: registered ones
        return list((backend.process_ids() or backend.executor_pids()).values())

    def _kill(self) -> None:
        pids = self._executor_pids()
        if pids:
            os.kill(self.rng.choice(pids), signal.SIGKILL)
            self.done["kill"] += 1

    def _stop(self) -> None:
        frozen = {pid for _, pid, _ in self._frozen}
        pids = [p for p in self._executor_pids() if p not in frozen]
        if not pids:
            return
        pid = self.rng.choice(pids)
        os.kill(pid, signal.SIGSTOP)
        if self.rng.random() < 0.5:
            self._frozen.append((time.monotonic() + self.rng.uniform(0.5, 3.0), pid, "cont"))
            self.done["stop+cont"] += 1
        else:  # left to the heartbeat expiry; killed once the driver let go of it
            self._frozen.append((time.monotonic() + 60.0, pid, "expire"))
            self.done["stop+expire"] += 1

    def _tend_frozen(self) -> None:
        now, live = time.monotonic(), set(self._executor_pids())
        keep = []
        for at, pid, action in self._frozen:
            if action == "expire" and pid not in live:  # the driver removed it: it may go
                _signal(pid, signal.SIGKILL)
                self.done["resumed: expired"] += 1
            elif now >= at:
                _signal(pid, signal.SIGCONT if action == "cont" else signal.SIGKILL)
                self.done["resumed: continued" if action == "cont" else "resumed: killed late"] += 1
            else:
                keep.append((at, pid, action))
        self._frozen = keep

    def _worker_kill(self) -> None:
        workers = self.cluster.live_workers() if self.cluster else {}
        if len(workers) < 2:
            return
        name = self.rng.choice(sorted(workers))
        workers[name].kill()
        workers[name].wait(10)
        self.done["worker-kill"] += 1
        threading.Timer(3.0, self._restart_worker).start()

    def _restart_worker(self) -> None:
        if not self.stop_event.is_set() and self.cluster is not None:
            self.cluster.start_worker()

    def _worker_stop(self) -> None:
        workers = self.cluster.live_workers() if self.cluster else {}
        if not workers:
            return
        proc = workers[self.rng.choice(sorted(workers))]
        os.kill(proc.pid, signal.SIGSTOP)
        self._frozen.append((time.monotonic() + self.rng.uniform(1.0, 5.0), proc.pid, "cont"))
        self.done["worker-stop"] += 1


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


def start_cpu_load(count: int) -> list[subprocess.Popen]:
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--master", default="local[2]", help="ignored with --standalone")
    parser.add_argument("--standalone", type=int, metavar="WORKERS", default=0,
                        help="run on a loopback standalone cluster of this many workers")
    parser.add_argument("--worker-cores", type=int, default=1)
    parser.add_argument("--faults", default=None,
                        help="comma-separated: kill, stop, worker-kill, worker-stop (default: kill,stop "
                             "and, with --standalone, the worker faults too)")
    parser.add_argument("--cpu-load", type=int, default=0, metavar="N", help="busy-looping processes beside it")
    parser.add_argument("--scale", type=float, help="one size factor for every workload")
    parser.add_argument("--min-interval", type=float, default=2.0)
    parser.add_argument("--max-interval", type=float, default=5.0)
    parser.add_argument("--hang-after", type=float, default=600.0, help="seconds one run may take")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    kinds = (args.faults or ("kill,stop,worker-kill,worker-stop" if args.standalone else "kill,stop")).split(",")

    from sparklite import SparkConf, SparkContext

    scales = {w: args.scale or SCALES[w] for w in CHAOS_WORKLOADS}
    print("computing plain-Python references ...", flush=True)
    expected = {w: digest(WORKLOADS[w][2](scales[w])) for w in CHAOS_WORKLOADS}

    load = start_cpu_load(args.cpu_load)
    scratch = tempfile.mkdtemp(prefix="sparklite-chaos-")
    cluster = None
    context = None
    stats: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    baseline: dict[str, float] = {}
    hung = False
    chaos = None
    try:
        conf = SparkConf().setAppName("chaos").setAll(FAST_DETECTION.items())
        if args.standalone:
            cluster = Cluster(args.standalone, args.worker_cores, scratch, FAST_DETECTION)
            conf.setMaster(cluster.url)
        else:
            conf.setMaster(args.master)
        context = SparkContext(conf=conf)
        context.setLogLevel("ERROR")
        here = os.path.dirname(os.path.abspath(__file__))
        for module in ("datagen.py", "workloads.py"):  # importable on a worker's executors too
            context.addPyFile(os.path.join(here, module))
        for w in CHAOS_WORKLOADS:
            for _ in range(2):  # the faster of two runs: the first one warms caches
                start = time.perf_counter()
                got = digest(WORKLOADS[w][1](context, scales[w]))
                elapsed = time.perf_counter() - start
                baseline[w] = min(baseline.get(w, elapsed), elapsed)
                assert got == expected[w], f"{w} is wrong even without faults"
        print("no-fault times: " + ", ".join(f"{w} {t:.2f}s" for w, t in baseline.items()), flush=True)

        chaos = Chaos(context, cluster, kinds, args.min_interval, args.max_interval, args.seed)
        deadline = time.monotonic() + args.minutes * 60
        chaos.start()
        i = 0
        while time.monotonic() < deadline and not hung:
            w = CHAOS_WORKLOADS[i % len(CHAOS_WORKLOADS)]
            i += 1
            faults_before = chaos.faults()
            outcome: dict[str, object] = {}

            def run(w=w, outcome=outcome) -> None:
                try:
                    outcome["got"] = digest(WORKLOADS[w][1](context, scales[w]))
                except Exception as exc:  # a failed run is reported, never hidden
                    outcome["error"] = exc

            start = time.perf_counter()
            runner = threading.Thread(target=run, name=f"run-{w}", daemon=True)
            runner.start()
            runner.join(args.hang_after)
            elapsed = time.perf_counter() - start
            if runner.is_alive():
                hung = True
                print(f"  {w} HUNG: no answer after {elapsed:.0f} s; the driver's threads:", flush=True)
                faulthandler.dump_traceback(all_threads=True)
                outcome["error"] = TimeoutError("hang")
            elif "error" in outcome:
                exc = outcome["error"]
                print(f"  {w} FAILED: {type(exc).__name__}: {str(exc)[:300]}", flush=True)
            hit = chaos.faults() - faults_before
            failed = "error" in outcome
            s = stats[w]
            s["runs"] += 1
            s["seconds"] += elapsed
            s["faults"] += hit
            s["failed"] += failed
            s["wrong"] += (not failed and outcome["got"] != expected[w])
            s["recovered"] += (hit > 0 and not failed and outcome["got"] == expected[w])
    finally:
        if chaos is not None:
            chaos.stop_event.set()
            chaos.join(10)
        if context is not None and not hung:
            context.stop()
        if cluster is not None:
            cluster.close()
        for proc in load:
            proc.kill()
            proc.wait(10)
        shutil.rmtree(scratch, ignore_errors=True)

    where = f"standalone, {args.standalone} workers" if args.standalone else f"master {args.master}"
    print(f"\n{args.minutes:.1f} min, {where}, {args.cpu_load} CPU burners, a fault every "
          f"{args.min_interval:g}-{args.max_interval:g} s ({', '.join(kinds)})")
    print("faults: " + ", ".join(f"{k} {v}" for k, v in sorted(chaos.done.items())) if chaos else "")
    header = (f"{'workload':<9}{'runs':>6}{'faults':>7}{'recovered':>11}{'wrong':>7}{'failed':>8}"
              f"{'mean s':>9}{'no-fault s':>12}{'slowdown':>10}")
    print(header)
    print("-" * len(header))
    totals: dict[str, float] = defaultdict(float)
    for w in CHAOS_WORKLOADS:
        s = stats[w]
        mean = s["seconds"] / s["runs"] if s["runs"] else float("nan")
        base = baseline.get(w, float("nan"))
        print(f"{w:<9}{int(s['runs']):>6}{int(s['faults']):>7}{int(s['recovered']):>11}{int(s['wrong']):>7}"
              f"{int(s['failed']):>8}{mean:>9.2f}{base:>12.2f}{mean / base:>9.2f}x")
        for k in ("runs", "faults", "recovered", "wrong", "failed"):
            totals[k] += s[k]
    print(f"{'total':<9}{int(totals['runs']):>6}{int(totals['faults']):>7}{int(totals['recovered']):>11}"
          f"{int(totals['wrong']):>7}{int(totals['failed']):>8}")
    if hung:
        print("HANG: a run gave no answer; see the thread dump above")
    return 1 if totals["wrong"] or totals["failed"] or hung else 0


if __name__ == "__main__":
    raise SystemExit(main())
