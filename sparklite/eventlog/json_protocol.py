"""Spark's event-log JSON (``JsonProtocol``): listener events to and from one JSON object each.

Field names, nesting and types are Spark's, because Spark's History Server
reads these files and its parser is strict (a number must be a JSON number, a
string a string, "Stage Info" must carry "RDD Info"...). Events Spark writes
that sparklite has no use for are written as Spark writes them where the History
Server needs them (``SparkListenerLogStart``, ``SparkListenerResourceProfileAdded``).
``from_json`` reads back what ``to_json`` writes (and Spark's own logs of the same
events); other events are skipped.
"""
from __future__ import annotations

from typing import Any

from sparklite.scheduler import listener_events as le
from sparklite.storagelevel import StorageLevel

# ---------------------------------------------------------------- value types


def storage_level_json(level: StorageLevel | None) -> dict[str, Any]:
    level = level or StorageLevel.NONE
    return {"Use Disk": level.useDisk, "Use Memory": level.useMemory, "Use Off Heap": level.useOffHeap,
            "Deserialized": level.deserialized, "Replication": level.replication}


def storage_level_from(data: dict[str, Any]) -> StorageLevel:
    return StorageLevel(bool(data.get("Use Disk")), bool(data.get("Use Memory")), bool(data.get("Use Off Heap")),
                        bool(data.get("Deserialized")), int(data.get("Replication", 1)) or 1)


def rdd_info_json(r: le.RDDInfo) -> dict[str, Any]:
    data: dict[str, Any] = {"RDD ID": r.rdd_id, "Name": r.name}
    if r.scope_name:
        data["Scope"] = '{"id":"%d","name":"%s"}' % (r.rdd_id, r.scope_name.replace('"', "'"))
    data.update({"Callsite": r.callsite, "Parent IDs": list(r.parent_ids),
                 "Storage Level": storage_level_json(r.storage_level), "Barrier": r.is_barrier,
                 "DeterministicLevel": "DETERMINATE", "Number of Partitions": r.num_partitions,
                 "Number of Cached Partitions": 0, "Memory Size": 0, "Disk Size": 0})
    return data


def rdd_info_from(d: dict[str, Any]) -> le.RDDInfo:
    import json

    scope = ""
    if d.get("Scope"):
        try:
            scope = json.loads(d["Scope"]).get("name", "")
        except (ValueError, AttributeError):
            scope = ""
    return le.RDDInfo(d["RDD ID"], d.get("Name", ""), d.get("Number of Partitions", 0),
                      storage_level_from(d.get("Storage Level", {})), tuple(d.get("Parent IDs", ())),
                      d.get("Callsite", ""), bool(d.get("Barrier", False)), scope)


def stage_info_json(s: le.StageInfo) -> dict[str, Any]:
    data: dict[str, Any] = {
        "Stage ID": s.stage_id, "Stage Attempt ID": s.attempt_id, "Stage Name": s.name,
        "Number of Tasks": s.num_tasks, "RDD Info": [rdd_info_json(r) for r in s.rdd_infos],
        "Parent IDs": list(s.parent_ids), "Details": s.details,
    }
    if s.submission_time is not None:
        data["Submission Time"] = s.submission_time
    if s.completion_time is not None:
        data["Completion Time"] = s.completion_time
    if s.failure_reason is not None:
        data["Failure Reason"] = s.failure_reason
    data.update({"Accumulables": [], "Resource Profile Id": 0, "Shuffle Push Enabled": False,
                 "Shuffle Push Mergers Count": 0})
    # sparklite's additions (Spark ignores fields it does not know)
    data["Sparklite Shuffle ID"] = s.shuffle_id if s.shuffle_id is not None else -1
    data["Sparklite Is Shuffle Map"] = s.is_shuffle_map
    return data


def stage_info_from(d: dict[str, Any]) -> le.StageInfo:
    shuffle_id = d.get("Sparklite Shuffle ID", -1)
    is_map = d.get("Sparklite Is Shuffle Map")
    if is_map is None:  # a log Spark wrote: a stage with a shuffle-write RDD cannot be told; guess by name
        is_map = False
    return le.StageInfo(d["Stage ID"], d.get("Stage Attempt ID", 0), d.get("Stage Name", ""),
                        d.get("Number of Tasks", 0), tuple(rdd_info_from(r) for r in d.get("RDD Info", ())),
                        tuple(d.get("Parent IDs", ())), d.get("Details", ""), bool(is_map),
                        d.get("Submission Time"), d.get("Completion Time"), d.get("Failure Reason"),
                        shuffle_id if shuffle_id is not None and shuffle_id >= 0 else None)


