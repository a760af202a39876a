"""Event logs of real applications: written as ``<app id>.inprogress`` and renamed at the end,
read back into the same jobs, stages and tasks the live UI showed; ``sparklite-history`` serves
finished and running applications; and Spark's own History Server opens them (when pyspark and
java are installed, as CI installs them)."""
from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from operator import add

import fsspec
import pytest

from sparklite.eventlog.reader import list_logs, replay
from sparklite.ui.store import AppStatusStore
from tests.helpers.waiting import wait_until
from tests.integration.test_web_ui import get, rest


def _run_jobs(sc) -> None:
    pairs = sc.parallelize(range(200), 4).map(lambda x: (x % 5, x)).reduceByKey(add, 2).cache()
    assert sorted(pairs.collect()) == [(k, sum(x for x in range(200) if x % 5 == k)) for k in range(5)]
    assert pairs.count() == 5  # reuses the shuffle: its map stage is skipped

    def boom(x):
        if x == 1:
            raise ValueError("boom")
        return x

    with pytest.raises(Exception, match="boom"):
        sc.parallelize(range(2), 2).map(boom).collect()


def _logged(sc, log_dir, **conf):
    return {"spark.eventLog.enabled": "true", "spark.eventLog.dir": str(log_dir), **conf}


def _snapshot(get_json) -> dict:
    """What must be the same live and replayed: jobs, stages, every task with its metrics."""
    jobs = [{k: j[k] for k in ("jobId", "name", "status", "stageIds", "numTasks", "numCompletedTasks",
                              "numFailedTasks", "numSkippedStages", "submissionTime", "completionTime")}
            for j in get_json("/jobs")]
    stages = sorted(get_json("/stages"), key=lambda s: (s["stageId"], s["attemptId"]))
    tasks = {f"{s['stageId']}.{s['attemptId']}": get_json(f"/stages/{s['stageId']}/{s['attemptId']}/taskList?length=1000")
             for s in stages}
    keep = ("stageId", "attemptId", "name", "status", "numTasks", "numCompleteTasks", "numFailedTasks",
            "shuffleWriteBytes", "shuffleReadBytes", "executorRunTime", "failureReason")
    return {"jobs": jobs, "stages": [{k: s.get(k) for k in keep} for s in stages], "tasks": tasks}


@pytest.mark.parametrize("compress", ["false", "true"])
def test_event_log_round_trip_gives_the_same_jobs_stages_and_tasks(context_factory, tmp_path, compress):
    sc = context_factory("local[2]", _logged(None, tmp_path, **{"spark.eventLog.compress": compress}))
    app_id = sc.applicationId
    suffix = ".zstd" if compress == "true" else ""
    _run_jobs(sc)
    assert (tmp_path / f"{app_id}{suffix}.inprogress").exists()
    live = _snapshot(lambda path: rest(sc, path))
    sc.stop()
    assert (tmp_path / f"{app_id}{suffix}").exists() and not (tmp_path / f"{app_id}{suffix}.inprogress").exists()
    fs = fsspec.filesystem("file")
    [log_file] = list_logs(fs, str(tmp_path))
    store = AppStatusStore()
    assert replay(fs, log_file, store) > 20
    assert store.application().app_id == app_id and store.application().end_time is not None
    from sparklite.ui import rest as rest_api
    from sparklite.ui.http_server import Request
    from urllib.parse import parse_qs, urlsplit

    def replayed(path: str):
        parts = urlsplit(f"/api/v1/applications/{app_id}{path}")
        response = rest_api.handle(Request("GET", parts.path, parse_qs(parts.query), {}, ("", 0)),
                                   lambda: {app_id: store})
        assert response.status == 200, path
        return json.loads(response.body)

    assert _snapshot(replayed) == live
    assert [j["status"] for j in live["jobs"]] == ["FAILED", "SUCCEEDED", "SUCCEEDED"]


def test_a_missing_event_log_dir_fails_at_start_naming_the_key(context_factory, tmp_path):
    from sparklite.errors import ConfigError

    with pytest.raises(ConfigError, match="spark.eventLog.dir"):
        context_factory("local[1]", _logged(None, tmp_path / "absent"))


def _start(cmd: list[str], tmp_path, name: str, env: dict | None = None) -> subprocess.Popen:
    log = open(tmp_path / f"{name}.log", "w")
    try:
        return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env, cwd=str(tmp_path))
    finally:
        log.close()


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    if proc.stdout is not None:
        proc.stdout.close()


