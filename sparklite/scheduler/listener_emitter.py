"""ListenerEmitter: turns what the scheduler just did into Spark's listener events.

The DAGScheduler, the TaskScheduler and the Runtime call it at their emission
points (marked ``# listener:``) with their own objects; it reads them at that
instant, on the scheduler thread, builds the frozen events of
``listener_events.py`` and posts them on the bus. This module is the only place
that knows both vocabularies: everything downstream sees events only.

It keeps what events need that the scheduler does not hold: the call site of
each job's action (set by the action's thread before the job is submitted),
each open stage attempt's info (submission time), and each running task's info
(launch time, host, locality).

THREADING: the scheduler thread, except ``set_job_call_site`` and ``post``.

Checklist when changing this module: every TaskStart gets exactly one TaskEnd
and every StageSubmitted one StageCompleted (an attempt that is abandoned
completes with a failure reason); nothing here may raise into the scheduler
(``_safe``).
"""
from __future__ import annotations

import functools
import logging
import threading
import time
from dataclasses import replace
from typing import Any, Callable

from sparklite import callsite
from sparklite.errors import ExceptionFailure, FetchFailure, TaskFailure, TaskKilledFailure
from sparklite.rdd.dependency import narrow_only, walk_lineage
from sparklite.scheduler import listener_events as le
from sparklite.storagelevel import StorageLevel

log = logging.getLogger(__name__)

#: TaskState values of the TaskStatus proto (sparklite.proto)
_FINISHED, _FAILED, _KILLED = 1, 2, 3


def now_ms() -> int:
    return int(time.time() * 1000)


def _safe(method: Callable[..., None]) -> Callable[..., None]:
    """An emission must never break scheduling: log and go on."""

    @functools.wraps(method)
    def guarded(self: ListenerEmitter, *args: Any) -> None:
        try:
            method(self, *args)
        except Exception:
            log.exception("listener emission %s failed", method.__name__)

    return guarded


def rdd_info(rdd: Any) -> le.RDDInfo:
    site = getattr(rdd, "_creation_site", None) or callsite.UNKNOWN
    name = rdd._name or type(rdd).__name__
    parents = tuple(dep.rdd._rdd_id for dep in rdd.dependencies())
    scope = site.short.split(" at ", 1)[0] if site.short else ""
    return le.RDDInfo(rdd._rdd_id, name, len(rdd.partitions()), rdd._storage_level, parents,
                      site.short, bool(getattr(rdd, "_from_barrier", False)), scope)


def end_reason(state: int, failure: TaskFailure | None) -> le.TaskEndReason:
    """Spark's TaskEndReason for a TaskStatus state and the executor's failure report."""
    if state == _FINISHED:
        return le.SUCCESS
    if isinstance(failure, FetchFailure):
        return le.TaskEndReason("FetchFailed", failure.message, executor_id=failure.executor_id,
                                shuffle_id=failure.shuffle_id, map_id=failure.map_task_id,
                                map_index=failure.map_index, reduce_id=failure.reduce_id)
    if state == _KILLED or isinstance(failure, TaskKilledFailure):
        message = failure.message if failure is not None else "task killed"
        return le.TaskEndReason("TaskKilled", message.removeprefix("task killed: "))
    if isinstance(failure, ExceptionFailure):
        class_name = failure.remote_type or "Exception"
        description = failure.message
        if description.startswith(class_name.rsplit(".", 1)[-1] + ": "):
            description = description.split(": ", 1)[1]
        return le.TaskEndReason("ExceptionFailure", description, class_name=class_name,
                                stack=_frames(failure.remote_traceback),
                                full_stack_trace=failure.remote_traceback)
    return le.TaskEndReason("UnknownReason", failure.message if failure is not None else "")


def _frames(traceback_text: str) -> tuple[tuple[str, str, str, int], ...]:
    """(declaring class, method, file, line) of each ``File "x", line n, in f`` of a traceback."""
    frames = []
    for line in traceback_text.splitlines():
        line = line.strip()
        if line.startswith('File "') and ", line " in line:
            path, _, rest = line[6:].partition('", line ')
            number, _, function = rest.partition(", in ")
            module = path.rsplit("/", 1)[-1].removesuffix(".py")
            frames.append((module, function or "<module>", path, int(number) if number.isdigit() else -1))
    return tuple(reversed(frames))  # innermost first, as a JVM stack trace


