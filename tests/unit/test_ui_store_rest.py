"""The status store and Spark's REST API over it: counts as Spark's AppStatusListener keeps them,
and JSON with Spark's field names (the lists below are Spark 4's ``status.api.v1`` classes)."""
from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

from sparklite.ui import rest
from sparklite.ui.http_server import Request
from sparklite.ui.store import AppStatusStore, Limits
from tests.helpers import app_events

#: Spark's v1 JobData / StageData / TaskData / ExecutorSummary / ApplicationInfo fields; "?" optional
JOB_FIELDS = """jobId name description? submissionTime? completionTime? stageIds jobGroup? jobTags status numTasks
numActiveTasks numCompletedTasks numSkippedTasks numFailedTasks numKilledTasks numCompletedIndices numActiveStages
numCompletedStages numSkippedStages numFailedStages killedTasksSummary"""
STAGE_FIELDS = """status stageId attemptId numTasks numActiveTasks numCompleteTasks numFailedTasks numKilledTasks
numCompletedIndices submissionTime? firstTaskLaunchedTime? completionTime? failureReason? executorDeserializeTime
executorDeserializeCpuTime executorRunTime executorCpuTime resultSize jvmGcTime resultSerializationTime
memoryBytesSpilled diskBytesSpilled peakExecutionMemory inputBytes inputRecords outputBytes outputRecords
shuffleRemoteBlocksFetched shuffleLocalBlocksFetched shuffleFetchWaitTime shuffleRemoteBytesRead
shuffleRemoteBytesReadToDisk shuffleLocalBytesRead shuffleReadBytes shuffleReadRecords
shuffleCorruptMergedBlockChunks shuffleMergedFetchFallbackCount shuffleMergedRemoteBlocksFetched
shuffleMergedLocalBlocksFetched shuffleMergedRemoteChunksFetched shuffleMergedLocalChunksFetched
shuffleMergedRemoteBytesRead shuffleMergedLocalBytesRead shuffleRemoteReqsDuration shuffleMergedRemoteReqsDuration
shuffleWriteBytes shuffleWriteTime shuffleWriteRecords name description? details schedulingPool rddIds
accumulatorUpdates tasks? executorSummary? speculationSummary? killedTasksSummary resourceProfileId
peakExecutorMetrics? taskMetricsDistributions? executorMetricsDistributions? isShufflePushEnabled
shuffleMergersCount"""
TASK_FIELDS = """taskId index attempt partitionId launchTime resultFetchStart? duration? executorId host status
taskLocality speculative accumulatorUpdates errorMessage? taskMetrics? executorLogs schedulerDelay
gettingResultTime"""
TASK_METRICS_FIELDS = """executorDeserializeTime executorDeserializeCpuTime executorRunTime executorCpuTime
resultSize jvmGcTime resultSerializationTime memoryBytesSpilled diskBytesSpilled peakExecutionMemory inputMetrics
outputMetrics shuffleReadMetrics shuffleWriteMetrics"""
EXECUTOR_FIELDS = """id hostPort isActive rddBlocks memoryUsed diskUsed totalCores maxTasks activeTasks failedTasks
completedTasks totalTasks totalDuration totalGCTime totalInputBytes totalShuffleRead totalShuffleWrite
isBlacklisted maxMemory addTime removeTime? removeReason? executorLogs memoryMetrics? blacklistedInStages
peakMemoryMetrics? attributes resources resourceProfileId isExcluded excludedInStages"""
ATTEMPT_FIELDS = """attemptId? startTime endTime lastUpdated duration sparkUser completed appSparkVersion
startTimeEpoch endTimeEpoch lastUpdatedEpoch"""
RDD_FIELDS = "id name numPartitions numCachedPartitions storageLevel memoryUsed diskUsed dataDistribution? partitions?"
SUMMARY_FIELDS = """quantiles duration executorDeserializeTime executorDeserializeCpuTime executorRunTime
executorCpuTime resultSize jvmGcTime resultSerializationTime gettingResultTime schedulerDelay peakExecutionMemory
memoryBytesSpilled diskBytesSpilled inputMetrics outputMetrics shuffleReadMetrics shuffleWriteMetrics"""
ENV_FIELDS = """runtime sparkProperties hadoopProperties systemProperties metricsProperties classpathEntries
resourceProfiles"""


