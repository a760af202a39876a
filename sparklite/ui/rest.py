"""Spark's REST API (``/api/v1``) over an AppStatusStore, with Spark's JSON field names.

Endpoints, as Spark's ``ApiRootResource``: ``applications``, ``…/{app}/jobs[/{id}]``,
``…/stages[/{id}[/{attempt}[/taskList|taskSummary]]]``, ``…/executors``,
``…/allexecutors``, ``…/storage/rdd[/{id}]``, ``…/environment``, ``version``, with
the ``?status=`` filters and ``taskList``'s ``offset``/``length``/``sortBy``. Optional
fields Spark leaves out when unset are left out here too; dates are Spark's
``2026-11-25T14:03:07.123GMT``.

The same functions serve the live UI (one store) and ``sparklite-history`` (a store
per event log): :func:`handle` takes a lookup from application id to store.
"""
from __future__ import annotations

import json
from typing import Any, Callable

from sparklite.scheduler import listener_events as le
from sparklite.ui import SPARK_API_VERSION
from sparklite.ui.format import rest_date
from sparklite.ui.http_server import Request, Response, not_found
from sparklite.ui.store import AppStatusStore, ExecutorRecord, JobRecord, RDDRecord, StageRecord, TaskRecord

DEFAULT_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def json_response(data: Any, status: int = 200) -> Response:
    return Response(status, json.dumps(data, indent=2), "application/json")


# ---------------------------------------------------------------- applications


def application_json(store: AppStatusStore, spark_version: str) -> dict[str, Any]:
    app = store.application()
    end = app.end_time if app.end_time is not None else -1
    last = app.end_time or app.start_time
    attempt = _drop_none({
        "attemptId": app.attempt_id,
        "startTime": rest_date(app.start_time), "endTime": rest_date(end),
        "lastUpdated": rest_date(last),
        "duration": (app.end_time - app.start_time) if app.end_time else 0,
        "sparkUser": app.user, "completed": app.end_time is not None,
        "appSparkVersion": spark_version,
        "startTimeEpoch": app.start_time, "endTimeEpoch": end, "lastUpdatedEpoch": last,
    })
    return {"id": app.app_id, "name": app.name, "attempts": [attempt]}


# ---------------------------------------------------------------- jobs


def job_json(job: JobRecord) -> dict[str, Any]:
    return _drop_none({
        "jobId": job.job_id, "name": job.name, "description": job.description,
        "submissionTime": rest_date(job.submission_time), "completionTime": rest_date(job.completion_time),
        "stageIds": list(job.stage_ids), "jobGroup": job.job_group, "jobTags": [],
        "status": job.status, "numTasks": job.num_tasks, "numActiveTasks": job.num_active_tasks,
        "numCompletedTasks": job.num_completed_tasks, "numSkippedTasks": job.num_skipped_tasks,
        "numFailedTasks": job.num_failed_tasks, "numKilledTasks": job.num_killed_tasks,
        "numCompletedIndices": len(job.completed_indices), "numActiveStages": len(job.active_stages),
        "numCompletedStages": len(job.completed_stages), "numSkippedStages": len(job.skipped_stages),
        "numFailedStages": len(job.failed_stages), "killedTasksSummary": dict(job.killed_summary),
    })


# ---------------------------------------------------------------- stages and tasks