def task_info_json(t: le.TaskInfo) -> dict[str, Any]:
    return {"Task ID": t.task_id, "Index": t.index, "Attempt": t.attempt, "Partition ID": t.partition_id,
            "Launch Time": t.launch_time, "Executor ID": t.executor_id, "Host": t.host,
            "Locality": t.locality, "Speculative": t.speculative, "Getting Result Time": t.getting_result_time,
            "Finish Time": t.finish_time, "Failed": t.failed, "Killed": t.killed, "Accumulables": []}


def task_info_from(d: dict[str, Any]) -> le.TaskInfo:
    return le.TaskInfo(d["Task ID"], d["Index"], d.get("Attempt", 0), d.get("Partition ID", d["Index"]),
                       d["Launch Time"], d["Executor ID"], d["Host"], d.get("Locality", le.ANY),
                       bool(d.get("Speculative", False)), d.get("Getting Result Time", 0),
                       d.get("Finish Time", 0), bool(d.get("Failed", False)), bool(d.get("Killed", False)))


def task_metrics_json(m: le.TaskMetrics) -> dict[str, Any]:
    return {
        "Executor Deserialize Time": m.executor_deserialize_time,
        "Executor Deserialize CPU Time": m.executor_deserialize_cpu_time,
        "Executor Run Time": m.executor_run_time, "Executor CPU Time": m.executor_cpu_time,
        "Peak Execution Memory": m.peak_execution_memory, "Result Size": m.result_size,
        "JVM GC Time": m.jvm_gc_time, "Result Serialization Time": m.result_serialization_time,
        "Memory Bytes Spilled": m.memory_bytes_spilled, "Disk Bytes Spilled": m.disk_bytes_spilled,
        "Shuffle Read Metrics": {
            "Remote Blocks Fetched": m.shuffle_remote_blocks_fetched,
            "Local Blocks Fetched": m.shuffle_local_blocks_fetched, "Fetch Wait Time": m.shuffle_fetch_wait_time,
            "Remote Bytes Read": m.shuffle_remote_bytes_read,
            "Remote Bytes Read To Disk": m.shuffle_remote_bytes_read_to_disk,
            "Local Bytes Read": m.shuffle_local_bytes_read, "Total Records Read": m.shuffle_records_read,
            "Remote Requests Duration": 0,
            "Push Based Shuffle": {"Corrupt Merged Block Chunks": 0, "Merged Fetch Fallback Count": 0,
                                   "Merged Remote Blocks Fetched": 0, "Merged Local Blocks Fetched": 0,
                                   "Merged Remote Chunks Fetched": 0, "Merged Local Chunks Fetched": 0,
                                   "Merged Remote Bytes Read": 0, "Merged Local Bytes Read": 0,
                                   "Merged Remote Requests Duration": 0},
        },
        "Shuffle Write Metrics": {"Shuffle Bytes Written": m.shuffle_bytes_written,
                                  "Shuffle Write Time": m.shuffle_write_time,
                                  "Shuffle Records Written": m.shuffle_records_written},
        "Input Metrics": {"Bytes Read": m.input_bytes, "Records Read": m.input_records},
        "Output Metrics": {"Bytes Written": m.output_bytes, "Records Written": m.output_records},
        "Updated Blocks": [],
    }


def task_metrics_from(d: dict[str, Any] | None) -> le.TaskMetrics | None:
    if not d:
        return None
    read = d.get("Shuffle Read Metrics") or {}
    write = d.get("Shuffle Write Metrics") or {}
    inp = d.get("Input Metrics") or {}
    out = d.get("Output Metrics") or {}
    return le.TaskMetrics(
        d.get("Executor Deserialize Time", 0), d.get("Executor Deserialize CPU Time", 0),
        d.get("Executor Run Time", 0), d.get("Executor CPU Time", 0), d.get("Result Size", 0),
        d.get("JVM GC Time", 0), d.get("Result Serialization Time", 0), d.get("Memory Bytes Spilled", 0),
        d.get("Disk Bytes Spilled", 0), d.get("Peak Execution Memory", 0), inp.get("Bytes Read", 0),
        inp.get("Records Read", 0), out.get("Bytes Written", 0), out.get("Records Written", 0),
        read.get("Remote Blocks Fetched", 0), read.get("Local Blocks Fetched", 0), read.get("Fetch Wait Time", 0),
        read.get("Remote Bytes Read", 0), read.get("Remote Bytes Read To Disk", 0), read.get("Local Bytes Read", 0),
        read.get("Total Records Read", 0), write.get("Shuffle Bytes Written", 0), write.get("Shuffle Write Time", 0),
        write.get("Shuffle Records Written", 0))


