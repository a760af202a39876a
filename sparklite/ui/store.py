"""AppStatusStore: what the UI, the REST API and the status tracker know about an application.

A listener (``appStatus`` queue of the LiveListenerBus) that folds Spark's
listener events into plain records: jobs, stage attempts with their tasks,
executors, cached RDDs, the environment. The live UI reads it while the
application runs; the history server builds one per event log by replaying
the log into it, so both show the same pages and JSON. Nothing here reads
scheduler state.

Semantics follow Spark's AppStatusListener: a job lists every stage it needs;
those it never ran are SKIPPED when it ends (a reused shuffle); a job's task
count is over the stages it had to run. Finished jobs and stages beyond
``spark.ui.retainedJobs``/``retainedStages``, tasks of a stage beyond
``spark.ui.retainedTasks``, and removed executors beyond
``spark.ui.retainedDeadExecutors`` are dropped, oldest first.

THREADING: listener methods run on the bus's dispatcher thread; queries from
HTTP and user threads. One lock; queries return copies.
"""
from __future__ import annotations

import copy
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Iterable

from sparklite.scheduler import listener_events as le
from sparklite.storagelevel import StorageLevel

#: summed per stage and per executor-in-stage (the REST API's StageData totals)
SUMMED = le.METRIC_FIELDS


def _zero() -> dict[str, int]:
    return dict.fromkeys(SUMMED, 0)


@dataclass
class JobRecord:
    job_id: int
    name: str
    description: str | None
    submission_time: int
    stage_ids: list[int]
    job_group: str | None
    call_site_long: str = ""
    completion_time: int | None = None
    status: str = "RUNNING"
    error: str | None = None
    num_tasks: int = 0
    num_active_tasks: int = 0
    num_completed_tasks: int = 0
    num_skipped_tasks: int = 0
    num_failed_tasks: int = 0
    num_killed_tasks: int = 0
    completed_indices: set[tuple[int, int]] = field(default_factory=set)
    active_stages: set[int] = field(default_factory=set)
    completed_stages: set[int] = field(default_factory=set)
    skipped_stages: set[int] = field(default_factory=set)
    failed_stages: set[int] = field(default_factory=set)
    #: stage ids the job had to run (not already complete when it started)
    to_run: set[int] = field(default_factory=set)
    killed_summary: dict[str, int] = field(default_factory=dict)


@dataclass
class TaskRecord:
    info: le.TaskInfo
    stage_id: int
    stage_attempt: int
    metrics: le.TaskMetrics | None = None
    error: str | None = None


@dataclass
class ExecutorStageRecord:
    task_time: int = 0
    failed_tasks: int = 0
    succeeded_tasks: int = 0
    killed_tasks: int = 0
    metrics: dict[str, int] = field(default_factory=_zero)


@dataclass
class StageRecord:
    info: le.StageInfo
    status: str = "PENDING"
    job_ids: set[int] = field(default_factory=set)
    description: str | None = None
    num_active_tasks: int = 0
    num_complete_tasks: int = 0
    num_failed_tasks: int = 0
    num_killed_tasks: int = 0
    completed_indices: set[int] = field(default_factory=set)
    first_task_launched_time: int | None = None
    metrics: dict[str, int] = field(default_factory=_zero)
    tasks: OrderedDict[int, TaskRecord] = field(default_factory=OrderedDict)
    executors: dict[str, ExecutorStageRecord] = field(default_factory=dict)
    killed_summary: dict[str, int] = field(default_factory=dict)

    @property
    def key(self) -> tuple[int, int]:
        return (self.info.stage_id, self.info.attempt_id)


@dataclass
class ExecutorRecord:
    executor_id: str
    host: str
    port: int = 0
    is_active: bool = True
    total_cores: int = 0
    active_tasks: int = 0
    failed_tasks: int = 0
    completed_tasks: int = 0
    total_duration: int = 0
    total_gc_time: int = 0
    total_input_bytes: int = 0
    total_shuffle_read: int = 0
    total_shuffle_write: int = 0
    max_memory: int = 0
    add_time: int = 0
    remove_time: int | None = None
    remove_reason: str | None = None
    log_urls: dict[str, str] = field(default_factory=dict)

    @property
    def host_port(self) -> str:
        return f"{self.host}:{self.port}" if self.port else self.host