def _metrics_json(m: le.TaskMetrics) -> dict[str, Any]:
    return {
        "executorDeserializeTime": m.executor_deserialize_time,
        "executorDeserializeCpuTime": m.executor_deserialize_cpu_time,
        "executorRunTime": m.executor_run_time, "executorCpuTime": m.executor_cpu_time,
        "resultSize": m.result_size, "jvmGcTime": m.jvm_gc_time,
        "resultSerializationTime": m.result_serialization_time,
        "memoryBytesSpilled": m.memory_bytes_spilled, "diskBytesSpilled": m.disk_bytes_spilled,
        "peakExecutionMemory": m.peak_execution_memory,
        "inputMetrics": {"bytesRead": m.input_bytes, "recordsRead": m.input_records},
        "outputMetrics": {"bytesWritten": m.output_bytes, "recordsWritten": m.output_records},
        "shuffleReadMetrics": {
            "remoteBlocksFetched": m.shuffle_remote_blocks_fetched,
            "localBlocksFetched": m.shuffle_local_blocks_fetched,
            "fetchWaitTime": m.shuffle_fetch_wait_time, "remoteBytesRead": m.shuffle_remote_bytes_read,
            "remoteBytesReadToDisk": m.shuffle_remote_bytes_read_to_disk,
            "localBytesRead": m.shuffle_local_bytes_read, "recordsRead": m.shuffle_records_read,
            "remoteReqsDuration": 0,
            "shufflePushReadMetrics": {
                "corruptMergedBlockChunks": 0, "mergedFetchFallbackCount": 0,
                "remoteMergedBlocksFetched": 0, "localMergedBlocksFetched": 0,
                "remoteMergedChunksFetched": 0, "localMergedChunksFetched": 0,
                "remoteMergedBytesRead": 0, "localMergedBytesRead": 0, "remoteMergedReqsDuration": 0},
        },
        "shuffleWriteMetrics": {"bytesWritten": m.shuffle_bytes_written, "writeTime": m.shuffle_write_time,
                                "recordsWritten": m.shuffle_records_written},
    }


def task_json(task: TaskRecord) -> dict[str, Any]:
    info = task.info
    return _drop_none({
        "taskId": info.task_id, "index": info.index, "attempt": info.attempt,
        "partitionId": info.partition_id, "launchTime": rest_date(info.launch_time),
        "duration": info.duration if info.finish_time else None,
        "executorId": info.executor_id, "host": info.host, "status": info.status,
        "taskLocality": info.locality, "speculative": info.speculative, "accumulatorUpdates": [],
        "errorMessage": task.error,
        "taskMetrics": _metrics_json(task.metrics) if task.metrics is not None else None,
        "executorLogs": {}, "schedulerDelay": scheduler_delay(task), "gettingResultTime": 0,
    })


def scheduler_delay(task: TaskRecord) -> int:
    """Spark's: the part of a task's duration its metrics do not account for."""
    m = task.metrics
    if m is None or not task.info.finish_time:
        return 0
    return max(0, task.info.duration - m.executor_run_time - m.executor_deserialize_time
               - m.result_serialization_time)


def _stage_totals(totals: dict[str, int]) -> dict[str, Any]:
    return {
        "executorDeserializeTime": totals["executor_deserialize_time"],
        "executorDeserializeCpuTime": totals["executor_deserialize_cpu_time"],
        "executorRunTime": totals["executor_run_time"], "executorCpuTime": totals["executor_cpu_time"],
        "resultSize": totals["result_size"], "jvmGcTime": totals["jvm_gc_time"],
        "resultSerializationTime": totals["result_serialization_time"],
        "memoryBytesSpilled": totals["memory_bytes_spilled"], "diskBytesSpilled": totals["disk_bytes_spilled"],
        "peakExecutionMemory": totals["peak_execution_memory"],
        "inputBytes": totals["input_bytes"], "inputRecords": totals["input_records"],
        "outputBytes": totals["output_bytes"], "outputRecords": totals["output_records"],
        "shuffleRemoteBlocksFetched": totals["shuffle_remote_blocks_fetched"],
        "shuffleLocalBlocksFetched": totals["shuffle_local_blocks_fetched"],
        "shuffleFetchWaitTime": totals["shuffle_fetch_wait_time"],
        "shuffleRemoteBytesRead": totals["shuffle_remote_bytes_read"],
        "shuffleRemoteBytesReadToDisk": totals["shuffle_remote_bytes_read_to_disk"],
        "shuffleLocalBytesRead": totals["shuffle_local_bytes_read"],
        "shuffleReadBytes": totals["shuffle_remote_bytes_read"] + totals["shuffle_local_bytes_read"],
        "shuffleReadRecords": totals["shuffle_records_read"],
        "shuffleCorruptMergedBlockChunks": 0, "shuffleMergedFetchFallbackCount": 0,
        "shuffleMergedRemoteBlocksFetched": 0, "shuffleMergedLocalBlocksFetched": 0,
        "shuffleMergedRemoteChunksFetched": 0, "shuffleMergedLocalChunksFetched": 0,
        "shuffleMergedRemoteBytesRead": 0, "shuffleMergedLocalBytesRead": 0,
        "shuffleRemoteReqsDuration": 0, "shuffleMergedRemoteReqsDuration": 0,
        "shuffleWriteBytes": totals["shuffle_bytes_written"], "shuffleWriteTime": totals["shuffle_write_time"],
        "shuffleWriteRecords": totals["shuffle_records_written"],
    }


