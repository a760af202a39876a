"""Job groups, cancellation, the StatusTracker, local properties, and files shipped with
addFile/addPyFile."""
from __future__ import annotations

import os
import threading
import time
import uuid
import zipfile

import pytest

from sparklite import InheritableThread, SparkFiles, TaskContext
from sparklite.errors import JobCancelledError
from tests.helpers.waiting import wait_until

GROUP_KEYS = ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel")


@pytest.fixture
def clean_properties(sc):
    yield sc
    for key in GROUP_KEYS + ("user.key",):
        sc.setLocalProperty(key, None)


def _slow(x):
    for _ in range(1200):  # killable: short sleeps
        time.sleep(0.05)
    return x


def test_job_group_properties_reach_tasks(clean_properties):
    sc = clean_properties
    sc.setJobGroup("g1", "described", interruptOnCancel=True)
    sc.setLocalProperty("user.key", "v")
    got = sc.parallelize([0], 1).map(lambda _: tuple(
        TaskContext.get().getLocalProperty(k) for k in GROUP_KEYS + ("user.key",))).collect()
    assert got == [("g1", "described", "true", "v")]
    sc.setJobDescription("other")
    assert sc.getLocalProperty("spark.job.description") == "other"
    seen: list = []
    worker = threading.Thread(target=lambda: seen.append(sc.getLocalProperty("spark.jobGroup.id")))
    worker.start()
    worker.join()
    assert seen == [None]  # properties are per thread
    inherited: list = []
    child = InheritableThread(target=lambda: inherited.append(sc.getLocalProperty("spark.jobGroup.id")))
    child.start()
    child.join()
    assert inherited == ["g1"]


def _run_in_group(sc, group, outcome):
    def run():
        sc.setJobGroup(group, "to be cancelled")
        try:
            outcome.append(sc.parallelize(range(4), 2).map(_slow).collect())
        except BaseException as exc:  # the job's error is what the test checks
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_cancel_job_group_stops_running_tasks(context_factory):
    context = context_factory("local[2]")
    tracker = context.statusTracker()
    outcome: list = []
    thread = _run_in_group(context, "doomed", outcome)
    wait_until(lambda: tracker.getJobIdsForGroup("doomed")
               and tracker.getStageInfo(tracker.getJobInfo(tracker.getJobIdsForGroup("doomed")[0]).stageIds[0])
               and tracker.getStageInfo(tracker.getJobInfo(tracker.getJobIdsForGroup("doomed")[0])
                                        .stageIds[0]).numActiveTasks == 2, 20, message="tasks running")
    [job_id] = tracker.getJobIdsForGroup("doomed")
    assert tracker.getActiveJobsIds() == [job_id] and tracker.getJobInfo(job_id).status == "RUNNING"
    assert tracker.getActiveStageIds() == tracker.getJobInfo(job_id).stageIds
    started = time.monotonic()
    context.cancelJobGroup("other-group")  # not this one
    context.cancelJobGroup("doomed")
    thread.join(20)
    assert not thread.is_alive() and time.monotonic() - started < 20
    assert isinstance(outcome[0], JobCancelledError)
    assert "part of cancelled job group doomed" in str(outcome[0])
    wait_until(lambda: context._runtime.task_scheduler.running_task_count() == 0, 20,
               message="the tasks to be killed")
    wait_until(lambda: tracker.getJobInfo(job_id).status == "FAILED", 20, message="job status")
    assert tracker.getActiveJobsIds() == [] and tracker.getActiveStageIds() == []
    assert context.parallelize(range(4), 2).sum() == 6  # slots are free again


def test_cancel_all_jobs(context_factory):
    context = context_factory("local[2]")
    outcomes: list = []
    threads = [_run_in_group(context, f"group-{i}", outcomes) for i in range(2)]
    wait_until(lambda: len(context.statusTracker().getActiveJobsIds()) == 2
               and context._runtime.task_scheduler.running_task_count() >= 1, 20, message="two jobs")
    context.cancelAllJobs()
    for thread in threads:
        thread.join(20)
    assert len(outcomes) == 2 and all(isinstance(o, JobCancelledError) for o in outcomes)


def test_status_tracker_records_jobs_and_stages(clean_properties):
    sc = clean_properties
    tracker = sc.statusTracker()
    group = f"tracked-{uuid.uuid4()}"
    sc.setJobGroup(group, "a shuffle job")
    assert sorted(sc.parallelize([(i % 3, 1) for i in range(30)], 3).reduceByKey(lambda a, b: a + b)
                  .collect()) == [(0, 10), (1, 10), (2, 10)]
    [job_id] = tracker.getJobIdsForGroup(group)
    wait_until(lambda: tracker.getJobInfo(job_id).status == "SUCCEEDED", 20, message="job end")
    info = tracker.getJobInfo(job_id)
    assert len(info.stageIds) == 2
    map_stage, result_stage = (tracker.getStageInfo(s) for s in info.stageIds)
    assert (map_stage.numTasks, map_stage.numCompletedTasks, map_stage.numActiveTasks) == (3, 3, 0)
    assert (result_stage.numTasks, result_stage.numCompletedTasks, result_stage.numFailedTasks) == (3, 3, 0)
    assert job_id not in tracker.getJobIdsForGroup(None)
    assert tracker.getJobInfo(10 ** 9) is None and tracker.getStageInfo(10 ** 9) is None