def _stack_json(stack: tuple[tuple[str, str, str, int], ...]) -> list[dict[str, Any]]:
    return [{"Declaring Class": c, "Method Name": m, "File Name": f, "Line Number": n} for c, m, f, n in stack]


def end_reason_json(r: le.TaskEndReason) -> dict[str, Any]:
    if r.kind in ("Success", "Resubmitted", "TaskResultLost", "UnknownReason"):
        return {"Reason": r.kind}
    if r.kind == "FetchFailed":
        address = {"Executor ID": r.executor_id, "Host": r.host, "Port": r.port} if r.executor_id else None
        return {"Reason": "FetchFailed", "Block Manager Address": address, "Shuffle ID": r.shuffle_id,
                "Map ID": r.map_id, "Map Index": r.map_index, "Reduce ID": r.reduce_id, "Message": r.message}
    if r.kind == "ExceptionFailure":
        return {"Reason": "ExceptionFailure", "Class Name": r.class_name, "Description": r.message,
                "Stack Trace": _stack_json(r.stack), "Full Stack Trace": r.full_stack_trace,
                "Accumulator Updates": []}
    if r.kind == "TaskKilled":
        return {"Reason": "TaskKilled", "Kill Reason": r.message, "Accumulator Updates": []}
    if r.kind == "ExecutorLostFailure":
        return {"Reason": "ExecutorLostFailure", "Executor ID": r.executor_id,
                "Exit Caused By App": r.exit_caused_by_app, "Loss Reason": r.message}
    return {"Reason": "UnknownReason"}


def end_reason_from(d: dict[str, Any]) -> le.TaskEndReason:
    kind = d.get("Reason", "UnknownReason")
    if kind == "FetchFailed":
        address = d.get("Block Manager Address") or {}
        return le.TaskEndReason("FetchFailed", d.get("Message", ""), executor_id=address.get("Executor ID", ""),
                                host=address.get("Host", ""), port=address.get("Port", 0),
                                shuffle_id=d.get("Shuffle ID", -1), map_id=d.get("Map ID", -1),
                                map_index=d.get("Map Index", -1), reduce_id=d.get("Reduce ID", -1))
    if kind == "ExceptionFailure":
        stack = tuple((s.get("Declaring Class", ""), s.get("Method Name", ""), s.get("File Name", ""),
                       s.get("Line Number", -1)) for s in d.get("Stack Trace", ()))
        return le.TaskEndReason("ExceptionFailure", d.get("Description", ""), class_name=d.get("Class Name", ""),
                                stack=stack, full_stack_trace=d.get("Full Stack Trace") or "")
    if kind == "TaskKilled":
        return le.TaskEndReason("TaskKilled", d.get("Kill Reason", ""))
    if kind == "ExecutorLostFailure":
        return le.TaskEndReason("ExecutorLostFailure", d.get("Loss Reason", ""),
                                executor_id=d.get("Executor ID", ""),
                                exit_caused_by_app=bool(d.get("Exit Caused By App", True)))
    return le.TaskEndReason(kind)


def _block_manager_id(executor_id: str, host: str, port: int) -> dict[str, Any]:
    return {"Executor ID": executor_id, "Host": host, "Port": port}


def _properties(props: dict[str, str]) -> dict[str, str]:
    return {str(k): str(v) for k, v in props.items()}


# ---------------------------------------------------------------- events