def stage_json(stage: StageRecord, details: bool = False,
               executors: dict[str, ExecutorRecord] | None = None) -> dict[str, Any]:
    info = stage.info
    data: dict[str, Any] = {
        "status": stage.status, "stageId": info.stage_id, "attemptId": info.attempt_id,
        "numTasks": info.num_tasks, "numActiveTasks": stage.num_active_tasks,
        "numCompleteTasks": stage.num_complete_tasks, "numFailedTasks": stage.num_failed_tasks,
        "numKilledTasks": stage.num_killed_tasks, "numCompletedIndices": len(stage.completed_indices),
        "submissionTime": rest_date(info.submission_time),
        "firstTaskLaunchedTime": rest_date(stage.first_task_launched_time),
        "completionTime": rest_date(info.completion_time), "failureReason": info.failure_reason,
    }
    data.update(_stage_totals(stage.metrics))
    data.update({
        "name": info.name, "description": stage.description, "details": info.details,
        "schedulingPool": "default", "rddIds": [r.rdd_id for r in info.rdd_infos],
        "accumulatorUpdates": [], "killedTasksSummary": dict(stage.killed_summary),
        "resourceProfileId": 0, "isShufflePushEnabled": False, "shuffleMergersCount": 0,
    })
    if details:
        data["tasks"] = {str(tid): task_json(t) for tid, t in stage.tasks.items()}
        data["executorSummary"] = {eid: executor_stage_json(eid, s, executors or {})
                                   for eid, s in stage.executors.items()}
    return _drop_none(data)


def executor_stage_json(executor_id: str, s: Any, executors: dict[str, ExecutorRecord]) -> dict[str, Any]:
    t = s.metrics
    ex = executors.get(executor_id)
    return {
        "taskTime": s.task_time, "failedTasks": s.failed_tasks, "succeededTasks": s.succeeded_tasks,
        "killedTasks": s.killed_tasks, "inputBytes": t["input_bytes"], "inputRecords": t["input_records"],
        "outputBytes": t["output_bytes"], "outputRecords": t["output_records"],
        "shuffleRead": t["shuffle_remote_bytes_read"] + t["shuffle_local_bytes_read"],
        "shuffleReadRecords": t["shuffle_records_read"], "shuffleWrite": t["shuffle_bytes_written"],
        "shuffleWriteRecords": t["shuffle_records_written"], "memoryBytesSpilled": t["memory_bytes_spilled"],
        "diskBytesSpilled": t["disk_bytes_spilled"], "isBlacklistedForStage": False,
        "isExcludedForStage": False, "executorLogs": dict(ex.log_urls) if ex else {},
    }


def quantiles_of(values: list[float], quantiles: tuple[float, ...]) -> list[float]:
    """Spark's task summary: the value at index min(q × n, n - 1) of the sorted values."""
    ordered = sorted(values)
    n = len(ordered)
    if not n:
        return [0.0 for _ in quantiles]
    return [float(ordered[min(int(q * n), n - 1)]) for q in quantiles]