class ListenerEmitter:
    def __init__(self, post: Callable[[Any], None], clock_ms: Callable[[], int] = now_ms):
        self._post = post
        self._clock = clock_ms
        self._call_sites: dict[int, le.CallSite] = {}
        self._call_site_lock = threading.Lock()
        #: (stage id, attempt) -> (info as submitted, the scheduler's stage) for open attempts
        self._open: dict[tuple[int, int], tuple[le.StageInfo, Any]] = {}
        #: stage id -> its RDD infos (a stage's lineage never changes)
        self._rdd_infos: dict[int, tuple[le.RDDInfo, ...]] = {}
        #: task id -> info of a running attempt
        self._tasks: dict[int, le.TaskInfo] = {}
        #: executor id -> (host, block service port) of announced executors
        self._executors: dict[str, tuple[str, int]] = {}

    def post(self, event: Any) -> None:
        self._post(event)

    # ------------------------------------------------------------------ user threads

    def set_job_call_site(self, job_id: int, site: le.CallSite) -> None:
        with self._call_site_lock:
            self._call_sites[job_id] = site

    def _job_call_site(self, job_id: int, pop: bool = False) -> le.CallSite | None:
        with self._call_site_lock:
            return self._call_sites.pop(job_id, None) if pop else self._call_sites.get(job_id)

    # ------------------------------------------------------------------ stages

    def _stage_rdd_infos(self, stage: Any) -> tuple[le.RDDInfo, ...]:
        infos = self._rdd_infos.get(stage.id)
        if infos is None:
            # the stage's own RDD first, then its narrow ancestors (shuffles end the stage)
            infos = tuple(rdd_info(r) for r, _ in walk_lineage(stage.rdd, narrow_only))
            self._rdd_infos[stage.id] = infos
        return infos

    def _stage_info(self, stage: Any, num_tasks: int, attempt: int, partitions: tuple[int, ...] = (),
                    submission_time: int | None = None) -> le.StageInfo:
        is_map = stage.__class__.__name__ == "ShuffleMapStage"
        site = None
        job = getattr(stage, "active_job", None)
        if not is_map and job is not None:
            site = self._job_call_site(job.job_id)
        if site is None and is_map:  # named after the operation that shuffles, as PySpark's stages
            site = getattr(stage.shuffle_dep, "creation_site", None)
        if site is None:
            site = getattr(stage.rdd, "_creation_site", None) or callsite.UNKNOWN
        return le.StageInfo(stage.id, max(0, attempt), site.short, num_tasks, self._stage_rdd_infos(stage),
                            tuple(sorted(p.id for p in stage.parents)), site.long, is_map,
                            submission_time, None, None, stage.shuffle_id if is_map else None,
                            partitions)

    def stage_removed(self, stage_id: int) -> None:
        """The scheduler forgot the stage (no job needs it): so does the emitter."""
        self._rdd_infos.pop(stage_id, None)

    @_safe
    def job_started(self, job: Any, final_stage: Any) -> None:
        stages: list[Any] = []
        seen: set[int] = set()
        stack = [final_stage]
        while stack:
            s = stack.pop()
            if s.id not in seen:
                seen.add(s.id)
                stages.append(s)
                stack.extend(s.parents)
        stages.sort(key=lambda s: s.id)
        infos = tuple(self._stage_info(s, s.num_tasks, s.latest_attempt) for s in stages)
        properties = dict(job.properties)
        site = self._job_call_site(job.job_id)
        if site is not None:
            properties["callSite.short"] = site.short
            properties["callSite.long"] = site.long
        self._post(le.JobStart(job.job_id, self._clock(), infos, properties))

    @_safe
    def job_ended(self, job: Any, error: BaseException | None) -> None:
        # attempts of stages no job needs any more were cancelled with the job (Spark marks them failed)
        reason = f"Job {job.job_id} ended: {error}" if error is not None else \
            f"Job {job.job_id} finished; the stage is no longer needed"
        for key, (_, stage) in list(self._open.items()):
            if not stage.job_ids:
                self._complete(key, reason)
        self._job_call_site(job.job_id, pop=True)
        final = getattr(job, "final_stage", None)
        if final is not None:  # result stages are never reused: their RDD infos can go
            self._rdd_infos.pop(final.id, None)
        self._post(le.JobEnd(job.job_id, self._clock(), error is None,
                             None if error is None else f"{type(error).__name__}: {error}"))

    @_safe
    def stage_submitted(self, stage: Any, partitions: list[int]) -> None:
        key = (stage.id, stage.latest_attempt)
        info = self._stage_info(stage, len(partitions), stage.latest_attempt, tuple(partitions),
                                self._clock())
        self._open[key] = (info, stage)
        job = getattr(stage, "active_job", None)
        properties = dict(job.properties) if job is not None else {}
        self._post(le.StageSubmitted(info, properties))

    @_safe
    def stage_completed(self, stage: Any, failure: Any) -> None:
        """The stage's open attempts end: all tasks done (``failure`` None) or abandoned."""
        for key in [k for k in self._open if k[0] == stage.id]:
            self._complete(key, None if failure is None else str(failure))

    def _complete(self, key: tuple[int, int], failure: str | None) -> None:
        info, _ = self._open.pop(key)
        self._post(le.StageCompleted(replace(info, completion_time=self._clock(), failure_reason=failure)))

    # ------------------------------------------------------------------ tasks

    @staticmethod
    def locality(task_set: Any, index: int, executor_id: str, host: str) -> str:
        """Spark's TaskLocality of a launch: on an executor caching its input, on its host,
        anywhere for a task with no preference (PROCESS_LOCAL, as Spark labels those), or ANY."""
        executors = task_set.preferred_executors[index]
        hosts = task_set.preferred_hosts[index]
        if executor_id in executors or not (executors or hosts):
            return le.PROCESS_LOCAL
        if host in hosts:
            return le.NODE_LOCAL
        return le.ANY

    @_safe
    def task_started(self, launch: Any, task_set: Any, host: str) -> None:
        info = le.TaskInfo(launch.task_id, launch.index, launch.attempt_number, launch.partition,
                           self._clock(), launch.executor_id, host,
                           self.locality(task_set, launch.index, launch.executor_id, host))
        self._tasks[launch.task_id] = info
        self._post(le.TaskStart(launch.stage_id, launch.stage_attempt, info))

    @_safe
    def task_ended(self, launch: Any, task_set: Any, state: int, failure: TaskFailure | None,
                   metrics: Any) -> None:
        reason = end_reason(state, failure)
        if reason.kind == "FetchFailed" and reason.executor_id in self._executors:
            host, port = self._executors[reason.executor_id]
            reason = replace(reason, host=host, port=port)  # the block manager Spark's log names
        self._end_task(launch, task_set, reason, None if metrics is None else le.metrics_from_values(metrics))

    @_safe
    def task_lost(self, launch: Any, task_set: Any, executor_id: str, reason: str) -> None:
        """A running attempt died with its executor (Spark's ExecutorLostFailure)."""
        self._end_task(launch, task_set, le.TaskEndReason("ExecutorLostFailure", reason,
                                                          executor_id=executor_id,
                                                          exit_caused_by_app=False), None)

    def _end_task(self, launch: Any, task_set: Any, reason: le.TaskEndReason,
                  metrics: le.TaskMetrics | None) -> None:
        started = self._tasks.pop(launch.task_id, None)
        if started is None:
            return
        info = replace(started, finish_time=self._clock(), failed=not reason.succeeded and reason.kind != "TaskKilled",
                       killed=reason.kind == "TaskKilled")
        task_type = "ShuffleMapTask" if task_set.is_shuffle_map else "ResultTask"
        self._post(le.TaskEnd(launch.stage_id, launch.stage_attempt, task_type, reason, info, metrics))

    # ------------------------------------------------------------------ executors and blocks

    @_safe
    def executor_added(self, executor_id: str, host: str, cores: int, block_address: str,
                       log_urls: dict[str, str], max_memory: int) -> None:
        port = block_address.rpartition(":")[2]
        self._executors[executor_id] = (host, int(port) if port.isdigit() else 0)
        now = self._clock()
        self._post(le.ExecutorAdded(now, executor_id, host, cores, dict(log_urls)))
        self._post(le.BlockManagerAdded(now, executor_id, host, self._executors[executor_id][1],
                                        max_memory, max_memory, 0))

    @_safe
    def executor_removed(self, executor_id: str, reason: str) -> None:
        address = self._executors.pop(executor_id, None)
        if address is None:
            return
        now = self._clock()
        self._post(le.BlockManagerRemoved(now, executor_id, *address))
        self._post(le.ExecutorRemoved(now, executor_id, reason))

    @_safe
    def block_updated(self, executor_id: str, block_id: str, level: str, memory_size: int,
                      disk_size: int) -> None:
        host, port = self._executors.get(executor_id, ("", 0))
        storage = StorageLevel.from_string(level) if level else None
        self._post(le.BlockUpdated(executor_id, host, port, block_id, storage, memory_size, disk_size))