def assert_spark_fields(data: dict, spec: str) -> None:
    names = spec.split()
    allowed = {n.rstrip("?") for n in names}
    required = {n for n in names if not n.endswith("?")}
    assert set(data) <= allowed, f"not Spark's fields: {set(data) - allowed}"
    assert required <= set(data), f"missing Spark fields: {required - set(data)}"


def _store(events: list | None = None) -> AppStatusStore:
    store = AppStatusStore()
    for event in app_events.events() if events is None else events:
        getattr(store, event.handler)(event)
    return store


def _get(store: AppStatusStore, url: str):
    parts = urlsplit(url)
    response = rest.handle(Request("GET", parts.path, parse_qs(parts.query), {}, ("127.0.0.1", 0)),
                           lambda: {"local-1": store})
    return response.status, (json.loads(response.body) if response.status == 200 else response.body)


def test_jobs_stages_and_tasks_are_counted_as_sparks_listener_counts_them():
    store = _store()
    job0, job1 = store.job(0), store.job(1)
    assert (job0.status, job0.num_tasks, job0.num_completed_tasks, job0.num_failed_tasks) == ("SUCCEEDED", 4, 4, 1)
    assert len(job0.completed_indices) == 4 and job0.job_group == "g1"
    assert job0.name == "collect at job.py:4"
    # job 1 reuses the map stage (skipped) and fails in its own stage
    assert (job1.status, job1.num_tasks, job1.num_failed_tasks) == ("FAILED", 2, 2)
    assert job1.skipped_stages == {0} and job1.failed_stages == {2}
    assert store.stage(0, 0).status == "COMPLETE"  # its data is not lost to the job that skipped it
    failing = store.stage(2, 0)
    assert failing.status == "FAILED" and "stage failure" in failing.info.failure_reason
    result = store.stage(1, 0)
    assert result.metrics["shuffle_local_bytes_read"] == 610 and result.num_failed_tasks == 1
    assert sorted(result.tasks) == [2, 3, 4] and "ValueError: boom" in result.tasks[3].error
    executors = {e.executor_id: e for e in store.executors()}
    assert executors["0"].completed_tasks == 3 and executors["0"].failed_tasks == 2
    assert not executors["1"].is_active and executors["1"].remove_reason.endswith("-9")
    assert store.active_job_ids() == [] and store.active_stage_ids() == []
    assert store.job_ids_for_group("g1") == [0]


def test_rest_field_names_are_sparks():
    store = _store()
    status, apps = _get(store, "/api/v1/applications")
    assert status == 200 and apps[0]["id"] == "local-1" and set(apps[0]) == {"id", "name", "attempts"}
    assert_spark_fields(apps[0]["attempts"][0], ATTEMPT_FIELDS)
    assert apps[0]["attempts"][0]["completed"] is True and apps[0]["attempts"][0]["duration"] == 400
    _, jobs = _get(store, "/api/v1/applications/local-1/jobs")
    for job in jobs:
        assert_spark_fields(job, JOB_FIELDS)
    assert [j["jobId"] for j in jobs] == [1, 0]
    _, stages = _get(store, "/api/v1/applications/local-1/stages")
    for stage in stages:
        assert_spark_fields(stage, STAGE_FIELDS)
    _, attempt = _get(store, "/api/v1/applications/local-1/stages/1/0")
    assert_spark_fields(attempt, STAGE_FIELDS)
    for t in attempt["tasks"].values():
        assert_spark_fields(t, TASK_FIELDS)
        assert_spark_fields(t["taskMetrics"], TASK_METRICS_FIELDS)
    assert attempt["tasks"]["3"]["status"] == "FAILED" and "boom" in attempt["tasks"]["3"]["errorMessage"]
    _, executors = _get(store, "/api/v1/applications/local-1/allexecutors")
    for ex in executors:
        assert_spark_fields(ex, EXECUTOR_FIELDS)
    _, env = _get(store, "/api/v1/applications/local-1/environment")
    assert_spark_fields(env, ENV_FIELDS)
    assert ["spark.authenticate.secret", "*********(redacted)"] in env["sparkProperties"]
    _, summary = _get(store, "/api/v1/applications/local-1/stages/1/0/taskSummary")
    assert_spark_fields(summary, SUMMARY_FIELDS)
    assert _get(store, "/api/v1/version")[1] == {"spark": rest.SPARK_API_VERSION}


