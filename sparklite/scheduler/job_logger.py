"""JobLogger: the INFO lines Spark's driver logs about jobs, stages and tasks, from listener events.

``sc.setLogLevel("INFO")`` then shows, as Spark's log does::

    Starting job 0 (count at x.py:3) with 4 output partitions
    Submitting 4 missing tasks from ResultStage 0 (PipelinedRDD[1] at count at x.py:3)
    Starting task 1.0 in stage 0.0 (TID 1) (127.0.0.1, executor 0, partition 1, PROCESS_LOCAL)
    Finished task 1.0 in stage 0.0 (TID 1) in 12 ms on 127.0.0.1 (executor 0) (2/4)
    ResultStage 0 (count at x.py:3) finished in 0.051 s
    Job 0 finished: count at x.py:3, took 0.412 s

Lines go to loggers named like Spark's classes (``sparklite.scheduler.dag_scheduler``,
``sparklite.scheduler.task_set_manager``), so ``%(name)s`` reads as in Spark. Failed
tasks are WARN. Nothing is formatted while INFO is off.

THREADING: the listener bus's ``appStatus`` thread.
"""
from __future__ import annotations

import logging

from sparklite.scheduler import listener_events as le

dag_log = logging.getLogger("sparklite.scheduler.dag_scheduler")
task_log = logging.getLogger("sparklite.scheduler.task_set_manager")


def _kind(info: le.StageInfo) -> str:
    return "ShuffleMapStage" if info.is_shuffle_map else "ResultStage"


class JobLogger:
    def __init__(self) -> None:
        #: (stage id, attempt) -> [tasks succeeded, tasks of the attempt]
        self._progress: dict[tuple[int, int], list[int]] = {}
        #: job id -> (name, submission time)
        self._jobs: dict[int, tuple[str, int]] = {}

    def on_job_start(self, e: le.JobStart) -> None:
        name = e.properties.get("callSite.short") or (e.stage_infos[-1].name if e.stage_infos else "")
        self._jobs[e.job_id] = (name, e.time)
        if dag_log.isEnabledFor(logging.INFO):
            outputs = e.stage_infos[-1].num_tasks if e.stage_infos else 0
            dag_log.info("Starting job %d (%s) with %d output partitions", e.job_id, name, outputs)

    def on_job_end(self, e: le.JobEnd) -> None:
        name, started = self._jobs.pop(e.job_id, ("", e.time))
        if dag_log.isEnabledFor(logging.INFO):
            took = (e.time - started) / 1000.0
            if e.succeeded:
                dag_log.info("Job %d finished: %s, took %.3f s", e.job_id, name, took)
            else:
                dag_log.info("Job %d failed: %s, took %.3f s", e.job_id, name, took)

    def on_stage_submitted(self, e: le.StageSubmitted) -> None:
        info = e.stage_info
        self._progress[(info.stage_id, info.attempt_id)] = [0, info.num_tasks]
        if dag_log.isEnabledFor(logging.INFO):
            rdd = info.rdd_infos[0] if info.rdd_infos else None
            label = f"{rdd.name}[{rdd.rdd_id}] at {rdd.callsite}" if rdd else info.name
            shown = list(info.partitions[:15])
            dag_log.info("Submitting %d missing tasks from %s %d (%s) (first 15 tasks are for "
                         "partitions %s)", info.num_tasks, _kind(info), info.stage_id, label, shown)

    def on_stage_completed(self, e: le.StageCompleted) -> None:
        info = e.stage_info
        self._progress.pop((info.stage_id, info.attempt_id), None)
        if dag_log.isEnabledFor(logging.INFO):
            took = ((info.completion_time or 0) - (info.submission_time or 0)) / 1000.0
            if info.failure_reason is None:
                dag_log.info("%s %d (%s) finished in %.3f s", _kind(info), info.stage_id, info.name, took)
            else:
                dag_log.info("%s %d (%s) failed in %.3f s due to %s", _kind(info), info.stage_id,
                             info.name, took, info.failure_reason)

    def on_task_start(self, e: le.TaskStart) -> None:
        if task_log.isEnabledFor(logging.INFO):
            t = e.task_info
            task_log.info("Starting task %d.%d in stage %d.%d (TID %d) (%s, executor %s, partition %d, %s)",
                          t.index, t.attempt, e.stage_id, e.stage_attempt_id, t.task_id, t.host,
                          t.executor_id, t.partition_id, t.locality)

    def on_task_end(self, e: le.TaskEnd) -> None:
        t = e.task_info
        progress = self._progress.get((e.stage_id, e.stage_attempt_id))
        if e.reason.succeeded:
            if progress is not None:
                progress[0] += 1
            if task_log.isEnabledFor(logging.INFO):
                done, total = progress if progress is not None else (0, 0)
                task_log.info("Finished task %d.%d in stage %d.%d (TID %d) in %d ms on %s (executor %s) "
                              "(%d/%d)", t.index, t.attempt, e.stage_id, e.stage_attempt_id, t.task_id,
                              t.duration, t.host, t.executor_id, done, total)
        elif e.reason.kind == "TaskKilled":
            task_log.info("Killed task %d.%d in stage %d.%d (TID %d) on %s (executor %s): %s", t.index,
                          t.attempt, e.stage_id, e.stage_attempt_id, t.task_id, t.host, t.executor_id,
                          e.reason.message)
        else:
            first_line = e.reason.error_message().strip().splitlines()
            task_log.warning("Lost task %d.%d in stage %d.%d (TID %d) (%s executor %s): %s", t.index,
                             t.attempt, e.stage_id, e.stage_attempt_id, t.task_id, t.host, t.executor_id,
                             first_line[-1] if first_line else e.reason.kind)
