"""When a scheduler event handler raises: fail the jobs the event concerns, never swallow it.

A handler that raises has left its job's state half-updated: the job may never get the
status update, stage completion or cancellation it was waiting for, and its action would
wait forever. So, as Spark's ``DAGSchedulerEventProcessLoop.onError`` does, the jobs the
event concerns are failed at once with an error naming the event and the internal
exception (with its traceback). When the event cannot be tied to jobs (an executor came or
went, a timer fired), every active job is failed: a wrong answer or a hang is worse than a
failed action, and the context stays usable for the next one. ``recent`` keeps the last
reasons for inspection (``Runtime.scheduler_errors``).

THREADING: ``note_event`` and ``handler_failed`` run on the scheduler thread.
"""
from __future__ import annotations

import collections
import logging
import traceback
from typing import Any

from sparklite.errors import SparkliteJobError
from sparklite.scheduler import events as ev

log = logging.getLogger(__name__)

#: how many internal errors the context remembers
REMEMBERED = 20


class HandlerFailures:
    def __init__(self, dag: Any, task_scheduler: Any):
        self.dag = dag
        self.task_scheduler = task_scheduler
        #: the last internal errors, newest last: "event: exception"
        self.recent: collections.deque[str] = collections.deque(maxlen=REMEMBERED)
        #: the task a StatusUpdated being handled is about (its entry is gone once handled)
        self._task: Any = None

    def note_event(self, event: Any) -> None:
        """Remember, before the handler runs, what is needed to tell the event's jobs (None:
        the event was handled; forget it)."""
        self._task = self.task_scheduler.tasks.get(event.task_id) \
            if isinstance(event, ev.StatusUpdated) else None

    def handler_failed(self, event: Any, exc: BaseException) -> None:
        try:
            self._fail_jobs_of(event, exc)
        finally:
            self._task = None

    def _fail_jobs_of(self, event: Any, exc: BaseException) -> None:
        name = type(event).__name__
        reason = f"the scheduler failed while handling {name}: {type(exc).__name__}: {exc}"
        self.recent.append(reason)
        details = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        job_ids = self._jobs_of(event)
        if job_ids is None:
            job_ids = sorted(self.dag.jobs)
            log.error("%s; failing every active job (%s)", reason, job_ids or "none")
        else:
            log.error("%s; failing job(s) %s", reason, job_ids)
        for job_id in job_ids:
            self.dag.fail_job_after_internal_error(job_id, SparkliteJobError(
                f"Job {job_id} failed because {reason} (an internal error of sparklite; the "
                f"context stays usable)\n{details}", details, type(exc).__qualname__, exc))
        if isinstance(event, ev.JobSubmitted) and not event.waiter.done:
            # failed before the job was registered: nobody else can release its waiter
            event.waiter.job_failed(SparkliteJobError(
                f"Job {event.job_id} could not be submitted because {reason}\n{details}", details,
                type(exc).__qualname__, exc))

    def _jobs_of(self, event: Any) -> list[int] | None:
        """The jobs ``event`` is about; None when that cannot be told."""
        if isinstance(event, (ev.JobSubmitted, ev.JobCancelled)):
            return [event.job_id]
        if isinstance(event, ev.JobGroupCancelled):
            return sorted(j.job_id for j in self.dag.jobs.values() if j.group_id == event.group_id)
        if isinstance(event, ev.StatusUpdated) and self._task is not None:
            _, launch = self._task
            stage = self.dag.stages.get(launch.stage_id)
            return sorted(stage.job_ids) if stage is not None else [launch.job_id]
        return None