def task_summary_json(stage: StageRecord, quantiles: tuple[float, ...]) -> dict[str, Any] | None:
    done = [t for t in stage.tasks.values() if t.info.status == "SUCCESS" and t.metrics is not None]
    if not done:
        return None

    def dist(get: Callable[[TaskRecord], float]) -> list[float]:
        return quantiles_of([get(t) for t in done], quantiles)

    def metric(name: str) -> Callable[[TaskRecord], float]:
        return lambda t: getattr(t.metrics, name)

    return {
        "quantiles": list(quantiles),
        "duration": dist(lambda t: t.info.duration),
        "executorDeserializeTime": dist(metric("executor_deserialize_time")),
        "executorDeserializeCpuTime": dist(metric("executor_deserialize_cpu_time")),
        "executorRunTime": dist(metric("executor_run_time")),
        "executorCpuTime": dist(metric("executor_cpu_time")),
        "resultSize": dist(metric("result_size")), "jvmGcTime": dist(metric("jvm_gc_time")),
        "resultSerializationTime": dist(metric("result_serialization_time")),
        "gettingResultTime": dist(lambda t: 0), "schedulerDelay": dist(scheduler_delay),
        "peakExecutionMemory": dist(metric("peak_execution_memory")),
        "memoryBytesSpilled": dist(metric("memory_bytes_spilled")),
        "diskBytesSpilled": dist(metric("disk_bytes_spilled")),
        "inputMetrics": {"bytesRead": dist(metric("input_bytes")), "recordsRead": dist(metric("input_records"))},
        "outputMetrics": {"bytesWritten": dist(metric("output_bytes")),
                          "recordsWritten": dist(metric("output_records"))},
        "shuffleReadMetrics": {
            "readBytes": dist(lambda t: t.metrics.shuffle_read_bytes),
            "readRecords": dist(metric("shuffle_records_read")),
            "remoteBlocksFetched": dist(metric("shuffle_remote_blocks_fetched")),
            "localBlocksFetched": dist(metric("shuffle_local_blocks_fetched")),
            "fetchWaitTime": dist(metric("shuffle_fetch_wait_time")),
            "remoteBytesRead": dist(metric("shuffle_remote_bytes_read")),
            "remoteBytesReadToDisk": dist(metric("shuffle_remote_bytes_read_to_disk")),
            "totalBlocksFetched": dist(lambda t: t.metrics.shuffle_remote_blocks_fetched
                                       + t.metrics.shuffle_local_blocks_fetched),
            "remoteReqsDuration": dist(lambda t: 0),
        },
        "shuffleWriteMetrics": {"writeBytes": dist(metric("shuffle_bytes_written")),
                                "writeRecords": dist(metric("shuffle_records_written")),
                                "writeTime": dist(metric("shuffle_write_time"))},
    }


# ---------------------------------------------------------------- executors, storage, environment


def executor_json(ex: ExecutorRecord) -> dict[str, Any]:
    memory_used = getattr(ex, "memory_used", 0)
    return _drop_none({
        "id": ex.executor_id, "hostPort": ex.host_port, "isActive": ex.is_active,
        "rddBlocks": getattr(ex, "rdd_blocks", 0), "memoryUsed": memory_used,
        "diskUsed": getattr(ex, "disk_used", 0), "totalCores": ex.total_cores, "maxTasks": ex.total_cores,
        "activeTasks": ex.active_tasks, "failedTasks": ex.failed_tasks, "completedTasks": ex.completed_tasks,
        "totalTasks": ex.active_tasks + ex.failed_tasks + ex.completed_tasks,
        "totalDuration": ex.total_duration, "totalGCTime": ex.total_gc_time,
        "totalInputBytes": ex.total_input_bytes, "totalShuffleRead": ex.total_shuffle_read,
        "totalShuffleWrite": ex.total_shuffle_write, "isBlacklisted": False, "maxMemory": ex.max_memory,
        "addTime": rest_date(ex.add_time), "removeTime": rest_date(ex.remove_time),
        "removeReason": ex.remove_reason, "executorLogs": dict(ex.log_urls),
        "memoryMetrics": {"usedOnHeapStorageMemory": memory_used, "usedOffHeapStorageMemory": 0,
                          "totalOnHeapStorageMemory": ex.max_memory, "totalOffHeapStorageMemory": 0},
        "blacklistedInStages": [], "attributes": {}, "resources": {}, "resourceProfileId": 0,
        "isExcluded": False, "excludedInStages": [],
    })


