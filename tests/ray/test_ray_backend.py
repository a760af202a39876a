"""master="ray" against a real local Ray (one instance for the module, all on loopback):
executors are Ray actors running sparklite's executor; jobs give the plain-Python answers,
Ray's GPU ids become task addresses, and a SIGKILLed actor process is an executor loss that
lineage and a replacement actor repair."""
from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter

import psutil
import pytest

from sparklite import SparkConf, SparkContext, TaskContext
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.ray
ray = pytest.importorskip("ray")

WORDS = [f"w{i % 17}" for i in range(600)]
TEXT = [" ".join(WORDS[i:i + 6]) for i in range(0, len(WORDS), 6)]


@pytest.fixture(scope="module")
def ray_instance():
    import shutil
    import tempfile

    assert not ray.is_initialized()
    # a new instance of our own (never one another process started), its files in our own dir
    temp = tempfile.mkdtemp(prefix="sl-ray-")
    ray.init(address="local", _node_ip_address="127.0.0.1", include_dashboard=False, num_cpus=4,
             num_gpus=2, resources={"fpga": 2}, log_to_driver=False, _temp_dir=temp)
    try:
        yield ray
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


def _context(**conf: str) -> SparkContext:
    spark_conf = SparkConf(loadDefaults=False).setAll({
        "sparklite.driver.allowMultipleContexts": "true", "sparklite.testing": "true",
        "spark.executor.instances": "2", "spark.executor.cores": "1",
        "spark.executor.memory": "256m", **conf}.items())
    return SparkContext("ray", "ray-test", conf=spark_conf)


def _stopped(sc: SparkContext) -> None:
    """Stop the context; its executor processes must be gone within bounded time."""
    pids = list(sc._runtime.backend.process_ids().values())
    sc.stop()
    procs = []
    for pid in pids:
        try:
            procs.append(psutil.Process(pid))
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(procs, timeout=20)
    assert not alive, f"executor processes outlived the context: {alive}"


def _jobs(sc: SparkContext) -> None:
    counts = dict(sc.parallelize(TEXT, 4).flatMap(str.split).map(lambda w: (w, 1))
                  .reduceByKey(lambda a, b: a + b).collect())
    assert counts == dict(Counter(WORDS))
    pairs = [(i % 13, i) for i in range(500)]
    grouped = sc.parallelize(pairs, 5).groupByKey(3).mapValues(sorted).sortByKey().collect()
    expected: dict = {}
    for k, v in pairs:
        expected.setdefault(k, []).append(v)
    assert grouped == sorted((k, sorted(v)) for k, v in expected.items())
    points = sc.parallelize([float(i) for i in range(200)], 4).cache()
    center = 0.0
    plain = 0.0
    for _ in range(4):  # an iterative job over a cached RDD
        c = center
        center = points.map(lambda x: (x + c) / 2).sum() / 200
        plain = sum((x + plain) / 2 for x in range(200)) / 200
        assert center == pytest.approx(plain)


def test_jobs_on_ray_executors(ray_instance):
    sc = _context()
    try:
        assert sc._runtime.wait_for_executors(2, 120)
        info = sc._runtime.backend.actor_info()
        assert len(info) == 2 and all(i["node_ip"] == "127.0.0.1" for i in info.values())
        assert sc.defaultParallelism == 2
        _jobs(sc)
        pids = set(sc.parallelize(range(20), 20).map(lambda _: os.getpid()).collect())
        assert pids <= {i["pid"] for i in info.values()}
    finally:
        _stopped(sc)
    wait_until(lambda: not ray.util.placement_group_table() or all(
        pg["state"] == "REMOVED" for pg in ray.util.placement_group_table().values()), timeout=30)


def test_ray_gpu_ids_become_task_addresses(ray_instance):
    sc = _context(**{"spark.executor.resource.gpu.amount": "1", "spark.task.resource.gpu.amount": "1",
                     "spark.executor.resource.fpga.amount": "1", "sparklite.ray.placementStrategy": "PACK"})
    try:
        assert sc._runtime.wait_for_executors(2, 120)
        seen = dict(sc.parallelize(range(30), 30).map(
            lambda _: (os.getpid(), tuple(TaskContext.get().resources()["gpu"].addresses))).collect())
        by_executor = {i["pid"]: tuple(i["resources"]["gpu"]) for i in sc._runtime.backend.actor_info().values()}
        assert set(seen.items()) <= set(by_executor.items())
        assert sorted(a for (a,) in by_executor.values()) == ["0", "1"]  # Ray's ids, one each
    finally:
        _stopped(sc)


def test_a_sigkilled_actor_process_is_an_executor_loss(ray_instance, tmp_path):
    sc = _context(**{"spark.executor.maxNumFailures": "3"})
    try:
        assert sc._runtime.wait_for_executors(2, 120)
        backend = sc._runtime.backend
        marks = str(tmp_path)
        cached = sc.parallelize(range(400), 8).map(lambda x: x * 3).cache()
        assert cached.count() == 400

        def slow(x):
            open(os.path.join(marks, f"{os.getpid()}-{x}"), "w").close()
            time.sleep(0.02)
            return (x % 7, x)

        result: dict = {}

        def run():
            result["sums"] = dict(cached.map(slow).reduceByKey(lambda a, b: a + b).collect())

        job = threading.Thread(target=run)
        job.start()
        wait_until(lambda: len(os.listdir(marks)) >= 20, timeout=120)
        victim = backend.actor_info()["0"]
        os.kill(victim["actor_pid"], signal.SIGKILL)
        job.join(240)
        assert not job.is_alive()
        expected: dict = {}
        for x in range(400):
            expected[x * 3 % 7] = expected.get(x * 3 % 7, 0) + x * 3
        assert result["sums"] == expected
        wait_until(lambda: backend.failures == 1 and len(sc._runtime.endpoint.executors) == 2, timeout=120)
        assert "0" not in backend.actor_info()
        assert cached.sum() == 3 * sum(range(400))  # lost cached blocks recomputed from lineage
        _jobs(sc)
    finally:
        _stopped(sc)


