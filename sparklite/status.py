"""StatusTracker: low-level status of jobs and stages, as PySpark's ``pyspark.status``.

:class:`JobProgressStore` is a scheduler listener (``scheduler/listener.py``):
the DAGScheduler tells it, on the scheduler thread, when jobs start and end,
when stages are submitted and complete, and when tasks start and end. It keeps
plain records under a lock, so :class:`StatusTracker` reads them from any
thread without touching scheduler state. Finished jobs and stages are
retained up to ``RETAINED`` each (oldest dropped first), as Spark's
``spark.ui.retainedJobs``/``retainedStages`` do.

These APIs intentionally provide very weak consistency semantics; consumers
should be prepared to handle empty / missing information.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

RETAINED = 1000


class SparkJobInfo(NamedTuple):
    """Exposes information about Spark Jobs."""

    jobId: int
    stageIds: list[int]
    status: str


class SparkStageInfo(NamedTuple):
    """Exposes information about Spark Stages."""

    stageId: int
    currentAttemptId: int
    name: str
    numTasks: int
    numActiveTasks: int
    numCompletedTasks: int
    numFailedTasks: int


@dataclass
class _JobRecord:
    group: str | None
    stage_ids: list[int]
    status: str = "RUNNING"


@dataclass
class _StageRecord:
    name: str
    attempt: int = 0
    num_tasks: int = 0
    active: int = 0
    completed: int = 0
    failed: int = 0
    running: bool = False
    job_ids: set[int] = field(default_factory=set)


def _ancestors(stage: Any) -> list[int]:
    ids: list[int] = []
    seen: set[int] = set()
    stack = [stage]
    while stack:
        s = stack.pop()
        if s.id in seen:
            continue
        seen.add(s.id)
        ids.append(s.id)
        stack.extend(s.parents)
    return sorted(ids)


class JobProgressStore:
    """Listener: turns scheduler notifications into job and stage records."""

    def __init__(self, retained: int = RETAINED):
        self._retained = retained
        self._jobs: OrderedDict[int, _JobRecord] = OrderedDict()
        self._stages: OrderedDict[int, _StageRecord] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ listener (scheduler thread)

    def job_started(self, job: Any, final_stage: Any) -> None:
        stage_ids = _ancestors(final_stage)
        with self._lock:
            self._jobs[job.job_id] = _JobRecord(job.group_id, stage_ids)
            for sid in stage_ids:
                stage = self._stages.get(sid)
                if stage is not None:
                    stage.job_ids.add(job.job_id)
            self._trim(self._jobs, lambda j: j.status != "RUNNING")

    def job_ended(self, job: Any, error: Any) -> None:
        with self._lock:
            record = self._jobs.get(job.job_id)
            if record is None:
                return
            record.status = "FAILED" if error is not None else "SUCCEEDED"
            for sid in record.stage_ids:
                stage = self._stages.get(sid)
                if stage is None:
                    continue
                stage.job_ids.discard(job.job_id)
                if stage.running and not any(self._jobs[j].status == "RUNNING"
                                             for j in stage.job_ids if j in self._jobs):
                    stage.running = False  # no job needs it any more: the scheduler dropped it
                    stage.active = 0

    def stage_submitted(self, stage: Any, partitions: list[int]) -> None:
        name = f"{type(stage.rdd).__name__}[{stage.rdd._rdd_id}]"
        with self._lock:
            record = self._stages.get(stage.id)
            if record is None:
                record = self._stages[stage.id] = _StageRecord(name)
            record.attempt = stage.latest_attempt
            record.num_tasks = len(partitions)
            record.active = record.completed = record.failed = 0
            record.running = True
            record.job_ids.update(j for j in stage.job_ids if j in self._jobs)
            self._trim(self._stages, lambda s: not s.running)

    def stage_completed(self, stage: Any, error: Any) -> None:
        with self._lock:
            record = self._stages.get(stage.id)
            if record is not None:
                record.running = False
                record.active = 0

    def task_started(self, stage: Any, launch: Any) -> None:
        with self._lock:
            record = self._stages.get(stage.id)
            if record is not None and launch.stage_attempt == record.attempt:
                record.active += 1

    def task_ended(self, stage: Any, launch: Any, succeeded: bool) -> None:
        with self._lock:
            record = self._stages.get(stage.id)
            if record is None or launch.stage_attempt != record.attempt:
                return
            record.active = max(0, record.active - 1)
            if succeeded:
                record.completed += 1
            else:
                record.failed += 1

    def _trim(self, table: OrderedDict, finished: Any) -> None:
        excess = len(table) - self._retained
        for key in [k for k, v in table.items() if finished(v)][:max(0, excess)]:
            del table[key]

    # ------------------------------------------------------------------ queries (any thread)

    def job_ids_for_group(self, group: str | None) -> list[int]:
        with self._lock:
            return sorted(j for j, r in self._jobs.items() if r.group == group)

    def active_job_ids(self) -> list[int]:
        with self._lock:
            return sorted(j for j, r in self._jobs.items() if r.status == "RUNNING")

    def active_stage_ids(self) -> list[int]:
        with self._lock:
            return sorted(s for s, r in self._stages.items() if r.running)

    def job_info(self, job_id: int) -> SparkJobInfo | None:
        with self._lock:
            r = self._jobs.get(job_id)
            return None if r is None else SparkJobInfo(job_id, list(r.stage_ids), r.status)

    def stage_info(self, stage_id: int) -> SparkStageInfo | None:
        with self._lock:
            r = self._stages.get(stage_id)
            if r is None:
                return None
            return SparkStageInfo(stage_id, r.attempt, r.name, r.num_tasks, r.active, r.completed,
                                  r.failed)


class StatusTracker:
    """Low-level status reporting APIs for monitoring job and stage progress.

    These APIs intentionally provide very weak consistency semantics;
    consumers of these APIs should be prepared to handle empty / missing
    information. For example, a job's stage ids may be known but the status
    API may not have any information about the details of those stages, so
    `getStageInfo` could potentially return `None` for a valid stage id.

    To limit memory usage, these APIs only provide information on recent
    jobs / stages. These APIs will provide information for the last
    `spark.ui.retainedStages` stages and `spark.ui.retainedJobs` jobs.

    >>> tracker = sc.statusTracker()
    >>> sc.setJobGroup("status-doc", "a documented job")
    >>> sc.parallelize(range(4), 2).count()
    4
    >>> for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
    ...     sc.setLocalProperty(key, None)
    >>> [job_id] = tracker.getJobIdsForGroup("status-doc")
    >>> tracker.getJobInfo(job_id).status in ("RUNNING", "SUCCEEDED")  # weakly consistent
    True
    >>> tracker.getStageInfo(tracker.getJobInfo(job_id).stageIds[0]).numTasks
    2
    """

    def __init__(self, store: JobProgressStore):
        self._store = store

    def getJobIdsForGroup(self, jobGroup: str | None = None) -> list[int]:
        """Return a list of all known jobs in a particular job group.  If
        `jobGroup` is None, then returns all known jobs that are not
        associated with a job group.

        The returned list may contain running, failed, and completed jobs,
        and may vary across invocations of this method. This method does
        not guarantee the order of the elements in its result.
        """
        return self._store.job_ids_for_group(jobGroup)

    def getActiveStageIds(self) -> list[int]:
        """Returns an array containing the ids of all active stages."""
        return self._store.active_stage_ids()

    def getActiveJobsIds(self) -> list[int]:
        """Returns an array containing the ids of all active jobs."""
        return self._store.active_job_ids()

    def getJobInfo(self, jobId: int) -> SparkJobInfo | None:
        """Returns a :class:`SparkJobInfo` object, or None if the job info
        could not be found or was garbage collected.
        """
        return self._store.job_info(jobId)

    def getStageInfo(self, stageId: int) -> SparkStageInfo | None:
        """Returns a :class:`SparkStageInfo` object, or None if the stage
        info could not be found or was garbage collected.
        """
        return self._store.stage_info(stageId)


__all__ = ["StatusTracker", "SparkJobInfo", "SparkStageInfo"]
