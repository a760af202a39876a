"""Spark's listener vocabulary: what the scheduler tells everything that watches a job.

Frozen dataclasses, one per SparkListener event, carrying the data Spark's
event-log JSON holds (``eventlog/json_protocol.py`` maps them field by field).
The scheduler core builds them (``listener_emitter.py``) and posts them on the
LiveListenerBus (``listener.py``); the web UI's store, the REST API, the event
log, the status tracker, the progress bar and the INFO log lines read only
these, never scheduler objects. Times are epoch milliseconds; ids are Spark's
(stage attempt ids start at 0, executor ids are strings, the driver is
``"driver"``).

Each event names the listener method it is delivered to (``handler``), so a
listener implements only the methods it cares about.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from sparklite.storagelevel import StorageLevel

#: Spark's TaskLocality names
PROCESS_LOCAL, NODE_LOCAL, RACK_LOCAL, ANY = "PROCESS_LOCAL", "NODE_LOCAL", "RACK_LOCAL", "ANY"


# ---------------------------------------------------------------- value types


@dataclass(frozen=True)
class CallSite:
    """Where user code asked for an RDD or an action: ``count at wordcount.py:12`` (short) and
    the user's stack (long), as Spark's ``CallSite``."""

    short: str
    long: str = ""


@dataclass(frozen=True)
class RDDInfo:
    """One RDD of a stage (Spark's ``RDDInfo``, without the cache sizes, which the store tracks)."""

    rdd_id: int
    name: str
    num_partitions: int
    storage_level: StorageLevel
    parent_ids: tuple[int, ...]
    callsite: str
    is_barrier: bool = False
    #: the operation that made it (``reduceByKey``), which Spark's DAG view groups by
    scope_name: str = ""


@dataclass(frozen=True)
class StageInfo:
    """One stage attempt (Spark's ``StageInfo``); ``num_tasks`` is the tasks this attempt runs."""

    stage_id: int
    attempt_id: int
    name: str
    num_tasks: int
    rdd_infos: tuple[RDDInfo, ...]
    parent_ids: tuple[int, ...]
    details: str
    is_shuffle_map: bool
    submission_time: int | None = None
    completion_time: int | None = None
    failure_reason: str | None = None
    #: the shuffle a map stage writes (not part of Spark's StageInfo)
    shuffle_id: int | None = None
    #: the partitions this attempt computes (not part of Spark's StageInfo, nor of the event log)
    partitions: tuple[int, ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class TaskInfo:
    """One task attempt (Spark's ``TaskInfo``); ``finish_time`` 0 while it runs."""

    task_id: int
    index: int
    attempt: int
    partition_id: int
    launch_time: int
    executor_id: str
    host: str
    locality: str
    speculative: bool = False
    getting_result_time: int = 0
    finish_time: int = 0
    failed: bool = False
    killed: bool = False

    @property
    def status(self) -> str:
        """Spark's task status: RUNNING, SUCCESS, FAILED or KILLED."""
        if self.finish_time == 0:
            return "RUNNING"
        if self.failed:
            return "FAILED"
        if self.killed:
            return "KILLED"
        return "SUCCESS"

    @property
    def duration(self) -> int:
        return max(0, self.finish_time - self.launch_time) if self.finish_time else 0


#: TaskMetrics field names in order (also the proto message's and the store's)
METRIC_FIELDS = (
    "executor_deserialize_time", "executor_deserialize_cpu_time", "executor_run_time",
    "executor_cpu_time", "result_size", "jvm_gc_time", "result_serialization_time",
    "memory_bytes_spilled", "disk_bytes_spilled", "peak_execution_memory",
    "input_bytes", "input_records", "output_bytes", "output_records",
    "shuffle_remote_blocks_fetched", "shuffle_local_blocks_fetched", "shuffle_fetch_wait_time",
    "shuffle_remote_bytes_read", "shuffle_remote_bytes_read_to_disk", "shuffle_local_bytes_read",
    "shuffle_records_read", "shuffle_bytes_written", "shuffle_write_time", "shuffle_records_written",
)


@dataclass(frozen=True)
class TaskMetrics:
    """What one task attempt measured on its executor (Spark's ``TaskMetrics``, flattened).

    Times are milliseconds except the CPU times and ``shuffle_write_time``, which are
    nanoseconds, as in Spark. ``jvm_gc_time`` is the Python garbage collector's time.
    """

    executor_deserialize_time: int = 0
    executor_deserialize_cpu_time: int = 0
    executor_run_time: int = 0
    executor_cpu_time: int = 0
    result_size: int = 0
    jvm_gc_time: int = 0
    result_serialization_time: int = 0
    memory_bytes_spilled: int = 0
    disk_bytes_spilled: int = 0
    peak_execution_memory: int = 0
    input_bytes: int = 0
    input_records: int = 0
    output_bytes: int = 0
    output_records: int = 0
    shuffle_remote_blocks_fetched: int = 0
    shuffle_local_blocks_fetched: int = 0
    shuffle_fetch_wait_time: int = 0
    shuffle_remote_bytes_read: int = 0
    shuffle_remote_bytes_read_to_disk: int = 0
    shuffle_local_bytes_read: int = 0
    shuffle_records_read: int = 0
    shuffle_bytes_written: int = 0
    shuffle_write_time: int = 0
    shuffle_records_written: int = 0

    @property
    def shuffle_read_bytes(self) -> int:
        return self.shuffle_remote_bytes_read + self.shuffle_local_bytes_read

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in METRIC_FIELDS}


@dataclass(frozen=True)
class TaskEndReason:
    """Why a task attempt ended (Spark's ``TaskEndReason`` family, as one record).

    ``kind`` is Spark's JSON name: Success, Resubmitted, TaskKilled, ExceptionFailure,
    FetchFailed, ExecutorLostFailure, TaskResultLost or UnknownReason.
    """

    kind: str = "Success"
    message: str = ""
    #: ExceptionFailure: the exception's class, the user's frames (class, function, file, line)
    class_name: str = ""
    stack: tuple[tuple[str, str, str, int], ...] = ()
    full_stack_trace: str = ""
    #: FetchFailed: the map output that could not be read; ExecutorLostFailure: the executor
    executor_id: str = ""
    host: str = ""
    port: int = 0
    shuffle_id: int = -1
    map_id: int = -1
    map_index: int = -1
    reduce_id: int = -1
    exit_caused_by_app: bool = True

    @property
    def succeeded(self) -> bool:
        return self.kind == "Success"

    def error_message(self) -> str:
        """What Spark's UI shows in a task's Errors column."""
        if self.kind == "Success":
            return ""
        if self.kind == "ExceptionFailure":
            return self.full_stack_trace or f"{self.class_name}: {self.message}"
        if self.kind == "FetchFailed":
            return (f"FetchFailed(executor {self.executor_id or '?'}, shuffleId={self.shuffle_id}, "
                    f"mapIndex={self.map_index}, reduceId={self.reduce_id}, message={self.message})")
        if self.kind == "ExecutorLostFailure":
            return f"ExecutorLostFailure (executor {self.executor_id} exited: {self.message})"
        if self.kind == "TaskKilled":
            return f"TaskKilled ({self.message})"
        return self.message or self.kind


SUCCESS = TaskEndReason()


# ---------------------------------------------------------------- events


@dataclass(frozen=True)
class ListenerEvent:
    #: the listener method this event is delivered to
    handler: ClassVar[str] = "on_other_event"


@dataclass(frozen=True)
class ApplicationStart(ListenerEvent):
    handler: ClassVar[str] = "on_application_start"
    app_name: str
    app_id: str
    time: int
    user: str
    attempt_id: str | None = None
    driver_logs: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ApplicationEnd(ListenerEvent):
    handler: ClassVar[str] = "on_application_end"
    time: int
    exit_code: int | None = None


@dataclass(frozen=True)
class EnvironmentUpdate(ListenerEvent):
    """Spark's sections: "JVM Information" (here: the Python runtime), "Spark Properties"
    (redacted), "Hadoop Properties", "System Properties", "Metrics Properties",
    "Classpath Entries" (here: sys.path); each a tuple of (name, value)."""

    handler: ClassVar[str] = "on_environment_update"
    details: dict[str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class ExecutorAdded(ListenerEvent):
    handler: ClassVar[str] = "on_executor_added"
    time: int
    executor_id: str
    host: str
    total_cores: int
    log_urls: dict[str, str] = field(default_factory=dict)
    resource_profile_id: int = 0


@dataclass(frozen=True)
class ExecutorRemoved(ListenerEvent):
    handler: ClassVar[str] = "on_executor_removed"
    time: int
    executor_id: str
    reason: str


@dataclass(frozen=True)
class BlockManagerAdded(ListenerEvent):
    handler: ClassVar[str] = "on_block_manager_added"
    time: int
    executor_id: str
    host: str
    port: int
    max_mem: int
    max_on_heap_mem: int = 0
    max_off_heap_mem: int = 0


@dataclass(frozen=True)
class BlockManagerRemoved(ListenerEvent):
    handler: ClassVar[str] = "on_block_manager_removed"
    time: int
    executor_id: str
    host: str
    port: int


@dataclass(frozen=True)
class JobStart(ListenerEvent):
    handler: ClassVar[str] = "on_job_start"
    job_id: int
    time: int
    stage_infos: tuple[StageInfo, ...]
    properties: dict[str, str] = field(default_factory=dict)

    @property
    def stage_ids(self) -> tuple[int, ...]:
        return tuple(s.stage_id for s in self.stage_infos)


@dataclass(frozen=True)
class JobEnd(ListenerEvent):
    handler: ClassVar[str] = "on_job_end"
    job_id: int
    time: int
    succeeded: bool
    #: the job's error (JobFailed's exception message), None when it succeeded
    error: str | None = None


@dataclass(frozen=True)
class StageSubmitted(ListenerEvent):
    handler: ClassVar[str] = "on_stage_submitted"
    stage_info: StageInfo
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class StageCompleted(ListenerEvent):
    """A stage attempt ended: all its tasks succeeded, or it failed (``failure_reason``)."""

    handler: ClassVar[str] = "on_stage_completed"
    stage_info: StageInfo


@dataclass(frozen=True)
class TaskStart(ListenerEvent):
    handler: ClassVar[str] = "on_task_start"
    stage_id: int
    stage_attempt_id: int
    task_info: TaskInfo


@dataclass(frozen=True)
class TaskEnd(ListenerEvent):
    handler: ClassVar[str] = "on_task_end"
    stage_id: int
    stage_attempt_id: int
    #: "ResultTask" or "ShuffleMapTask"
    task_type: str
    reason: TaskEndReason
    task_info: TaskInfo
    metrics: TaskMetrics | None = None


@dataclass(frozen=True)
class UnpersistRDD(ListenerEvent):
    handler: ClassVar[str] = "on_unpersist_rdd"
    rdd_id: int


@dataclass(frozen=True)
class BlockUpdated(ListenerEvent):
    """An executor stored, moved or dropped a block (``storage_level`` None: dropped)."""

    handler: ClassVar[str] = "on_block_updated"
    executor_id: str
    host: str
    port: int
    block_id: str
    storage_level: StorageLevel | None
    memory_size: int
    disk_size: int


def metrics_from_values(values: Any) -> TaskMetrics:
    """A TaskMetrics from any object with the METRIC_FIELDS attributes (a proto message)."""
    return TaskMetrics(*(int(getattr(values, name)) for name in METRIC_FIELDS))
