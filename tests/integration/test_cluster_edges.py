"""A standalone cluster at its edges: secret mismatches are reported in seconds by the side that
refuses, dead drivers are forgotten, failed applications show FAILED, and the status page
cannot be held up by idle connections."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import urllib.request

import psutil
import pytest

from sparklite import SparkConf, SparkContext
from sparklite.errors import SparkliteJobError
from tests.helpers.cluster import LocalCluster, write_properties
from tests.helpers.waiting import wait_until

SECRET = "edge-secret"
TIMING = {"spark.worker.timeout": "3s", "sparklite.worker.heartbeatInterval": "500ms"}


def _cluster(tmp_path, props: dict[str, str], workers: int = 1) -> LocalCluster:
    cluster = LocalCluster(tmp_path, {**TIMING, **props})
    cluster.start_master()
    for i in range(workers):
        cluster.start_worker(f"w{i}", memory="512m")
    cluster.wait_workers(workers)
    return cluster


def _driver(cluster: LocalCluster, **conf: str) -> SparkContext:
    spark_conf = SparkConf(loadDefaults=False).setAll({
        "sparklite.driver.allowMultipleContexts": "true", "spark.executor.memory": "256m",
        "spark.scheduler.maxRegisteredResourcesWaitingTime": "5s", **conf}.items())
    return SparkContext(cluster.url, "edge-test", conf=spark_conf)


@pytest.mark.parametrize("driver_secret,cluster_secret,refusal", [
    (SECRET, None, "the master runs without a shared secret"),
    (None, SECRET, "the caller sent no credentials and the master requires the shared secret"),
])
def test_a_secret_mismatch_between_driver_and_cluster_fails_the_job_at_once(tmp_path, driver_secret,
                                                                            cluster_secret, refusal):
    cluster = _cluster(tmp_path, {"spark.authenticate.secret": cluster_secret} if cluster_secret else {})
    try:
        sc = _driver(cluster, **({"spark.authenticate.secret": driver_secret} if driver_secret else {}))
        try:
            with pytest.raises(SparkliteJobError, match="refused this application") as info:
                sc.parallelize(range(4), 2).count()
            assert refusal in str(info.value)
        finally:
            sc.stop()
        assert list(cluster.status().applications) == []
        assert all(proc.poll() is None for proc in cluster.workers.values())  # no worker crashed
        cluster.wait_workers(1)
        assert "refused a call" in cluster.log("master")  # the refusing side says so too
    finally:
        cluster.close()


@pytest.mark.parametrize("worker_secret,master_secret,refusal", [
    ("wrong", SECRET, "the caller's secret differs from the master's"),
    (None, SECRET, "the caller sent no credentials"),
    (SECRET, None, "the master runs without a shared secret"),
])
def test_a_worker_whose_secret_does_not_match_exits_saying_why(tmp_path, worker_secret, master_secret, refusal):
    cluster = _cluster(tmp_path, {"spark.authenticate.secret": master_secret} if master_secret else {},
                       workers=0)
    try:
        props = write_properties(tmp_path / "worker.properties",
                                 {"spark.authenticate.secret": worker_secret} if worker_secret else {})
        worker = os.path.join(os.path.dirname(sys.executable), "sparklite-worker")
        out = subprocess.run([worker, "--master", cluster.url, "--cores", "1", "--memory", "256m", "--host",
                              "127.0.0.1", "--work-dir", str(tmp_path / "w"), "--properties-file", str(props)],
                             capture_output=True, text=True, timeout=60)
        assert out.returncode != 0
        assert "refused this worker" in out.stderr and refusal in out.stderr
        assert "Traceback" not in out.stderr
        assert list(cluster.status().workers) == []
    finally:
        cluster.close()


_DRIVER_SCRIPT = textwrap.dedent("""
    import sys, time
    from sparklite import SparkConf, SparkContext
    conf = SparkConf(loadDefaults=False).setAll([("spark.authenticate.secret", sys.argv[2]),
                                                 ("spark.executor.memory", "256m")])
    sc = SparkContext(sys.argv[1], "doomed", conf=conf)
    print("ANSWER", sc.parallelize(range(10), 2).sum(), sc.applicationId, flush=True)
    if sys.argv[3] == "raise":
        raise RuntimeError("the script failed")
    time.sleep(600)