def to_json(e: Any) -> dict[str, Any] | None:
    """The Spark JSON of a listener event, or None for events the log does not keep."""
    if isinstance(e, le.TaskEnd):
        data = {"Event": "SparkListenerTaskEnd", "Stage ID": e.stage_id, "Stage Attempt ID": e.stage_attempt_id,
                "Task Type": e.task_type, "Task End Reason": end_reason_json(e.reason),
                "Task Info": task_info_json(e.task_info), "Task Executor Metrics": {}}
        if e.metrics is not None:
            data["Task Metrics"] = task_metrics_json(e.metrics)
        return data
    if isinstance(e, le.TaskStart):
        return {"Event": "SparkListenerTaskStart", "Stage ID": e.stage_id, "Stage Attempt ID": e.stage_attempt_id,
                "Task Info": task_info_json(e.task_info)}
    if isinstance(e, le.StageSubmitted):
        return {"Event": "SparkListenerStageSubmitted", "Stage Info": stage_info_json(e.stage_info),
                "Properties": _properties(e.properties)}
    if isinstance(e, le.StageCompleted):
        return {"Event": "SparkListenerStageCompleted", "Stage Info": stage_info_json(e.stage_info)}
    if isinstance(e, le.JobStart):
        return {"Event": "SparkListenerJobStart", "Job ID": e.job_id, "Submission Time": e.time,
                "Stage Infos": [stage_info_json(s) for s in e.stage_infos], "Stage IDs": list(e.stage_ids),
                "Properties": _properties(e.properties)}
    if isinstance(e, le.JobEnd):
        result: dict[str, Any] = {"Result": "JobSucceeded"} if e.succeeded else \
            {"Result": "JobFailed", "Exception": {"Message": e.error or "", "Stack Trace": []}}
        return {"Event": "SparkListenerJobEnd", "Job ID": e.job_id, "Completion Time": e.time, "Job Result": result}
    if isinstance(e, le.ExecutorAdded):
        return {"Event": "SparkListenerExecutorAdded", "Timestamp": e.time, "Executor ID": e.executor_id,
                "Executor Info": {"Host": e.host, "Total Cores": e.total_cores, "Log Urls": dict(e.log_urls),
                                  "Attributes": {}, "Resources": {}, "Resource Profile Id": e.resource_profile_id,
                                  "Registration Time": e.time}}
    if isinstance(e, le.ExecutorRemoved):
        return {"Event": "SparkListenerExecutorRemoved", "Timestamp": e.time, "Executor ID": e.executor_id,
                "Removed Reason": e.reason}
    if isinstance(e, le.BlockManagerAdded):
        return {"Event": "SparkListenerBlockManagerAdded",
                "Block Manager ID": _block_manager_id(e.executor_id, e.host, e.port), "Maximum Memory": e.max_mem,
                "Timestamp": e.time, "Maximum Onheap Memory": e.max_on_heap_mem,
                "Maximum Offheap Memory": e.max_off_heap_mem}
    if isinstance(e, le.BlockManagerRemoved):
        return {"Event": "SparkListenerBlockManagerRemoved",
                "Block Manager ID": _block_manager_id(e.executor_id, e.host, e.port), "Timestamp": e.time}
    if isinstance(e, le.UnpersistRDD):
        return {"Event": "SparkListenerUnpersistRDD", "RDD ID": e.rdd_id}
    if isinstance(e, le.BlockUpdated):
        return {"Event": "SparkListenerBlockUpdated", "Block Updated Info": {
            "Block Manager ID": _block_manager_id(e.executor_id, e.host, e.port), "Block ID": e.block_id,
            "Storage Level": storage_level_json(e.storage_level), "Memory Size": e.memory_size,
            "Disk Size": e.disk_size}}
    if isinstance(e, le.EnvironmentUpdate):
        return {"Event": "SparkListenerEnvironmentUpdate",
                **{section: dict(pairs) for section, pairs in e.details.items()}}
    if isinstance(e, le.ApplicationStart):
        data = {"Event": "SparkListenerApplicationStart", "App Name": e.app_name, "App ID": e.app_id,
                "Timestamp": e.time, "User": e.user}
        if e.attempt_id is not None:
            data["App Attempt ID"] = e.attempt_id
        if e.driver_logs:
            data["Driver Logs"] = dict(e.driver_logs)
        return data
    if isinstance(e, le.ApplicationEnd):
        data = {"Event": "SparkListenerApplicationEnd", "Timestamp": e.time}
        if e.exit_code is not None:
            data["ExitCode"] = e.exit_code
        return data
    return None


def log_start_json(spark_version: str) -> dict[str, Any]:
    return {"Event": "SparkListenerLogStart", "Spark Version": spark_version}


def resource_profile_json(executor_cores: int, executor_memory_mb: int, task_cpus: int) -> dict[str, Any]:
    """The default ResourceProfile (id 0), which Spark logs first and its UI expects."""
    def request(name: str, amount: int) -> dict[str, Any]:
        return {"Resource Name": name, "Amount": amount, "Discovery Script": "", "Vendor": ""}

    return {"Event": "SparkListenerResourceProfileAdded", "Resource Profile Id": 0,
            "Executor Resource Requests": {"cores": request("cores", executor_cores),
                                           "memory": request("memory", executor_memory_mb),
                                           "offHeap": request("offHeap", 0)},
            "Task Resource Requests": {"cpus": {"Resource Name": "cpus", "Amount": float(task_cpus)}}}