def test_status_tracker_counts_failed_tasks(context_factory):
    context = context_factory("local[2]", {"spark.task.maxFailures": "2"})

    def boom(x):
        raise ValueError("no")

    with pytest.raises(ValueError):
        context.parallelize([1], 1).map(boom).collect()
    tracker = context.statusTracker()
    [job_id] = tracker.getJobIdsForGroup(None)
    wait_until(lambda: tracker.getJobInfo(job_id).status == "FAILED", 20, message="job failure")
    stage = tracker.getStageInfo(tracker.getJobInfo(job_id).stageIds[0])
    assert stage.numFailedTasks == 2 and stage.numCompletedTasks == 0


# ---------------------------------------------------------------------- files


def _unique(name):
    stem, ext = os.path.splitext(name)
    return f"{stem}_{uuid.uuid4().hex[:8]}{ext}"


def test_add_file_reaches_every_executor(sc, tmp_path):
    name = _unique("lookup.txt")
    path = tmp_path / name
    path.write_text("7\n")
    sc.addFile(str(path))
    sc.addFile(str(path))  # the same path again: ignored
    assert "file:" + str(path) in sc.listFiles  # URIs, as PySpark lists them
    def scaled(x):
        with open(SparkFiles.get(name)) as f:
            factor = int(f.read())
        return os.getpid(), x * factor, SparkFiles.getRootDirectory() in SparkFiles.get(name)

    got = sc.parallelize(range(6), 6).map(scaled).collect()
    assert [v for _, v, _ in got] == [x * 7 for x in range(6)] and all(ok for _, _, ok in got)
    assert len({pid for pid, _, _ in got}) == 2
    with open(SparkFiles.get(name)) as f:
        assert f.read() == "7\n"  # the driver has its copy too
    assert SparkFiles.get(name) != str(path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / name).write_text("8\n")
    with pytest.raises(ValueError, match="already added"):
        sc.addFile(str(other / name))
    with pytest.raises(FileNotFoundError):
        sc.addFile(str(tmp_path / "missing.txt"))
    with pytest.raises(NotImplementedError):
        SparkFiles()


def test_add_directory_recursively(sc, tmp_path):
    root = tmp_path / _unique("conf")
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("A")
    (root / "sub" / "b.txt").write_text("B")
    with pytest.raises(ValueError, match="recursive is not turned on"):
        sc.addFile(str(root))
    sc.addFile(str(root), recursive=True)
    rel = root.name
    def read_both(_):
        with open(SparkFiles.get(f"{rel}/a.txt")) as a, open(SparkFiles.get(f"{rel}/sub/b.txt")) as b:
            return a.read(), b.read()

    got = sc.parallelize([0], 1).map(read_both).collect()
    assert got == [("A", "B")]


def test_add_py_file_and_zip_are_importable_on_executors(sc, tmp_path):
    module = _unique("helper_mod.py")[:-3]
    (tmp_path / f"{module}.py").write_text("def double(x):\n    return 2 * x\n")
    sc.addPyFile(str(tmp_path / f"{module}.py"))
    package = _unique("zpkg")
    archive = tmp_path / f"{package}.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr(f"{package}/__init__.py", "NAME = 'zipped'\n")
        z.writestr(f"{package}/ops.py", "def neg(x):\n    return -x\n")
    sc.addPyFile(str(archive))

    def use(x):
        import importlib

        helper = importlib.import_module(module)
        ops = importlib.import_module(f"{package}.ops")
        pkg = importlib.import_module(package)
        return helper.double(x), ops.neg(x), pkg.NAME

    assert sc.parallelize([1, 2, 3], 3).map(use).collect() == [(2, -1, "zipped"), (4, -2, "zipped"),
                                                               (6, -3, "zipped")]
    import importlib

    assert importlib.import_module(module).double(5) == 10  # the driver imports it too


def test_context_py_files_argument(tmp_path):
    from sparklite import SparkConf, SparkContext

    module = _unique("ctor_mod.py")[:-3]
    (tmp_path / f"{module}.py").write_text("VALUE = 41\n")
    conf = SparkConf(loadDefaults=False).set("sparklite.driver.allowMultipleContexts", "true")
    context = SparkContext("local[1]", pyFiles=[str(tmp_path / f"{module}.py")], conf=conf)
    try:
        assert context.parallelize([1], 1).map(
            lambda x: __import__(module).VALUE + x).collect() == [42]
    finally:
        context.stop()