""")


def _app(cluster: LocalCluster, app_id: str):
    return next((a for a in cluster.status().applications if a.app_id == app_id), None)


@pytest.mark.fault
def test_the_master_marks_a_killed_driver_failed_and_its_executors_end(tmp_path):
    cluster = _cluster(tmp_path, {"spark.authenticate.secret": SECRET})
    try:
        driver = subprocess.Popen([sys.executable, "-c", _DRIVER_SCRIPT, cluster.url, SECRET, "sleep"],
                                  stdout=subprocess.PIPE, text=True)
        try:
            answer, total, app_id = driver.stdout.readline().split()
            assert (answer, total) == ("ANSWER", "45")
            assert _app(cluster, app_id).state == "RUNNING"
            driver.send_signal(signal.SIGKILL)
            driver.wait(10)
        finally:
            if driver.poll() is None:
                driver.kill()
                driver.wait(10)
            driver.stdout.close()
        app = wait_until(lambda: (a := _app(cluster, app_id)) is not None and a.state == "FAILED" and a,
                         60, message="the dead driver's application to be FAILED")
        assert "did not come back" in app.reason
        wait_until(lambda: not [e for e in cluster.status().executors if e.app_id == app_id], 60,
                   message="its executors gone")
        assert all(proc.poll() is None for proc in cluster.workers.values())
    finally:
        cluster.close()


def test_a_script_that_fails_shows_failed_and_one_that_ends_shows_finished(tmp_path):
    cluster = _cluster(tmp_path, {"spark.authenticate.secret": SECRET})
    submit = os.path.join(os.path.dirname(sys.executable), "sparklite-submit")
    script = tmp_path / "app.py"
    script.write_text(_DRIVER_SCRIPT.replace("time.sleep(600)", ""))
    try:
        states = {}
        for mode in ("raise", "end"):
            out = subprocess.run([submit, str(script), cluster.url, SECRET, mode], capture_output=True,
                                 text=True, timeout=120)
            assert out.returncode == (1 if mode == "raise" else 0), out.stderr
            app_id = out.stdout.split()[2]
            states[mode] = wait_until(lambda: (a := _app(cluster, app_id)) is not None and a.state not in
                                      ("RUNNING", "DISCONNECTED") and a, 30, message="the app to end")
        assert states["raise"].state == "FAILED" and "the script failed" in states["raise"].reason
        assert states["end"].state == "FINISHED" and states["end"].reason == ""
        page = json.loads(urllib.request.urlopen(f"{_web_url(cluster)}json", timeout=30).read())
        assert sorted(a["state"] for a in page["completedapps"]) == ["FAILED", "FINISHED"]  # Spark's fields
    finally:
        cluster.close()


def _web_url(cluster: LocalCluster) -> str:
    match = wait_until(lambda: re.search(r"status page (http://\S+/)", cluster.log("master")), 30,
                       message="the master's status page address")
    return match.group(1)


def test_idle_and_slow_connections_do_not_block_the_status_page(tmp_path):
    cluster = _cluster(tmp_path, {}, workers=0)
    url = _web_url(cluster)
    host, port = re.match(r"http://(.+):(\d+)/", url).groups()
    master = psutil.Process(cluster.master.pid)
    threads_before = master.num_threads()
    idle: list[socket.socket] = []
    try:
        for i in range(300):  # more than the page keeps open: the oldest idle ones make room
            conn = socket.create_connection((host, int(port)), timeout=10)
            if i % 10 == 0:
                conn.sendall(b"GET /json HTTP/1.1\r\nHost: x\r\n")  # a request that never ends
            idle.append(conn)
        for _ in range(3):
            page = json.loads(urllib.request.urlopen(f"{url}json", timeout=30).read())
            assert page["status"] == "ALIVE" and page["workers"] == []
            html = urllib.request.urlopen(url, timeout=30).read().decode()
            assert "sparklite master" in html
        assert master.num_threads() < threads_before + 10  # a fixed pool, not a thread per connection
    finally:
        for conn in idle:
            conn.close()
        cluster.close()