_SECTIONS = ("JVM Information", "Spark Properties", "Hadoop Properties", "System Properties",
             "Metrics Properties", "Classpath Entries")


def from_json(d: dict[str, Any]) -> Any:
    """The listener event of one event-log line, or None (an event sparklite does not replay)."""
    kind = d.get("Event")
    if kind == "SparkListenerTaskEnd":
        return le.TaskEnd(d["Stage ID"], d.get("Stage Attempt ID", 0), d.get("Task Type", "ResultTask"),
                          end_reason_from(d.get("Task End Reason") or {}), task_info_from(d["Task Info"]),
                          task_metrics_from(d.get("Task Metrics")))
    if kind == "SparkListenerTaskStart":
        return le.TaskStart(d["Stage ID"], d.get("Stage Attempt ID", 0), task_info_from(d["Task Info"]))
    if kind == "SparkListenerStageSubmitted":
        return le.StageSubmitted(stage_info_from(d["Stage Info"]), dict(d.get("Properties") or {}))
    if kind == "SparkListenerStageCompleted":
        return le.StageCompleted(stage_info_from(d["Stage Info"]))
    if kind == "SparkListenerJobStart":
        return le.JobStart(d["Job ID"], d.get("Submission Time", 0),
                           tuple(stage_info_from(s) for s in d.get("Stage Infos", ())), dict(d.get("Properties") or {}))
    if kind == "SparkListenerJobEnd":
        result = d.get("Job Result") or {}
        ok = result.get("Result") == "JobSucceeded"
        return le.JobEnd(d["Job ID"], d.get("Completion Time", 0), ok,
                         None if ok else (result.get("Exception") or {}).get("Message", ""))
    if kind == "SparkListenerExecutorAdded":
        info = d.get("Executor Info") or {}
        return le.ExecutorAdded(d.get("Timestamp", 0), d["Executor ID"], info.get("Host", ""),
                                info.get("Total Cores", 0), dict(info.get("Log Urls") or {}))
    if kind == "SparkListenerExecutorRemoved":
        return le.ExecutorRemoved(d.get("Timestamp", 0), d["Executor ID"], d.get("Removed Reason", ""))
    if kind == "SparkListenerBlockManagerAdded":
        bm = d.get("Block Manager ID") or {}
        return le.BlockManagerAdded(d.get("Timestamp", 0), bm.get("Executor ID", ""), bm.get("Host", ""),
                                    bm.get("Port", 0), d.get("Maximum Memory", 0),
                                    d.get("Maximum Onheap Memory", 0), d.get("Maximum Offheap Memory", 0))
    if kind == "SparkListenerBlockManagerRemoved":
        bm = d.get("Block Manager ID") or {}
        return le.BlockManagerRemoved(d.get("Timestamp", 0), bm.get("Executor ID", ""), bm.get("Host", ""),
                                      bm.get("Port", 0))
    if kind == "SparkListenerUnpersistRDD":
        return le.UnpersistRDD(d["RDD ID"])
    if kind == "SparkListenerBlockUpdated":
        info = d.get("Block Updated Info") or {}
        bm = info.get("Block Manager ID") or {}
        level = storage_level_from(info.get("Storage Level") or {})
        return le.BlockUpdated(bm.get("Executor ID", ""), bm.get("Host", ""), bm.get("Port", 0),
                               info.get("Block ID", ""), level if level.is_valid else None,
                               info.get("Memory Size", 0), info.get("Disk Size", 0))
    if kind == "SparkListenerEnvironmentUpdate":
        return le.EnvironmentUpdate({s: tuple((k, str(v)) for k, v in (d.get(s) or {}).items()) for s in _SECTIONS})
    if kind == "SparkListenerApplicationStart":
        return le.ApplicationStart(d.get("App Name", ""), d.get("App ID", ""), d.get("Timestamp", 0),
                                   d.get("User", ""), d.get("App Attempt ID"), dict(d.get("Driver Logs") or {}))
    if kind == "SparkListenerApplicationEnd":
        return le.ApplicationEnd(d.get("Timestamp", 0), d.get("ExitCode"))
    return None
