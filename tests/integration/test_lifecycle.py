"""Executors are real processes: they die with sc.stop() and with a SIGKILLed driver."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap

import psutil
import pytest

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
        print(sc._app_dir, flush=True)
        time.sleep(600)
    """))
    driver = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True,
                              cwd=os.getcwd())
    app_dir = ""
    try:
        line = driver.stdout.readline()
        pids = [int(p) for p in line.split()]
        app_dir = driver.stdout.readline().strip()
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
        if app_dir.startswith(tempfile.gettempdir()):  # a SIGKILLed driver cannot remove its own
            shutil.rmtree(app_dir, ignore_errors=True)


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


@pytest.mark.parametrize("body,code,expected", [
    ("print(sc.parallelize(range(10), 2).sum())", 0, "45"),
    ("sc.parallelize(range(10), 2).map(lambda x: 1 / 0).collect()", 1, "ZeroDivisionError"),
])
def test_script_that_never_stops_its_context_exits(tmp_path, body, code, expected):
    """PySpark stops the context at interpreter exit; a script must not hang there."""
    script = tmp_path / "nostop.py"
    script.write_text("import os\nfrom sparklite import SparkContext\nsc = SparkContext('local[2]')\n"
                      "print('pids', *sc._runtime.backend.process_ids().values(), flush=True)\n"
                      "print('appdir', sc._app_dir, flush=True)\n" + body + "\n")
    for cmd in ([sys.executable, str(script)], [os.path.join(os.path.dirname(sys.executable), "sparklite-submit"),
                                                 "--master", "local[2]", str(script)]):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60, cwd=os.getcwd())
        assert proc.returncode == code, proc.stderr[-2000:]
        assert expected in proc.stdout + proc.stderr
        lines = dict(line.split(" ", 1) for line in proc.stdout.splitlines() if line.startswith(("pids", "appdir")))
        pids = [int(p) for p in lines["pids"].split()]
        gone, alive = psutil.wait_procs([p for p in map(_process_or_none, pids) if p], timeout=15)
        assert not alive, f"executors outlived their driver: {[p.pid for p in alive]}"
        assert not os.path.exists(lines["appdir"])


def _process_or_none(pid):
    try:
        return psutil.Process(pid)
    except psutil.NoSuchProcess:
        return None


SLEEPY_SCRIPT = """
import sys, time
from sparklite import SparkContext
sc = SparkContext("local[2]")
print("pids", *sc._runtime.backend.process_ids().values(), flush=True)
print("appdir", sc._app_dir, flush=True)
marker = sys.argv[1]
sc.parallelize(range(4), 2).map(lambda x: (open(marker, "a").close(), time.sleep(60))).collect()
"""


@pytest.mark.parametrize("launcher,sig,code", [
    ("python", signal.SIGTERM, 143),
    ("sparklite-submit", signal.SIGTERM, 143),
    ("sparklite-submit", signal.SIGINT, 130),
])
def test_a_terminated_driver_cleans_up(tmp_path, launcher, sig, code):
    """SIGTERM (timeout, kill, Kubernetes) and Ctrl-C stop the context: no executor and no
    scratch directory outlive the driver, and the exit code tells which signal ended it."""
    script = tmp_path / "sleepy.py"
    script.write_text(SLEEPY_SCRIPT)
    exe = sys.executable if launcher == "python" else os.path.join(os.path.dirname(sys.executable), launcher)
    marker = tmp_path / "task-started"
    driver = subprocess.Popen([exe, str(script), str(marker)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True)
    try:
        pids = [int(p) for p in driver.stdout.readline().split()[1:]]
        app_dir = driver.stdout.readline().split(" ", 1)[1].strip()
        executors = [psutil.Process(p) for p in pids]
        wait_until(marker.exists, 60, message="a task to start")  # the signal lands mid-job
        driver.send_signal(sig)
        assert driver.wait(120) == code, driver.stderr.read()[-2000:]  # generous: a loaded machine
        gone, alive = psutil.wait_procs(executors, timeout=15)
        assert not alive, f"executors outlived their driver: {[p.pid for p in alive]}"
        assert not os.path.exists(app_dir)
        if sig == signal.SIGINT:
            assert "cancelled" in driver.stderr.read()
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait(10)
        driver.stdout.close()
        driver.stderr.close()