def test_status_filters_and_task_list_paging():
    store = _store()
    _, failed = _get(store, "/api/v1/applications/local-1/jobs?status=failed")
    assert [j["jobId"] for j in failed] == [1]
    _, ok = _get(store, "/api/v1/applications/local-1/jobs?status=succeeded&status=running")
    assert [j["jobId"] for j in ok] == [0]
    _, complete = _get(store, "/api/v1/applications/local-1/stages?status=complete")
    assert sorted(s["stageId"] for s in complete) == [0, 1]
    _, tasks = _get(store, "/api/v1/applications/local-1/stages/1/0/taskList?offset=1&length=1")
    assert [t["taskId"] for t in tasks] == [3]
    _, slowest = _get(store, "/api/v1/applications/local-1/stages/1/0/taskList?sortBy=-runtime")
    assert slowest[0]["taskId"] == 4  # 39 ms, the longest
    _, only_failed = _get(store, "/api/v1/applications/local-1/stages/1/0/taskList?status=FAILED")
    assert [t["taskId"] for t in only_failed] == [3]
    _, active = _get(store, "/api/v1/applications/local-1/executors")
    assert sorted(e["id"] for e in active) == ["0", "driver"]
    _, running = _get(store, "/api/v1/applications?status=running")
    assert running == []


def test_task_summary_quantiles_are_over_successful_tasks():
    store = _store()
    _, summary = _get(store, "/api/v1/applications/local-1/stages/1/0/taskSummary?quantiles=0,0.5,1")
    assert summary["quantiles"] == [0.0, 0.5, 1.0]
    assert summary["duration"] == [20.0, 39.0, 39.0]  # tasks 2 (20 ms) and 4 (39 ms); the failure is out
    assert summary["shuffleReadMetrics"]["readBytes"] == [200.0, 410.0, 410.0]
    assert rest.quantiles_of([5, 1, 3, 2, 4], (0.0, 0.25, 0.5, 0.75, 1.0)) == [1.0, 2.0, 3.0, 4.0, 5.0]


def test_storage_is_tracked_from_block_updates_until_unpersisted():
    everything = app_events.events()
    before_unpersist = [e for e in everything if type(e).__name__ not in ("UnpersistRDD", "ApplicationEnd")]
    store = _store(before_unpersist)
    _, rdds = _get(store, "/api/v1/applications/local-1/storage/rdd")
    # executor 1 was lost with rdd_2_1: what is left is executor 0's partition
    assert [(r["id"], r["numCachedPartitions"], r["memoryUsed"]) for r in rdds] == [(2, 1, 64)]
    for r in rdds:
        assert_spark_fields(r, RDD_FIELDS)
    _, detail = _get(store, "/api/v1/applications/local-1/storage/rdd/2")
    assert_spark_fields(detail, RDD_FIELDS)
    assert [p["blockName"] for p in detail["partitions"]] == ["rdd_2_0"]
    cached = [e for e in before_unpersist if type(e).__name__ != "BlockManagerRemoved"]
    _, both = _get(_store(cached), "/api/v1/applications/local-1/storage/rdd/2")
    assert [p["blockName"] for p in both["partitions"]] == ["rdd_2_0", "rdd_2_1"]
    assert both["memoryUsed"] == 144 and len(both["dataDistribution"]) == 2
    assert store.executors()[1].memory_used == 64  # executor 0 holds rdd_2_0
    assert _get(_store(), "/api/v1/applications/local-1/storage/rdd")[1] == []


def test_unknown_things_are_404():
    store = _store()
    for url in ("/api/v1/applications/nope/jobs", "/api/v1/applications/local-1/jobs/99",
                "/api/v1/applications/local-1/stages/9/0", "/api/v1/applications/local-1/storage/rdd/7",
                "/api/v1/applications/local-1/bogus", "/api/v1/bogus"):
        assert _get(store, url)[0] == 404, url


def test_retention_drops_the_oldest_finished_jobs_and_stages():
    store = AppStatusStore(Limits(jobs=1, stages=2, tasks=2))
    for event in app_events.events():
        getattr(store, event.handler)(event)
    assert [j.job_id for j in store.jobs()] == [1]
    assert len(store.stages()) <= 3  # at most the limit plus the one just submitted
    assert all(len(s.tasks) <= 2 for s in (store.stage(1, 0), store.stage(2, 0)) if s is not None)
