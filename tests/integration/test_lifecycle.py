"""Executors are real processes: they die with sc.stop() and with a SIGKILLed driver."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import psutil

from sparklite.rpc.generated import sparklite_pb2 as pb
from tests.helpers.waiting import wait_until


def test_no_executor_survives_stop(context_factory):
    context = context_factory("local[3]")
    assert context.parallelize(range(30), 6).map(lambda x: x * 2).sum() == 870
    pids = list(context._runtime.backend.process_ids().values())
    assert len(pids) == 3 and os.getpid() not in pids
    procs = [psutil.Process(p) for p in pids]
    app_dir = context._app_dir
    context.stop()
    gone, alive = psutil.wait_procs(procs, timeout=10)
    assert not alive
    assert not os.path.exists(app_dir)


def test_executors_exit_when_the_driver_is_killed(tmp_path):
    script = tmp_path / "driver.py"
    script.write_text(textwrap.dedent("""
        import sys, time
        from sparklite import SparkContext
        sc = SparkContext("local[2]")
        assert sc.parallelize(range(10), 2).count() == 10
        print(" ".join(str(p) for p in sc._runtime.backend.process_ids().values()), flush=True)
        time.sleep(600)
    """))
    driver = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=os.getcwd())
    try:
        line = driver.stdout.readline()
        pids = [int(p) for p in line.split()]
        assert len(pids) == 2
        procs = [psutil.Process(p) for p in pids]
        driver.send_signal(signal.SIGKILL)
        driver.wait(10)
        gone, alive = psutil.wait_procs(procs, timeout=15)
        assert not alive, f"executors outlived their driver: {[p.pid for p in alive]}"
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait(10)
        driver.stdout.close()


def test_stage_binary_sent_once_per_executor_and_tasks_carry_only_ids(sc):
    endpoint = sc._runtime.endpoint
    before = dict(endpoint.stage_binaries_sent)
    sc.parallelize(range(100), 10).map(lambda x: x + 1).count()
    new = {k: v for k, v in endpoint.stage_binaries_sent.items() if k not in before}
    assert len(new) == 1 and list(new.values())[0] <= 2  # 10 tasks, at most one binary per executor
    fields = {f.name: f.type for f in pb.LaunchTask.DESCRIPTOR.fields}
    assert pb.LaunchTask.DESCRIPTOR.fields_by_name["task_id"]
    assert not [n for n, t in fields.items() if t == 12]  # no bytes field in a task message


def test_executor_local_dirs_hold_shuffle_files_then_vanish(context_factory):
    context = context_factory("local[2]")
    counts = context.parallelize(range(100), 4).map(lambda x: (x % 5, 1)).reduceByKey(lambda a, b: a + b)
    assert sorted(counts.collect()) == [(k, 20) for k in range(5)]
    shuffle_files = []
    for root, _, names in os.walk(context._app_dir):
        shuffle_files += [n for n in names if n.startswith("shuffle_") and n.endswith(".data")]
    assert len(shuffle_files) == 4  # one data file per map task
    app_dir = context._app_dir
    context.stop()
    wait_until(lambda: not os.path.exists(app_dir), 10, message="app dir removal")