def rdd_json(rdd: RDDRecord, details: bool = False, executors: list[ExecutorRecord] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": rdd.rdd_id, "name": rdd.name, "numPartitions": rdd.num_partitions,
        "numCachedPartitions": len(rdd.blocks), "storageLevel": str(rdd.storage_level),
        "memoryUsed": rdd.memory_used, "diskUsed": rdd.disk_used,
    }
    if details:
        per: dict[str, list[int]] = {}
        for holders in rdd.blocks.values():
            for executor_id, (mem, disk) in holders.items():
                totals = per.setdefault(executor_id, [0, 0])
                totals[0] += mem
                totals[1] += disk
        by_id = {e.executor_id: e for e in executors or []}
        data["dataDistribution"] = [
            {"address": by_id[e].host_port if e in by_id else e, "memoryUsed": mem,
             "memoryRemaining": max(0, (by_id[e].max_memory if e in by_id else 0) - getattr(by_id.get(e), "memory_used", 0)),
             "diskUsed": disk, "onHeapMemoryUsed": mem, "offHeapMemoryUsed": 0,
             "onHeapMemoryRemaining": max(0, (by_id[e].max_memory if e in by_id else 0) - mem),
             "offHeapMemoryRemaining": 0}
            for e, (mem, disk) in sorted(per.items())]
        data["partitions"] = [
            {"blockName": block, "storageLevel": str(rdd.storage_level),
             "memoryUsed": sum(m for m, _ in holders.values()), "diskUsed": sum(d for _, d in holders.values()),
             "executors": sorted(holders)}
            for block, holders in sorted(rdd.blocks.items(), key=lambda kv: int(kv[0].rsplit("_", 1)[1]))]
    return data


def environment_json(store: AppStatusStore) -> dict[str, Any]:
    env = store.application().environment
    runtime = dict(env.get("JVM Information", ()))
    return {
        "runtime": {"javaVersion": runtime.get("Java Version", ""), "javaHome": runtime.get("Java Home", ""),
                    "scalaVersion": runtime.get("Scala Version", "")},
        "sparkProperties": [list(p) for p in env.get("Spark Properties", ())],
        "hadoopProperties": [list(p) for p in env.get("Hadoop Properties", ())],
        "systemProperties": [list(p) for p in env.get("System Properties", ())],
        "metricsProperties": [list(p) for p in env.get("Metrics Properties", ())],
        "classpathEntries": [list(p) for p in env.get("Classpath Entries", ())],
        "resourceProfiles": [],
    }


# ---------------------------------------------------------------- routing


def _int(text: str) -> int | None:
    return int(text) if text.lstrip("-").isdigit() else None


def handle(request: Request, stores: Callable[[], dict[str, AppStatusStore]],
           spark_version: str = SPARK_API_VERSION) -> Response:
    """Answer ``request.path`` under ``/api/v1``; ``stores`` lists the applications known."""
    parts = [p for p in request.path.split("/") if p][2:]  # drop "api", "v1"
    if not parts:
        return not_found("unknown REST endpoint")
    if parts == ["version"]:
        return json_response({"spark": spark_version})
    if parts[0] != "applications":
        return not_found("unknown REST endpoint")
    apps = stores()
    if len(parts) == 1:
        wanted = (request.arg("status") or "").lower()
        out = []
        for store in apps.values():
            data = application_json(store, spark_version)
            done = data["attempts"][0]["completed"]
            if wanted in ("", "completed" if done else "running"):
                out.append(data)
        return json_response(out)
    store = apps.get(parts[1])
    if store is None:
        return not_found(f"unknown app: {parts[1]}")
    rest = parts[2:]
    if not rest:
        return json_response(application_json(store, spark_version))
    what = rest[0]
    if what == "jobs":
        return _jobs(request, store, rest[1:])
    if what == "stages":
        return _stages(request, store, rest[1:])
    if what in ("executors", "allexecutors") and len(rest) == 1:
        return json_response([executor_json(e) for e in store.executors(active_only=what == "executors")])
    if what == "storage" and len(rest) >= 2 and rest[1] == "rdd":
        return _storage(store, rest[2:])
    if rest == ["environment"]:
        return json_response(environment_json(store))
    return not_found("unknown REST endpoint")


