"""The live web UI of a real local[2] application: Spark's REST API with task metrics that add
up, call sites from the test's own lines, pages that answer (and 404 for the rest), Prometheus,
thread dumps, executor logs, INFO logs as Spark's, and pages that move while a job runs."""
from __future__ import annotations

import inspect
import json
import logging
import re
import threading
import urllib.error
import urllib.request
from operator import add

import pytest

from tests.helpers.waiting import wait_until

HERE = "test_web_ui.py"


def _line() -> int:
    return inspect.currentframe().f_back.f_lineno  # type: ignore[union-attr]


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=20) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def rest(sc, path: str = ""):
    status, body = get(f"{sc.uiWebUrl}/api/v1/applications/{sc.applicationId}{path}")
    assert status == 200, (path, body[:300])
    return json.loads(body)


@pytest.fixture
def app(context_factory, tmp_path):
    """A context that ran a cached word count, a failing job and a save."""
    sc = context_factory("local[2]", {"spark.my.password": "hunter2", "spark.app.name": "ui-test"})
    assert sc._runtime.wait_for_executors(2, 60)
    text = tmp_path / "words.txt"
    lines = ["a b c", "b c", "c"] * 200
    text.write_text("\n".join(lines) + "\n")
    words = sc.textFile(str(text), 4).flatMap(str.split).map(lambda w: (w, 1))
    counts = words.reduceByKey(add, 3).cache(); count_line = _line()  # noqa: E702
    assert sorted(counts.collect()) == [("a", 200), ("b", 400), ("c", 600)]; collect_line = _line()  # noqa: E702

    def boom(x):
        if x == 3:
            raise ValueError("boom from a task")
        return x

    with pytest.raises(Exception, match="boom from a task"):
        sc.parallelize(range(4), 2).map(boom).collect()
    # the cached RDD is held: the ContextCleaner unpersists cached RDDs nobody references
    return sc, {"count_line": count_line, "collect_line": collect_line, "lines": len(lines), "cached": counts}


def test_rest_jobs_stages_tasks_executors_storage_environment(app):
    sc, facts = app
    assert sc.uiWebUrl.startswith("http://127.0.0.1:")
    [application] = json.loads(get(f"{sc.uiWebUrl}/api/v1/applications")[1])
    assert application["id"] == sc.applicationId and application["name"] == "ui-test"
    assert application["attempts"][0]["completed"] is False
    jobs = {j["jobId"]: j for j in rest(sc, "/jobs")}
    assert [jobs[0]["status"], jobs[1]["status"]] == ["SUCCEEDED", "FAILED"]
    assert jobs[0]["name"] == f"collect at {HERE}:{facts['collect_line']}"
    assert jobs[0]["numTasks"] == jobs[0]["numCompletedTasks"] == 7  # 4 map + 3 reduce
    assert jobs[1]["numFailedTasks"] == 4  # spark.task.maxFailures attempts of the bad task
    assert [j["jobId"] for j in rest(sc, "/jobs?status=failed")] == [1]
    stages = {(s["stageId"], s["attemptId"]): s for s in rest(sc, "/stages")}
    map_stage, reduce_stage = stages[(0, 0)], stages[(1, 0)]
    assert map_stage["name"] == f"reduceByKey at {HERE}:{facts['count_line']}"
    assert map_stage["inputRecords"] == facts["lines"] and map_stage["inputBytes"] > 0
    assert map_stage["shuffleWriteRecords"] == 4 * 3 and map_stage["shuffleWriteBytes"] > 0
    assert reduce_stage["shuffleReadRecords"] == map_stage["shuffleWriteRecords"]
    assert reduce_stage["shuffleReadBytes"] == map_stage["shuffleWriteBytes"]
    tasks = rest(sc, "/stages/0/0/taskList?length=100")
    assert len(tasks) == 4 and {t["status"] for t in tasks} == {"SUCCESS"}
    assert sum(t["taskMetrics"]["inputMetrics"]["recordsRead"] for t in tasks) == facts["lines"]
    assert sum(t["taskMetrics"]["executorRunTime"] for t in tasks) == map_stage["executorRunTime"]
    assert all(t["taskMetrics"]["executorCpuTime"] > 0 and t["duration"] >= 0 for t in tasks)
    failed = [t for s in stages.values() if s["status"] == "FAILED"
              for t in rest(sc, f"/stages/{s['stageId']}/{s['attemptId']}/taskList?status=FAILED")]
    assert len(failed) == 4 and all("ValueError: boom from a task" in t["errorMessage"] for t in failed)
    summary = rest(sc, "/stages/1/0/taskSummary")
    assert len(summary["duration"]) == 5 and summary["shuffleReadMetrics"]["readRecords"][-1] >= 1
    executors = {e["id"]: e for e in rest(sc, "/executors")}
    assert set(executors) >= {"driver", "0", "1"}
    workers = [e for k, e in executors.items() if k != "driver"]
    assert sum(e["completedTasks"] for e in workers) == 7 + 1  # word count + the failing job's good task
    assert all(set(e["executorLogs"]) == {"stdout", "stderr"} for e in workers)
    [cached] = rest(sc, "/storage/rdd")
    assert cached["numCachedPartitions"] == 3 and cached["memoryUsed"] > 0
    assert len(rest(sc, f"/storage/rdd/{cached['id']}")["partitions"]) == 3
    env = rest(sc, "/environment")
    properties = dict(map(tuple, env["sparkProperties"]))
    assert properties["spark.my.password"] == "*********(redacted)" and properties["spark.app.name"] == "ui-test"
    assert any(path for path, _ in env["classpathEntries"])