@dataclass
class RDDRecord:
    rdd_id: int
    name: str
    num_partitions: int
    storage_level: StorageLevel
    callsite: str = ""
    #: block id -> executor id -> (memory bytes, disk bytes)
    blocks: dict[str, dict[str, tuple[int, int]]] = field(default_factory=dict)

    @property
    def memory_used(self) -> int:
        return sum(m for holders in self.blocks.values() for m, _ in holders.values())

    @property
    def disk_used(self) -> int:
        return sum(d for holders in self.blocks.values() for _, d in holders.values())


@dataclass
class AppRecord:
    app_id: str = ""
    name: str = ""
    user: str = ""
    start_time: int = 0
    end_time: int | None = None
    attempt_id: str | None = None
    spark_version: str = ""
    environment: dict[str, tuple[tuple[str, str], ...]] = field(default_factory=dict)


@dataclass
class Limits:
    jobs: int = 1000
    stages: int = 1000
    tasks: int = 100000
    dead_executors: int = 100


class AppStatusStore:
    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self.app = AppRecord()
        self._jobs: OrderedDict[int, JobRecord] = OrderedDict()
        self._stages: OrderedDict[tuple[int, int], StageRecord] = OrderedDict()
        self._executors: OrderedDict[str, ExecutorRecord] = OrderedDict()
        self._rdds: dict[int, RDDRecord] = {}
        #: stage id -> latest attempt seen
        self._latest: dict[int, int] = {}
        #: events applied (the history server reports progress with it)
        self.events = 0

    # ================================================================= listener

    def on_other_event(self, event: Any) -> None:
        pass

    def on_application_start(self, e: le.ApplicationStart) -> None:
        with self._lock:
            self.events += 1
            self.app.app_id, self.app.name, self.app.user = e.app_id, e.app_name, e.user
            self.app.start_time, self.app.attempt_id = e.time, e.attempt_id

    def on_application_end(self, e: le.ApplicationEnd) -> None:
        with self._lock:
            self.events += 1
            self.app.end_time = e.time

    def on_environment_update(self, e: le.EnvironmentUpdate) -> None:
        with self._lock:
            self.events += 1
            self.app.environment = dict(e.details)

    def on_executor_added(self, e: le.ExecutorAdded) -> None:
        with self._lock:
            self.events += 1
            ex = self._executor(e.executor_id, e.host, e.time)
            ex.total_cores, ex.log_urls, ex.is_active = e.total_cores, dict(e.log_urls), True

    def on_executor_removed(self, e: le.ExecutorRemoved) -> None:
        with self._lock:
            self.events += 1
            ex = self._executors.get(e.executor_id)
            if ex is not None:
                ex.is_active, ex.remove_time, ex.remove_reason = False, e.time, e.reason
                ex.active_tasks = 0
            dead = [k for k, x in self._executors.items() if not x.is_active]
            for key in dead[:max(0, len(dead) - self.limits.dead_executors)]:
                del self._executors[key]

    def on_block_manager_added(self, e: le.BlockManagerAdded) -> None:
        with self._lock:
            self.events += 1
            ex = self._executor(e.executor_id, e.host, e.time)
            ex.port, ex.max_memory = e.port, e.max_mem
            if e.executor_id == "driver":
                ex.total_cores = ex.total_cores or 0

    def on_block_manager_removed(self, e: le.BlockManagerRemoved) -> None:
        with self._lock:
            self.events += 1
            for rdd in self._rdds.values():  # its cached blocks died with it
                for block_id in list(rdd.blocks):
                    rdd.blocks[block_id].pop(e.executor_id, None)
                    if not rdd.blocks[block_id]:
                        del rdd.blocks[block_id]

    def _executor(self, executor_id: str, host: str, time: int) -> ExecutorRecord:
        ex = self._executors.get(executor_id)
        if ex is None:
            ex = self._executors[executor_id] = ExecutorRecord(executor_id, host, add_time=time)
        return ex

    def on_job_start(self, e: le.JobStart) -> None:
        props = e.properties
        final = e.stage_infos[-1] if e.stage_infos else None
        name = props.get("callSite.short") or (final.name if final else f"job {e.job_id}")
        with self._lock:
            self.events += 1
            job = JobRecord(e.job_id, name, props.get("spark.job.description"), e.time,
                            [s.stage_id for s in e.stage_infos], props.get("spark.jobGroup.id"),
                            props.get("callSite.long", ""))
            for info in e.stage_infos:
                stage = self._stage_for_job(info)
                stage.job_ids.add(e.job_id)
                if stage.status != "COMPLETE":
                    job.to_run.add(info.stage_id)
                    job.num_tasks += info.num_tasks
            self._jobs[e.job_id] = job
            self._trim_jobs()

    def _stage_for_job(self, info: le.StageInfo) -> StageRecord:
        attempt = self._latest.get(info.stage_id)
        if attempt is not None:
            return self._stages[(info.stage_id, attempt)]
        stage = StageRecord(info)
        self._stages[stage.key] = stage
        self._latest[info.stage_id] = info.attempt_id
        return stage

    def on_job_end(self, e: le.JobEnd) -> None:
        with self._lock:
            self.events += 1
            job = self._jobs.get(e.job_id)
            if job is None:
                return
            job.completion_time, job.error = e.time, e.error
            job.status = "SUCCEEDED" if e.succeeded else "FAILED"
            for sid in job.stage_ids:
                attempt = self._latest.get(sid)
                stage = self._stages.get((sid, attempt)) if attempt is not None else None
                if stage is None:
                    continue
                if stage.status == "PENDING":
                    stage.status = "SKIPPED"
                if sid not in job.completed_stages and sid not in job.failed_stages \
                        and sid not in job.active_stages:
                    job.skipped_stages.add(sid)
                    if sid in job.to_run:
                        job.num_skipped_tasks += stage.info.num_tasks
            job.active_stages.clear()
            job.num_active_tasks = 0

    def on_stage_submitted(self, e: le.StageSubmitted) -> None:
        info = e.stage_info
        with self._lock:
            self.events += 1
            key = (info.stage_id, info.attempt_id)
            previous = self._latest.get(info.stage_id)
            before = self._stages.get((info.stage_id, previous)) if previous is not None else None
            stage = self._stages.get(key)
            if stage is None or stage.status != "PENDING":
                stage = StageRecord(info)
                self._stages[key] = stage
            if before is not None and before is not stage:  # a new attempt serves the same jobs
                stage.job_ids |= {j for j in before.job_ids
                                  if j in self._jobs and self._jobs[j].status == "RUNNING"}
            stage.info, stage.status = info, "ACTIVE"
            stage.description = e.properties.get("spark.job.description")
            self._latest[info.stage_id] = info.attempt_id
            for job_id in stage.job_ids:
                job = self._jobs.get(job_id)
                if job is not None and job.status == "RUNNING":
                    job.active_stages.add(info.stage_id)
                    job.skipped_stages.discard(info.stage_id)
                    if info.stage_id not in job.to_run:
                        job.to_run.add(info.stage_id)
                        job.num_tasks += info.num_tasks
            for rdd in info.rdd_infos:
                if rdd.storage_level.is_valid and rdd.rdd_id not in self._rdds:
                    self._rdds[rdd.rdd_id] = RDDRecord(rdd.rdd_id, rdd.name, rdd.num_partitions,
                                                       rdd.storage_level, rdd.callsite)
            self._trim_stages()

    def on_stage_completed(self, e: le.StageCompleted) -> None:
        info = e.stage_info
        with self._lock:
            self.events += 1
            stage = self._stages.get((info.stage_id, info.attempt_id))
            if stage is None:
                return
            stage.info = info
            stage.status = "FAILED" if info.failure_reason is not None else "COMPLETE"
            stage.num_active_tasks = 0
            for job_id in stage.job_ids:
                job = self._jobs.get(job_id)
                if job is None:
                    continue
                job.active_stages.discard(info.stage_id)
                if stage.status == "COMPLETE":
                    job.completed_stages.add(info.stage_id)
                    job.failed_stages.discard(info.stage_id)
                elif job.status == "RUNNING" or info.stage_id not in job.completed_stages:
                    job.failed_stages.add(info.stage_id)

    def on_task_start(self, e: le.TaskStart) -> None:
        with self._lock:
            self.events += 1
            stage = self._stages.get((e.stage_id, e.stage_attempt_id))
            if stage is not None:
                stage.tasks[e.task_info.task_id] = TaskRecord(e.task_info, e.stage_id, e.stage_attempt_id)
                stage.num_active_tasks += 1
                if stage.first_task_launched_time is None:
                    stage.first_task_launched_time = e.task_info.launch_time
                while len(stage.tasks) > self.limits.tasks:
                    stage.tasks.popitem(last=False)
                for job in self._jobs_of(stage):
                    job.num_active_tasks += 1
            ex = self._executors.get(e.task_info.executor_id)
            if ex is not None:
                ex.active_tasks += 1

    def on_task_end(self, e: le.TaskEnd) -> None:
        info, reason, metrics = e.task_info, e.reason, e.metrics
        status = "SUCCESS" if reason.succeeded else ("KILLED" if reason.kind == "TaskKilled" else "FAILED")
        with self._lock:
            self.events += 1
            stage = self._stages.get((e.stage_id, e.stage_attempt_id))
            if stage is not None:
                self._task_ended_in_stage(stage, e, status)
            ex = self._executors.get(info.executor_id)
            if ex is not None:
                ex.active_tasks = max(0, ex.active_tasks - 1)
                ex.total_duration += info.duration
                if status == "SUCCESS":
                    ex.completed_tasks += 1
                elif status == "FAILED":
                    ex.failed_tasks += 1
                if metrics is not None:
                    ex.total_gc_time += metrics.jvm_gc_time
                    ex.total_input_bytes += metrics.input_bytes
                    ex.total_shuffle_read += metrics.shuffle_read_bytes
                    ex.total_shuffle_write += metrics.shuffle_bytes_written

    def _task_ended_in_stage(self, stage: StageRecord, e: le.TaskEnd, status: str) -> None:
        info, metrics = e.task_info, e.metrics
        record = stage.tasks.get(info.task_id)
        if record is None:
            record = stage.tasks[info.task_id] = TaskRecord(info, e.stage_id, e.stage_attempt_id)
        else:
            stage.num_active_tasks = max(0, stage.num_active_tasks - 1)
        record.info, record.metrics = info, metrics
        record.error = e.reason.error_message() or None
        per_executor = stage.executors.setdefault(info.executor_id, ExecutorStageRecord())
        per_executor.task_time += info.duration
        new_index = False
        if status == "SUCCESS":
            stage.num_complete_tasks += 1
            per_executor.succeeded_tasks += 1
            new_index = info.index not in stage.completed_indices
            stage.completed_indices.add(info.index)
        elif status == "KILLED":
            stage.num_killed_tasks += 1
            per_executor.killed_tasks += 1
            stage.killed_summary[e.reason.message] = stage.killed_summary.get(e.reason.message, 0) + 1
        else:
            stage.num_failed_tasks += 1
            per_executor.failed_tasks += 1
        if metrics is not None:
            values = metrics.as_dict()
            for name, value in values.items():
                stage.metrics[name] += value
                per_executor.metrics[name] += value
        for job in self._jobs_of(stage):
            job.num_active_tasks = max(0, job.num_active_tasks - 1)
            if status == "SUCCESS":
                job.num_completed_tasks += 1
                if new_index:
                    job.completed_indices.add((stage.info.stage_id, info.index))
            elif status == "KILLED":
                job.num_killed_tasks += 1
                job.killed_summary[e.reason.message] = job.killed_summary.get(e.reason.message, 0) + 1
            else:
                job.num_failed_tasks += 1

    def _jobs_of(self, stage: StageRecord) -> Iterable[JobRecord]:
        for job_id in stage.job_ids:
            job = self._jobs.get(job_id)
            if job is not None and job.status == "RUNNING":
                yield job

    def on_block_updated(self, e: le.BlockUpdated) -> None:
        if not e.block_id.startswith("rdd_"):
            return
        parts = e.block_id.split("_")
        with self._lock:
            self.events += 1
            rdd = self._rdds.get(int(parts[1])) if len(parts) == 3 and parts[1].isdigit() else None
            if rdd is None:
                return
            holders = rdd.blocks.setdefault(e.block_id, {})
            if e.storage_level is None:  # dropped (an empty partition is still cached, at 0 bytes)
                holders.pop(e.executor_id, None)
                if not holders:
                    del rdd.blocks[e.block_id]
            else:
                holders[e.executor_id] = (e.memory_size, e.disk_size)

    def on_unpersist_rdd(self, e: le.UnpersistRDD) -> None:
        with self._lock:
            self.events += 1
            self._rdds.pop(e.rdd_id, None)

    def _trim_jobs(self) -> None:
        finished = [k for k, j in self._jobs.items() if j.status != "RUNNING"]
        for key in finished[:max(0, len(self._jobs) - self.limits.jobs)]:
            del self._jobs[key]

    def _trim_stages(self) -> None:
        finished = [k for k, s in self._stages.items() if s.status not in ("ACTIVE", "PENDING")]
        for key in finished[:max(0, len(self._stages) - self.limits.stages)]:
            del self._stages[key]
            if self._latest.get(key[0]) == key[1]:
                del self._latest[key[0]]

    # ================================================================= queries (copies)

    def application(self) -> AppRecord:
        with self._lock:
            return copy.copy(self.app)

    def jobs(self) -> list[JobRecord]:
        with self._lock:
            return [copy.copy(j) for j in reversed(self._jobs.values())]

    def job(self, job_id: int) -> JobRecord | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return copy.copy(job) if job is not None else None

    def stages(self) -> list[StageRecord]:
        """Every stage attempt, newest stage first, without its tasks (see ``stage``)."""
        with self._lock:
            out = []
            for stage in sorted(self._stages.values(), key=lambda s: (-s.info.stage_id, -s.info.attempt_id)):
                shallow = copy.copy(stage)
                shallow.tasks = OrderedDict()
                shallow.executors = {k: copy.copy(v) for k, v in stage.executors.items()}
                shallow.metrics = dict(stage.metrics)
                out.append(shallow)
            return out

    def stage_attempts(self, stage_id: int) -> list[StageRecord]:
        with self._lock:
            keys = sorted(k for k in self._stages if k[0] == stage_id)
            return [self._copy_stage(self._stages[k]) for k in keys]

    def stage(self, stage_id: int, attempt: int) -> StageRecord | None:
        with self._lock:
            stage = self._stages.get((stage_id, attempt))
            return self._copy_stage(stage) if stage is not None else None

    @staticmethod
    def _copy_stage(stage: StageRecord) -> StageRecord:
        out = copy.copy(stage)
        out.tasks = OrderedDict((k, copy.copy(t)) for k, t in stage.tasks.items())
        out.executors = {k: copy.copy(v) for k, v in stage.executors.items()}
        out.metrics = dict(stage.metrics)
        return out

    def executors(self, active_only: bool = False) -> list[ExecutorRecord]:
        with self._lock:
            found = [copy.copy(x) for x in self._executors.values() if x.is_active or not active_only]
            used: dict[str, list[int]] = {}
            for rdd in self._rdds.values():
                for holders in rdd.blocks.values():
                    for executor_id, (mem, disk) in holders.items():
                        totals = used.setdefault(executor_id, [0, 0, 0])
                        totals[0] += 1
                        totals[1] += mem
                        totals[2] += disk
        for ex in found:
            blocks, mem, disk = used.get(ex.executor_id, (0, 0, 0))
            ex.rdd_blocks, ex.memory_used, ex.disk_used = blocks, mem, disk  # type: ignore[attr-defined]
        return found

    def rdds(self) -> list[RDDRecord]:
        with self._lock:
            return [self._copy_rdd(r) for _, r in sorted(self._rdds.items())]

    def rdd(self, rdd_id: int) -> RDDRecord | None:
        with self._lock:
            found = self._rdds.get(rdd_id)
            return self._copy_rdd(found) if found is not None else None

    @staticmethod
    def _copy_rdd(rdd: RDDRecord) -> RDDRecord:
        out = copy.copy(rdd)
        out.blocks = {b: dict(h) for b, h in rdd.blocks.items()}
        return out

    # ------------------------------------------------------------------ the status tracker's view

    def job_ids_for_group(self, group: str | None) -> list[int]:
        with self._lock:
            return sorted(j for j, r in self._jobs.items() if r.job_group == group)

    def active_job_ids(self) -> list[int]:
        with self._lock:
            return sorted(j for j, r in self._jobs.items() if r.status == "RUNNING")

    def active_stage_ids(self) -> list[int]:
        with self._lock:
            return sorted({s for (s, _), r in self._stages.items() if r.status == "ACTIVE"})

    def job_info(self, job_id: int) -> tuple[list[int], str] | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else (list(job.stage_ids), job.status)

    def stage_progress(self, stage_id: int) -> tuple[int, str, int, int, int, int] | None:
        """(attempt, name, tasks, active, completed, failed) of the stage's latest attempt."""
        with self._lock:
            attempt = self._latest.get(stage_id)
            stage = self._stages.get((stage_id, attempt)) if attempt is not None else None
            if stage is None:
                return None
            return (stage.info.attempt_id, stage.info.name, stage.info.num_tasks, stage.num_active_tasks,
                    stage.num_complete_tasks, stage.num_failed_tasks)