def _jobs(request: Request, store: AppStatusStore, rest: list[str]) -> Response:
    if not rest:
        wanted = {s.upper() for s in request.query.get("status", [])}
        return json_response([job_json(j) for j in store.jobs() if not wanted or j.status in wanted])
    job_id = _int(rest[0])
    job = store.job(job_id) if job_id is not None and len(rest) == 1 else None
    return json_response(job_json(job)) if job is not None else not_found(f"unknown job: {rest[0]}")


def _stages(request: Request, store: AppStatusStore, rest: list[str]) -> Response:
    details = (request.arg("details") or "").lower() == "true"
    executors = {e.executor_id: e for e in store.executors()}
    if not rest:
        wanted = {s.upper() for s in request.query.get("status", [])}
        stages = store.stages() if not details else \
            [store.stage(s.info.stage_id, s.info.attempt_id) for s in store.stages()]
        return json_response([stage_json(s, details, executors) for s in stages
                              if s is not None and (not wanted or s.status in wanted)])
    stage_id = _int(rest[0])
    if stage_id is None:
        return not_found(f"unknown stage: {rest[0]}")
    if len(rest) == 1:
        attempts = store.stage_attempts(stage_id)
        if not attempts:
            return not_found(f"unknown stage: {stage_id}")
        return json_response([stage_json(s, True, executors) for s in attempts])
    attempt = _int(rest[1])
    stage = store.stage(stage_id, attempt) if attempt is not None else None
    if stage is None:
        return not_found(f"unknown attempt {rest[1]} of stage {stage_id}")
    if len(rest) == 2:
        return json_response(stage_json(stage, True, executors))
    if rest[2:] == ["taskSummary"]:
        raw = request.arg("quantiles")
        try:
            quantiles = tuple(float(q) for q in raw.split(",")) if raw else DEFAULT_QUANTILES
        except ValueError:
            return json_response({"message": f"bad quantiles {raw!r}"}, 400)
        summary = task_summary_json(stage, quantiles)
        return json_response(summary) if summary is not None else not_found("no completed tasks")
    if rest[2:] == ["taskList"]:
        return json_response(task_list(request, stage))
    return not_found("unknown REST endpoint")


_SORTS: dict[str, Callable[[TaskRecord], Any]] = {
    "ID": lambda t: t.info.task_id, "-ID": lambda t: -t.info.task_id,
    "runtime": lambda t: t.info.duration, "-runtime": lambda t: -t.info.duration,
    "DECREASING_RUNTIME": lambda t: -t.info.duration, "INCREASING_RUNTIME": lambda t: t.info.duration,
}


def task_list(request: Request, stage: StageRecord) -> list[dict[str, Any]]:
    offset = _int(request.arg("offset") or "0") or 0
    length = _int(request.arg("length") or "20")
    sort = _SORTS.get(request.arg("sortBy") or "ID", _SORTS["ID"])
    wanted = {s.upper() for s in request.query.get("status", [])}
    tasks = sorted((t for t in stage.tasks.values() if not wanted or t.info.status in wanted), key=sort)
    return [task_json(t) for t in tasks[offset:offset + (length if length is not None else 20)]]


def _storage(store: AppStatusStore, rest: list[str]) -> Response:
    if not rest:
        return json_response([rdd_json(r) for r in store.rdds() if r.blocks])
    rdd_id = _int(rest[0])
    rdd = store.rdd(rdd_id) if rdd_id is not None and len(rest) == 1 else None
    if rdd is None:
        return not_found(f"unknown rdd: {rest[0]}")
    return json_response(rdd_json(rdd, True, store.executors()))