def test_sparklite_history_serves_finished_and_running_applications(context_factory, tmp_path):
    finished = context_factory("local[2]", _logged(None, tmp_path))
    _run_jobs(finished)
    finished_id = finished.applicationId
    finished.stop()
    running = context_factory("local[1]", _logged(None, tmp_path))
    assert running.parallelize(range(10), 2).sum() == 45
    props = tmp_path / "history.properties"
    props.write_text("spark.history.fs.update.interval 0s\n")
    script = os.path.join(os.path.dirname(sys.executable), "sparklite-history")
    proc = _start([script, str(tmp_path), "--port", "0", "--properties-file", str(props)], tmp_path, "history")
    try:
        line = proc.stdout.readline()
        assert line.startswith("HISTORY_URL "), (line, (tmp_path / "history.log").read_text())
        url = line.split()[1]
        apps = {a["id"]: a for a in json.loads(get(f"{url}/api/v1/applications")[1])}
        assert apps[finished_id]["attempts"][0]["completed"] is True
        assert apps[running.applicationId]["attempts"][0]["completed"] is False
        jobs = json.loads(get(f"{url}/api/v1/applications/{finished_id}/jobs")[1])
        assert sorted(j["status"] for j in jobs) == ["FAILED", "SUCCEEDED", "SUCCEEDED"]
        index = get(url + "/")[1]
        assert finished_id in index and "1 failed job" in index
        assert running.applicationId in get(url + "/?showIncomplete=true")[1]
        for page in ("jobs/", "jobs/job/?id=0", "stages/", "stages/stage/?id=0&attempt=0", "executors/",
                     "environment/", "storage/"):
            status, body = get(f"{url}/history/{finished_id}/{page}")
            assert status == 200 and "<html" in body, page
        assert get(f"{url}/history/no-such-app/jobs/")[0] == 404
        # the running application's log is followed as it grows
        assert running.parallelize(range(4), 2).count() == 4
        wait_until(lambda: len(json.loads(get(f"{url}/api/v1/applications/{running.applicationId}/jobs")[1])) == 2,
                   30, message="the second job of the running application")
    finally:
        _stop(proc)


def _spark_home() -> str | None:
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        return None
    home = os.path.dirname(spec.origin)
    return home if os.path.exists(os.path.join(home, "bin", "spark-class")) else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(_spark_home() is None, reason="pyspark is not installed (pip install -e '.[history]')")
@pytest.mark.skipif(shutil.which("java") is None, reason="java is not installed (Spark's History Server needs it)")
def test_sparks_history_server_opens_sparklite_logs(context_factory, tmp_path):
    logs = tmp_path / "logs"
    logs.mkdir()
    expected = {}
    for compress in ("false", "true"):
        sc = context_factory("local[2]", _logged(None, logs, **{"spark.eventLog.compress": compress}))
        _run_jobs(sc)
        expected[sc.applicationId] = {
            "jobs": {j["jobId"]: j for j in rest(sc, "/jobs")},
            "stages": {(s["stageId"], s["attemptId"]): s for s in rest(sc, "/stages")},
        }
        sc.stop()
    port = _free_port()
    conf_dir = tmp_path / "spark-conf"
    conf_dir.mkdir()
    env = dict(os.environ, SPARK_HOME=_spark_home(), SPARK_LOCAL_IP="127.0.0.1", SPARK_CONF_DIR=str(conf_dir),
               SPARK_LOG_DIR=str(tmp_path), SPARK_HISTORY_OPTS=" ".join([
                   f"-Dspark.history.fs.logDirectory=file:{logs}", f"-Dspark.history.ui.port={port}",
                   "-Dspark.history.fs.update.interval=1s", "-Dspark.ui.proxyBase="]))
    env.pop("SPARKLITE_SUBMIT_CONF", None)
    cmd = [os.path.join(_spark_home(), "bin", "spark-class"), "org.apache.spark.deploy.history.HistoryServer"]
    proc = _start(cmd, tmp_path, "spark-history", env)
    base = f"http://127.0.0.1:{port}/api/v1/applications"

    def listed():
        if proc.poll() is not None:
            raise AssertionError(f"Spark's History Server exited:\n{(tmp_path / 'spark-history.log').read_text()[-4000:]}")
        status, body = get(base) if _answers(port) else (0, "")
        return status == 200 and {a["id"] for a in json.loads(body)} == set(expected)

    try:
        wait_until(listed, 180, interval=0.5, message="Spark's History Server listing both applications")
        for app_id, want in expected.items():
            [attempt] = [a for a in json.loads(get(base)[1]) if a["id"] == app_id][0]["attempts"]
            assert attempt["completed"] is True and attempt["sparkUser"]
            jobs = {j["jobId"]: j for j in json.loads(get(f"{base}/{app_id}/jobs")[1])}
            assert set(jobs) == set(want["jobs"])  # the same number of jobs...
            for job_id, job in jobs.items():
                mine = want["jobs"][job_id]
                assert (job["status"], job["name"], job["stageIds"]) == (mine["status"], mine["name"], mine["stageIds"])
                assert set(job) <= set(mine) | {"jobTags"}, set(job) - set(mine)  # ...with our field names
            stages = {(s["stageId"], s["attemptId"]): s for s in json.loads(get(f"{base}/{app_id}/stages")[1])}
            assert set(stages) == set(want["stages"])  # ...and of stages
            for key, stage in stages.items():
                mine = want["stages"][key]
                assert stage["name"] == mine["name"]
                if mine["status"] != "COMPLETE" or stage["status"] != "SKIPPED":  # Spark re-marks reused stages
                    assert stage["numCompleteTasks"] == mine["numCompleteTasks"], key
                missing = {k for k in stage if k not in mine and k not in ("peakExecutorMetrics", "tasks")}
                assert not missing, missing
            tasks = json.loads(get(f"{base}/{app_id}/stages/0/0/taskList")[1])
            assert len(tasks) == 4 and all(t["taskMetrics"]["executorRunTime"] >= 0 for t in tasks)
    finally:
        _stop(proc)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        time.sleep(0.2)
        return False