def _cli(name: str) -> str:
    import sys

    return os.path.join(os.path.dirname(sys.executable), name)


def test_submit_and_shell_with_master_ray(ray_instance, tmp_path):
    import subprocess

    address = ray.get_runtime_context().gcs_address
    app = tmp_path / "wordcount_app.py"
    app.write_text(
        "from sparklite import SparkContext\n"
        "sc = SparkContext()\n"
        "words = ['a', 'b', 'a', 'c', 'a', 'b'] * 50\n"
        "print('COUNTS', sorted(sc.parallelize(words, 3).map(lambda w: (w, 1))"
        ".reduceByKey(lambda a, b: a + b).collect()), sc.master)\n"
        "sc.stop()\n")
    env = {k: v for k, v in os.environ.items() if k != "SPARKLITE_SUBMIT_CONF"}
    common = ["--master", "ray", "--conf", f"sparklite.ray.address={address}",
              "--conf", "spark.executor.instances=1", "--conf", "spark.executor.memory=128m"]
    done = subprocess.run([_cli("sparklite-submit"), *common, str(app)], capture_output=True, text=True,
                          timeout=240, env=env, cwd=str(tmp_path))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "COUNTS [('a', 150), ('b', 100), ('c', 50)] ray" in done.stdout
    done = subprocess.run([_cli("sparklite-shell"), *common, "-c", "print('SUM', sc.parallelize(range(10), 2).sum())"],
                          capture_output=True, text=True, timeout=240, env=env, cwd=str(tmp_path),
                          stdin=subprocess.DEVNULL)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "SUM 45" in done.stdout


def test_stage_level_profiles_on_ray(ray_instance):
    from sparklite.errors import SparkliteJobError
    from sparklite.resource import ExecutorResourceRequests, ResourceProfileBuilder, TaskResourceRequests

    sc = _context(**{"spark.dynamicAllocation.executorIdleTimeout": "1s"})
    try:
        assert sc._runtime.wait_for_executors(2, 120)
        backend = sc._runtime.backend
        default_pids = set(backend.process_ids().values())
        profile = (ResourceProfileBuilder().require(ExecutorResourceRequests().cores(2).resource("fpga", 1))
                   .require(TaskResourceRequests().cpus(2).resource("fpga", 1)).build)
        out = sc.parallelize(range(12), 3).withResources(profile).map(
            lambda x: (x + 1, os.getpid(), TaskContext.get().cpus(),
                       TaskContext.get().resources()["fpga"].addresses)).collect()
        assert [v for v, _, _, _ in out] == list(range(1, 13))
        assert not {pid for _, pid, _, _ in out} & default_pids and {c for _, _, c, _ in out} == {2}
        huge = ResourceProfileBuilder().require(ExecutorResourceRequests().cores(64)).require(
            TaskResourceRequests().cpus(64)).build
        with pytest.raises(SparkliteJobError, match=r"ResourceProfile \d+ need .*'CPU': 64.0.*only"):
            sc.parallelize(range(2), 2).withResources(huge).collect()
        assert sc.parallelize(range(10), 2).sum() == 45  # the default executors still serve
        wait_until(lambda: set(backend.process_ids().values()) == default_pids, timeout=90)
        assert backend.failures == 0
    finally:
        _stopped(sc)


def test_tls_and_a_configured_secret_reach_the_executor_actors(ray_instance, tmp_path):
    from tests.helpers.tls import make_certs

    certs = make_certs(tmp_path, ["127.0.0.1"])
    sc = _context(**{"spark.ssl.enabled": "true", "sparklite.ssl.certFile": certs["cert"],
                     "sparklite.ssl.keyFile": certs["key"], "sparklite.ssl.caFile": certs["ca"],
                     "spark.authenticate": "true", "spark.authenticate.secret": "ray-lane-secret"})
    try:
        assert sc._runtime.security.tls is not None and sc._runtime.security.secret == "ray-lane-secret"
        assert sc._runtime.wait_for_executors(2, 120)  # both executors came in over TLS
        assert sc.parallelize(range(100), 4).map(lambda x: (x % 5, x)).reduceByKey(lambda a, b: a + b) \
            .collectAsMap() == {k: sum(range(k, 100, 5)) for k in range(5)}
    finally:
        _stopped(sc)


def test_modules_beside_the_drivers_script_import_on_ray_executors(ray_instance, tmp_path, monkeypatch):
    """As local executors do, actors' executors get the driver's import paths: a function from a
    module next to the user's script (pickled by reference) runs there."""
    import importlib
    import sys

    (tmp_path / "beside_the_script.py").write_text("def triple(x):\n    return 3 * x\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("beside_the_script")
    sc = _context()
    try:
        assert sc.parallelize(range(10), 2).map(module.triple).collect() == [3 * x for x in range(10)]
    finally:
        _stopped(sc)
        sys.modules.pop("beside_the_script", None)