def test_every_page_answers_and_unknown_paths_are_404(app):
    sc, _ = app
    for path in ("/jobs/", "/jobs/job/?id=0", "/jobs/job/?id=1", "/stages/", "/stages/stage/?id=0&attempt=0",
                 "/storage/", "/environment/", "/executors/", "/executors/threadDump/?executorId=driver"):
        status, body = get(sc.uiWebUrl + path)
        assert status == 200 and "<html" in body, path
    assert "<svg class='dag'" in get(sc.uiWebUrl + "/jobs/job/?id=0")[1]
    assert "hunter2" not in get(sc.uiWebUrl + "/environment/")[1]
    for path in ("/nope", "/api/v1/nope", "/jobs/job/?id=99", "/api/v1/applications/other/jobs"):
        status = get(sc.uiWebUrl + path)[0]
        assert status == 404 or (status == 200 and path.startswith("/jobs/job")), path
    assert get(sc.uiWebUrl + "/nope")[0] == 404


def test_prometheus_thread_dumps_and_executor_logs(app):
    sc, _ = app
    status, text = get(sc.uiWebUrl + "/metrics/prometheus")
    assert status == 200
    sample = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? -?[0-9.e+]+$')
    assert all(sample.match(line) for line in text.strip().splitlines()), text
    app_key = re.sub(r"[^a-zA-Z0-9_]", "_", sc.applicationId)
    assert f'metrics_{app_key}_driver_DAGScheduler_job_allJobs_Value{{type="gauges"}} 2' in text
    executors = get(sc.uiWebUrl + "/metrics/executors/prometheus")[1]
    assert all(sample.match(line) for line in executors.strip().splitlines())
    assert 'executor_id="driver"' in executors and "metrics_executor_completedTasks_total" in executors
    assert "MainThread" in get(sc.uiWebUrl + "/executors/threadDump/?executorId=driver")[1]
    dump = get(sc.uiWebUrl + "/executors/threadDump/?executorId=0")[1]
    assert "heartbeat" in dump and "Process " in dump  # the executor process's own threads

    def shout(x):
        import sys

        print(f"log-marker-{x}", file=sys.stderr, flush=True)
        print(f"out-marker-{x}", flush=True)
        return x

    assert sc.parallelize(range(4), 2).map(shout).count() == 4
    logs = {e["id"]: e["executorLogs"] for e in rest(sc, "/executors") if e["id"] != "driver"}
    wait_until(lambda: sum(get(u["stderr"])[1].count("log-marker-") for u in logs.values()) == 4, 20,
               message="every task's stderr line in an executor's log page")
    assert sum(get(u["stdout"])[1].count("out-marker-") for u in logs.values()) == 4


def test_executor_output_reaches_the_drivers_console_and_log_files(tmp_path):
    """Executors (forked or spawned) tee their own stdout/stderr: the user's terminal sees them,
    stderr prefixed with the executor's id, and the app's log files keep them."""
    script = tmp_path / "app.py"
    script.write_text(
        "import os, sys\n"
        "from sparklite import SparkContext\n"
        "sc = SparkContext('local[2]', 'tee')\n"
        "def shout(x):\n"
        "    print(f'out-marker-{x}', flush=True)\n"
        "    print(f'log-marker-{x}', file=sys.stderr, flush=True)\n"
        "    return x\n"
        "assert sc.parallelize(range(4), 2).map(shout).count() == 4\n"
        "logs = os.path.join(sc._app_dir, 'logs')\n"
        "sc._runtime.backend.stop()\n"
        "kept = ''.join(open(os.path.join(logs, e, 'stderr')).read() for e in os.listdir(logs))\n"
        "print('KEPT', sorted(m for m in kept.split() if m.startswith('log-marker')))\n"
        "sc.stop()\n")
    import subprocess
    import sys

    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-3000:]
    for x in range(4):
        assert re.search(rf"^\[executor \d+\] log-marker-{x}$", out.stderr, re.M), out.stderr
        assert f"out-marker-{x}" in out.stdout
    assert "KEPT ['log-marker-0', 'log-marker-1', 'log-marker-2', 'log-marker-3']" in out.stdout


