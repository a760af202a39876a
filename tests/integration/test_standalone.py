"""A standalone cluster on loopback: master and workers as real processes, apps as drivers here."""
from __future__ import annotations

import os
import signal
from operator import add

import psutil
import pytest

from sparklite import SparkConf, SparkContext
from tests.helpers import reference as ref
from tests.helpers.cluster import LocalCluster
from tests.helpers.waiting import wait_until

SECRET = "test-cluster-secret"
PROPS = {"spark.authenticate": "true", "spark.authenticate.secret": SECRET, "spark.worker.timeout": "4s",
         "sparklite.worker.heartbeatInterval": "500ms"}


@pytest.fixture
def cluster(tmp_path):
    c = LocalCluster(tmp_path, PROPS)
    c.start_master()
    c.start_worker("a")
    c.start_worker("b")
    try:
        c.wait_workers(2)
        yield c
    finally:
        c.close()


def app(cluster, **conf):
    spark_conf = SparkConf(loadDefaults=False).setAll({
        "spark.authenticate": "true", "spark.authenticate.secret": SECRET,
        "sparklite.driver.allowMultipleContexts": "true", "spark.executor.memory": "256m",
        "spark.network.timeout": "10s", "spark.executor.heartbeatInterval": "500ms", **conf}.items())
    return SparkContext(cluster.url, "standalone-test", conf=spark_conf)


def executors_of_workers(cluster):
    pids = {}
    for name, proc in cluster.workers.items():
        if proc.poll() is None:
            pids[name] = [c.pid for c in psutil.Process(proc.pid).children()]
    return pids


def test_word_count_and_join_on_a_cluster(cluster):
    sc = app(cluster)
    try:
        assert sc.defaultParallelism == 2
        lines = [f"w{i % 17} w{i % 5} x" for i in range(500)]
        counts = sc.parallelize(lines, 4).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(add)
        assert counts.collectAsMap() == dict(ref.word_count(lines))
        left = [(i % 20, i) for i in range(300)]
        right = [(i % 30, -i) for i in range(200)]
        joined = sc.parallelize(left, 3).join(sc.parallelize(right, 2)).collect()
        assert ref.multiset(joined) == ref.multiset(ref.join(left, right))
        executor_pids = set(sc.parallelize(range(8), 8).map(lambda _: os.getpid()).collect())
        assert len(executor_pids) == 2
        # the executors are the workers' children, not the driver's
        assert executor_pids <= {p for ps in executors_of_workers(cluster).values() for p in ps}
        assert not executor_pids & {c.pid for c in psutil.Process().children()}
    finally:
        sc.stop()
    wait_until(lambda: not any(executors_of_workers(cluster).values()), 30,
               message="executors of the stopped app to exit")


def test_losing_a_worker_loses_its_executors_and_the_app_goes_on(cluster):
    sc = app(cluster)
    try:
        data = [(i % 7, i) for i in range(2000)]
        assert sc.parallelize(data, 4).reduceByKey(add).collectAsMap() == ref.reduce_by_key(data, add)
        victims = executors_of_workers(cluster)["a"]
        assert victims
        cluster.workers["a"].send_signal(signal.SIGKILL)
        gone, alive = psutil.wait_procs([psutil.Process(p) for p in victims], timeout=30)
        assert not alive  # executors die with their worker
        assert sc.parallelize(data, 4).reduceByKey(add).collectAsMap() == ref.reduce_by_key(data, add)
        cluster.start_worker("c")
        wait_until(lambda: executors_of_workers(cluster).get("c"), 60,
                   message="the new worker to get an executor")
        assert sc.parallelize(range(100), 6).sum() == 4950
    finally:
        sc.stop()


def test_losing_the_master_does_not_stop_the_app_and_a_new_master_relearns(cluster):
    sc = app(cluster)
    try:
        assert sc.parallelize(range(10), 2).sum() == 45
        port = cluster.master_port
        cluster.stop_process(cluster.master, signal.SIGKILL)
        assert sc.parallelize(range(100), 4).map(lambda x: (x % 3, x)).reduceByKey(add).count() == 3
        cluster.start_master(port=port)
        wait_until(lambda: len([w for w in cluster.status().workers if w.state == "ALIVE"]) == 2, 60,
                   message="workers to re-register")
        wait_until(lambda: [a.state for a in cluster.status().applications] == ["RUNNING"], 60,
                   message="the app to re-register")
        status = cluster.status()
        assert len(status.executors) == 2
        assert sc.parallelize(range(10), 2).sum() == 45
    finally:
        sc.stop()