def test_call_sites_name_jobs_stages_status_and_debug_string(context_factory):
    sc = context_factory("local[2]")
    pairs = sc.parallelize(range(20), 2).map(lambda x: (x % 2, x)); map_line = _line()  # noqa: E702
    summed = pairs.reduceByKey(add).cache(); reduce_line = _line()  # noqa: E702
    assert summed.count() == 2; count_line = _line()  # noqa: E702
    tracker = sc.statusTracker()
    [job_id] = tracker.getJobIdsForGroup(None)[-1:]
    stage_names = [tracker.getStageInfo(s).name for s in tracker.getJobInfo(job_id).stageIds]
    assert stage_names == [f"reduceByKey at {HERE}:{reduce_line}", f"count at {HERE}:{count_line}"]
    debug = summed.toDebugString().decode().splitlines()
    assert re.fullmatch(rf"\(2\) ShuffledRDD\[\d+\] at reduceByKey at {HERE}:{reduce_line} "
                        r"\[Memory Serialized 1x Replicated\]", debug[0])
    assert re.fullmatch(r" \|       CachedPartitions: 2; MemorySize: [\d.]+ \w?B; DiskSize: 0\.0 B", debug[1])
    assert re.fullmatch(rf" \+-\(2\) PipelinedRDD\[\d+\] at map at {HERE}:{map_line} \[\]", debug[2])
    assert debug[3].startswith("    |  RangeRDD[") and f"parallelize at {HERE}:{map_line}" in debug[3]


def test_info_logs_say_what_spark_says(context_factory):
    sc = context_factory("local[2]")
    records: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record.getMessage())

    handler = Keep()
    logger = logging.getLogger("sparklite")
    old = logger.level
    logger.addHandler(handler)
    sc.setLogLevel("INFO")
    try:
        assert sc.parallelize(range(8), 4).count() == 8; line = _line()  # noqa: E702
    finally:
        logger.setLevel(old)
        logger.removeHandler(handler)
    text = "\n".join(records)
    assert re.search(rf"^Starting job \d+ \(count at {HERE}:{line}\) with 4 output partitions$", text, re.M)
    finished = re.findall(r"^Finished task (\d)\.0 in stage \d+\.0 \(TID \d+\) in \d+ ms on 127\.0\.0\.1 "
                          r"\(executor \d+\) \((\d)/4\)$", text, re.M)
    assert sorted(int(done) for _, done in finished) == [1, 2, 3, 4]
    assert re.search(rf"^Job \d+ finished: count at {HERE}:{line}, took \d+\.\d{{3}} s$", text, re.M)


def test_pages_move_while_a_job_runs(context_factory, tmp_path):
    sc = context_factory("local[2]")
    gate = tmp_path / "go"

    def wait_for_gate(x):
        import os
        import time

        deadline = time.monotonic() + 60
        while not os.path.exists(str(gate)) and time.monotonic() < deadline:
            time.sleep(0.02)
        return x

    result: list = []
    runner = threading.Thread(target=lambda: result.append(sc.parallelize(range(4), 4).map(wait_for_gate).sum()))
    runner.start()
    try:
        running = wait_until(lambda: [j for j in rest(sc, "/jobs?status=running") if j["numActiveTasks"] == 2],
                             30, message="a running job with its two tasks active")
        assert running[0]["numCompletedTasks"] == 0
        page = get(sc.uiWebUrl + "/jobs/")[1]
        assert "data-live='true'" in page and "Active Jobs (1)" in page
    finally:
        gate.write_text("go")
        runner.join(60)
    assert result == [6]
    done = rest(sc, f"/jobs/{running[0]['jobId']}")
    assert done["status"] == "SUCCEEDED" and done["numCompletedTasks"] == 4 and done["numActiveTasks"] == 0


def test_the_ui_can_be_switched_off(context_factory):
    sc = context_factory("local[1]", {"spark.ui.enabled": "false"})
    assert sc.uiWebUrl is None
    assert sc.parallelize(range(3)).count() == 3
    assert sc.statusTracker().getJobInfo(0).status == "SUCCEEDED"  # the status store runs anyway