def test_cores_max_limits_the_executors_an_app_gets(cluster):
    sc = app(cluster, **{"spark.cores.max": "1"})
    try:
        assert sc.parallelize(range(10), 4).sum() == 45
        apps = cluster.status().applications
        assert [a.cores_granted for a in apps if a.state == "RUNNING"] == [1]
    finally:
        sc.stop()


def test_submit_ships_py_files_and_files_to_cluster_executors(cluster, tmp_path):
    import subprocess
    import sys
    import textwrap
    import zipfile

    src = tmp_path / "src"
    src.mkdir()
    (src / "mylib.py").write_text("def triple(x):\n    return 3 * x\n")
    with zipfile.ZipFile(src / "pkg.zip", "w") as z:
        z.writestr("zpkg/__init__.py", "OFFSET = 1000\n")
    (src / "lookup.txt").write_text("7\n")
    app = tmp_path / "app" / "job.py"
    app.parent.mkdir()
    app.write_text(textwrap.dedent("""
        import os
        from sparklite import SparkContext, SparkFiles
        sc = SparkContext(appName="shipped")

        def work(x):
            import mylib, zpkg
            with open(SparkFiles.get("lookup.txt")) as f:
                extra = int(f.read())
            return mylib.triple(x) + zpkg.OFFSET + extra + 0 * os.getpid()

        print("RESULT", sorted(sc.parallelize(range(6), 3).map(work).collect()))
        sc.stop()
    """))
    script = os.path.join(os.path.dirname(sys.executable), "sparklite-submit")
    env = {k: v for k, v in os.environ.items() if k != "SPARKLITE_SUBMIT_CONF"}
    out = subprocess.run(
        [script, "--master", cluster.url, "--conf", "spark.authenticate=true", "--conf",
         f"spark.authenticate.secret={SECRET}", "--executor-memory", "256m", "--total-executor-cores", "2",
         "--py-files", f"{src / 'mylib.py'},{src / 'pkg.zip'}", "--files", str(src / "lookup.txt"), str(app)],
        capture_output=True, text=True, timeout=120, env=env, cwd=str(tmp_path))
    assert out.returncode == 0, out.stderr[-3000:]
    assert f"RESULT {sorted(3 * x + 1007 for x in range(6))}" in out.stdout


def test_a_master_that_is_not_there_fails_the_application_clearly():
    import socket
    import time

    from sparklite.errors import SparkliteJobError

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    conf = (SparkConf(loadDefaults=False).setMaster(f"sparklite://127.0.0.1:{port}")
            .set("sparklite.driver.allowMultipleContexts", "true"))
    started = time.monotonic()
    sc = SparkContext(conf=conf)
    try:
        with pytest.raises(SparkliteJobError, match=f"could not register with the master at 127.0.0.1:{port}"):
            sc.parallelize(range(10)).sum()
        assert time.monotonic() - started < 30  # not the minute-long wait for executors
    finally:
        sc.stop()


def test_an_application_on_a_busy_cluster_waits_for_executors(cluster, tmp_path):
    """As in Spark: an app the master accepted waits for cores (warning now and then), rather
    than failing after the executor start timeout; it runs once the other app lets go."""
    import threading
    import time

    release = tmp_path / "release"
    started = tmp_path / "started"
    started.mkdir()

    def hold(x):
        open(started / str(x), "w").close()
        while not release.exists():
            time.sleep(0.05)
        return x

    busy = app(cluster, **{"spark.cores.max": "2"})
    results: dict[str, object] = {}
    holder = threading.Thread(target=lambda: results.update(a=busy.parallelize(range(2), 2).map(hold).collect()))
    holder.start()
    waiting = None
    try:
        wait_until(lambda: len(list(started.iterdir())) == 2, 60, message="the first app to hold both cores")
        waiting = app(cluster, **{"sparklite.executor.startTimeout": "1s"})

        def run_b():
            try:
                results["b"] = waiting.parallelize(range(100), 2).sum()
            except Exception as exc:  # noqa: BLE001 - the assertion below reports it
                results["b"] = exc

        second = threading.Thread(target=run_b)
        second.start()
        t0 = time.monotonic()
        wait_until(lambda: "b" in results or time.monotonic() - t0 > 3, 10)
        assert "b" not in results, f"the waiting app gave up: {results.get('b')!r}"
        release.touch()
        holder.join(30)
        assert results["a"] == [0, 1]
        busy.stop()
        second.join(20)
        assert results.get("b") == sum(range(100))
    finally:
        release.touch()
        holder.join(30)
        busy.stop()
        if waiting is not None:
            waiting.stop()
