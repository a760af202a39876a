"""DAGScheduler: turns an action into stages, runs them in dependency order, repairs lost output.

Model
-----
A job's final RDD is cut at every ShuffleDependency: the part after the last
cut is the ResultStage; each shuffle gets a ShuffleMapStage, shared by the
active jobs that need it, whose outputs are tracked by the MapOutputTracker. A
stage is submitted once all its parents are available; it runs only its
*missing* partitions, so a later job re-using a shuffle skips the stage, and a
stage whose outputs were partly lost reruns exactly those partitions.

Stages live only while some active job needs them (as in Spark): a stage holds
its lineage, and the ShuffleDependency of a shuffle the driver program dropped
must be collectable, so the ContextCleaner can delete its files (cleaner.py).
The map outputs outlive the stage in the MapOutputTracker; a later job makes a
new stage for the shuffle and finds them there. A job that fails or is
cancelled leaves no partial map outputs behind: the shuffles it alone needed
that are incomplete are forgotten and their files deleted.

Failure semantics
-----------------
* A task that keeps failing aborts its stage after ``spark.task.maxFailures``
  attempts (counted by the TaskSetManager); every job needing the stage fails
  with the user's remote traceback.
* A FetchFailure stops the reading stage's attempt, unregisters the missing
  map output (and every output of the executor it came from), parks both
  stages in ``failed``, and resubmits them shortly after; the map stage reruns
  its missing partitions and the reduce stage resumes once it is available.
  ``spark.stage.maxConsecutiveAttempts`` consecutive fetch-failed attempts abort the
  stage, and an executor blamed for repeated fetch failures is removed (and replaced).
  Only fetch failures from executors still alive count (a dead executor's outputs are
  simply recomputed), and an attempt that completes a partition resets the count: a
  job keeps going as long as it makes progress (issue 11: an iterative job under
  executor kills used to abort after four losses in a row).
* Executor loss unregisters that executor's map outputs and cached blocks;
  running task sets re-pend its tasks (not counted as failures), and stages
  reading a shuffle that lost outputs are retried at once instead of waiting
  for their tasks to meet fetch failures.

THREADING: every method runs on the scheduler thread (see event_loop.py),
so none of the state below needs a lock.

Checklist when changing this module: a job must end (succeed or fail) exactly
once; a stage leaves ``running`` before it is resubmitted; when you add a data
structure, clear it in ``_cleanup_job`` and check it in ``assert_no_state_left``.
"""
from __future__ import annotations

import logging
import pickle
import time
from typing import Any, Callable

from sparklite import serializers
from sparklite.errors import (ExceptionFailure, FetchFailure, JobCancelledError, SparkliteError,
                              TaskFailure, job_error)
from sparklite.rdd.dependency import NarrowDependency, ShuffleDependency, narrow_only, walk_lineage
from sparklite.scheduler import events as ev
from sparklite.scheduler.job import ActiveJob
from sparklite.scheduler.map_output_tracker import MapOutputTracker
from sparklite.scheduler.stage import ResultStage, ShuffleMapStage, Stage
from sparklite.scheduler.stage_requirements import stage_requirements
from sparklite.scheduler.task import ResultBody, ShuffleMapBody, TaskLaunch, TaskSet
from sparklite.shuffle.map_status import ShuffleWriteSpec

log = logging.getLogger(__name__)

RESUBMIT_DELAY = 0.1
#: fetch failures blamed on one live executor before it is removed (and replaced)
MAX_FETCH_FAILURES_PER_EXECUTOR = 2


class DAGScheduler:
    def __init__(self, task_scheduler: Any, tracker: MapOutputTracker, block_master: Any,
                 accumulators: Any, post_delayed: Callable[[float, Any], None],
                 listener: Any = None, max_stage_attempts: int = 4):
        self.task_scheduler = task_scheduler
        task_scheduler.dag = self
        self.tracker = tracker
        self.block_master = block_master
        self.accumulators = accumulators
        self._post_delayed = post_delayed
        #: the ListenerEmitter: job and stage lifecycle calls become listener events (issue 13)
        self.listener = listener
        self._next_stage_id = 0
        #: stage id -> stage, for every stage some active job needs (+ shuffle stages kept for reuse)
        self.stages: dict[int, Stage] = {}
        #: shuffle id -> its map stage; kept across jobs so later jobs reuse outputs
        self.shuffle_stages: dict[int, ShuffleMapStage] = {}
        self.waiting: set[Stage] = set()
        self.running: set[Stage] = set()
        self.failed: set[Stage] = set()
        self.jobs: dict[int, ActiveJob] = {}
        self._resubmit_scheduled = False
        #: spark.stage.maxConsecutiveAttempts: fetch-failed attempts of one stage before it aborts
        self.max_stage_attempts = max_stage_attempts
        #: executor id -> fetch failures blamed on it since it registered
        self.fetch_failures_from: dict[str, int] = {}
        #: spark.scheduler.resource.profileMergeConflicts (set by the Runtime)
        self.profile_merge_conflicts = False
        #: told when a stage is dropped (executors forget its binary) (set by the Runtime)
        self.on_stage_removed: Callable[[int], None] = lambda stage_id: None
        #: told to delete a shuffle's files on every executor (set by the Runtime)
        self.on_shuffle_removed: Callable[[int], None] = lambda shuffle_id: None
        #: told to delete files an attempt wrote for a forgotten shuffle on one executor
        self.on_orphan_output: Callable[[str, int], None] = lambda executor_id, shuffle_id: None

    # ================================================================= events

    def handle(self, event: Any) -> None:
        if isinstance(event, ev.JobSubmitted):
            self.job_submitted(event)
        elif isinstance(event, ev.JobCancelled):
            self.cancel_jobs([event.job_id], event.reason)
        elif isinstance(event, ev.JobGroupCancelled):
            ids = [j.job_id for j in self.jobs.values() if j.group_id == event.group_id]
            self.cancel_jobs(ids, event.reason)
        elif isinstance(event, ev.AllJobsCancelled):
            self.cancel_jobs(list(self.jobs), event.reason)
        elif isinstance(event, ev.FailedStagesResubmitted):
            self.resubmit_failed_stages()
        else:
            raise TypeError(f"DAGScheduler cannot handle {event!r}")

    # ================================================================= stage graph

    def _new_stage_id(self) -> int:
        sid = self._next_stage_id
        self._next_stage_id += 1
        return sid

    @staticmethod
    def _shuffle_deps_of(rdd: Any) -> list[ShuffleDependency]:
        """The shuffle dependencies reachable from ``rdd`` through narrow ones."""
        found: dict[int, ShuffleDependency] = {}
        for _, deps in walk_lineage(rdd, narrow_only):
            for dep in deps:
                if isinstance(dep, ShuffleDependency):
                    found.setdefault(dep.shuffle_id, dep)
        return list(found.values())

    def _parent_stages(self, rdd: Any, job_id: int) -> tuple[list[Stage], list[int]]:
        deps = self._shuffle_deps_of(rdd)
        return [self._shuffle_stage_for(d, job_id) for d in deps], [d.shuffle_id for d in deps]

    def _shuffle_stage_for(self, dep: ShuffleDependency, job_id: int) -> ShuffleMapStage:
        """The map stage of ``dep``, creating it and its missing ancestors oldest first."""
        if dep.shuffle_id in self.shuffle_stages:
            return self.shuffle_stages[dep.shuffle_id]
        # find ancestors without a stage, then create them from the oldest (no recursion)
        order: list[ShuffleDependency] = []
        stack, seen = [dep], set()
        while stack:
            d = stack.pop()
            if d.shuffle_id in seen or d.shuffle_id in self.shuffle_stages:
                continue
            seen.add(d.shuffle_id)
            order.append(d)
            stack.extend(self._shuffle_deps_of(d.rdd))
        for d in reversed(order):
            if d.shuffle_id in self.shuffle_stages:
                continue
            parents, parent_ids = self._parent_stages(d.rdd, job_id)
            n = len(d.rdd.partitions())
            stage = ShuffleMapStage(self._new_stage_id(), d.rdd, n, parents, job_id, parent_ids, d)
            self.tracker.register_shuffle(d.shuffle_id, n)
            self.shuffle_stages[d.shuffle_id] = stage
            self.stages[stage.id] = stage
        return self.shuffle_stages[dep.shuffle_id]

    def _mark_job_on_ancestors(self, stage: Stage, job_id: int) -> None:
        stack, seen = [stage], set()
        while stack:
            s = stack.pop()
            if s.id not in seen:
                seen.add(s.id)
                s.job_ids.add(job_id)
                stack.extend(s.parents)

    def _is_available(self, stage: Stage) -> bool:
        if isinstance(stage, ShuffleMapStage):
            return self.tracker.is_available(stage.shuffle_id)
        return False

    # ================================================================= jobs

    def job_submitted(self, event: ev.JobSubmitted) -> None:
        try:
            parents, parent_ids = self._parent_stages(event.rdd, event.job_id)
            stage = ResultStage(self._new_stage_id(), event.rdd, event.func, event.partitions, parents,
                                event.job_id, parent_ids)
        except Exception as exc:  # planning failed: missing input path, bad partitioner...
            event.waiter.job_failed(exc)
            return
        job = ActiveJob(event.job_id, stage, event.waiter, event.properties)
        stage.active_job = job
        self.stages[stage.id] = stage
        self.jobs[job.job_id] = job
        self._mark_job_on_ancestors(stage, job.job_id)
        self._notify("job_started", job, stage)
        if job.num_partitions == 0:
            self._finish_job(job)
            return
        self.submit_stage(stage)

    def _finish_job(self, job: ActiveJob) -> None:
        self._cleanup_job(job)
        self._notify("job_ended", job, None)

    def _fail_job(self, job: ActiveJob, error: BaseException) -> None:
        job.waiter.job_failed(error)
        self._cleanup_job(job, failed=True)
        self._notify("job_ended", job, error)

    def _cleanup_job(self, job: ActiveJob, failed: bool = False) -> None:
        """Forget the job and every stage no other active job needs."""
        self.jobs.pop(job.job_id, None)
        for stage in list(self.stages.values()):
            stage.job_ids.discard(job.job_id)
            if stage.job_ids:
                continue
            if stage in self.running:
                self.task_scheduler.cancel_stage(stage.id, "no job needs this stage any more")
            self.running.discard(stage)
            self.waiting.discard(stage)
            self.failed.discard(stage)
            self._remove_stage(stage, failed)

    def _remove_stage(self, stage: Stage, job_failed: bool) -> None:
        del self.stages[stage.id]
        self.accumulators.forget_stage(stage.id)
        self._notify("stage_removed", stage.id)  # listener: forget what it kept of the stage
        self.on_stage_removed(stage.id)
        if isinstance(stage, ResultStage):
            stage.active_job = None  # no stage <-> job cycle: the lineage is freed at once
            return
        assert isinstance(stage, ShuffleMapStage)
        if self.shuffle_stages.get(stage.shuffle_id) is stage:
            del self.shuffle_stages[stage.shuffle_id]
        if job_failed and not self.tracker.is_available(stage.shuffle_id):
            # see the module notes: a failed job leaves no partial map outputs (issue 11)
            self.tracker.unregister_shuffle(stage.shuffle_id)
            self.on_shuffle_removed(stage.shuffle_id)

    def cancel_jobs(self, job_ids: list[int], reason: str) -> None:
        for job_id in job_ids:
            job = self.jobs.get(job_id)
            if job is not None:
                self._fail_job(job, JobCancelledError(f"Job {job_id} cancelled: {reason}"))

    def fail_job_after_internal_error(self, job_id: int, error: BaseException) -> None:
        """A handler raised while this job's state was changing: fail the job, releasing its
        waiter even if clean-up meets the same inconsistency (see handler_failures.py)."""
        job = self.jobs.get(job_id)
        if job is None:
            return
        try:
            self._fail_job(job, error)
        except Exception:
            log.exception("cleaning up job %d after an internal error failed", job_id)
            self.jobs.pop(job_id, None)
            job.waiter.job_failed(error)

    def stop(self, reason: str) -> None:
        for job in list(self.jobs.values()):
            self._fail_job(job, JobCancelledError(f"Job {job.job_id} cancelled because {reason}"))

    # ================================================================= stages

    def submit_stage(self, stage: Stage) -> None:
        if stage in self.waiting or stage in self.running or stage in self.failed:
            return
        if not stage.job_ids:
            return
        missing = [p for p in stage.parents if not self._is_available(p)]
        if not missing:
            self._submit_missing_tasks(stage)
            return
        for parent in missing:
            self.submit_stage(parent)
        self.waiting.add(stage)

    def _missing_partitions(self, stage: Stage) -> list[int]:
        if isinstance(stage, ShuffleMapStage):
            return self.tracker.missing(stage.shuffle_id)
        assert isinstance(stage, ResultStage)
        job = stage.active_job
        return [p for i, p in enumerate(stage.partitions) if not job.finished[i]]

    def _stage_binary(self, stage: Stage) -> bytes:
        if stage.binary is None:
            if isinstance(stage, ShuffleMapStage):
                dep = stage.shuffle_dep
                spec = ShuffleWriteSpec(dep.shuffle_id, dep.partitioner, dep.aggregator, dep.map_side_combine)
                body: Any = ShuffleMapBody(stage.rdd, spec)
                what = f"the lineage of shuffle stage {stage.id} ({_rdd_label(stage.rdd)})"
            else:
                assert isinstance(stage, ResultStage)
                body = ResultBody(stage.rdd, stage.func)
                what = f"the lineage of result stage {stage.id} ({_rdd_label(stage.rdd)})"
            stage.binary = serializers.dumps_closure(body, what)
        return stage.binary

    def _submit_missing_tasks(self, stage: Stage) -> None:
        partitions = self._missing_partitions(stage)
        try:
            requirements = stage_requirements(stage.rdd, stage.num_tasks, self.profile_merge_conflicts)
            if requirements.barrier and isinstance(stage, ShuffleMapStage) and \
                    0 < len(partitions) < stage.num_tasks:
                # a barrier stage runs as one gang: lost outputs mean running every task again
                for index in range(stage.num_tasks):
                    self.tracker.unregister_map_output(stage.shuffle_id, index, -1)
                partitions = self._missing_partitions(stage)
            binary = self._stage_binary(stage)
            preferred = [self._preferred_locations(stage.rdd, p) for p in partitions]
        except Exception as exc:
            self._abort_stage(stage, f"Stage {stage.id} could not be prepared: {exc}", exc)
            return
        stage.latest_attempt += 1
        stage.pending_partitions = set(partitions)
        if not partitions:
            self._stage_completed(stage)
            return
        self.running.add(stage)
        job_id = min(stage.job_ids)
        job = self.jobs.get(job_id)
        locations = {sid: self.tracker.statuses(sid) for sid in stage.parent_shuffle_ids}
        task_set = TaskSet(
            stage_id=stage.id, stage_attempt=stage.latest_attempt, job_id=job_id,
            partitions=partitions, preferred_executors=[p for p in preferred],
            preferred_hosts=[[] for _ in partitions], binary=binary,
            map_locations=pickle.dumps(locations, serializers.PROTOCOL),
            is_shuffle_map=isinstance(stage, ShuffleMapStage),
            shuffle_id=stage.shuffle_id if isinstance(stage, ShuffleMapStage) else -1,
            properties=dict(job.properties) if job else {}, priority=(job_id, stage.id),
            cpus_per_task=requirements.cpus, is_barrier=requirements.barrier,
            custom_resources=(None if requirements.custom_resources is None
                              else dict(requirements.custom_resources)),
            executor_profile=requirements.executor_profile)
        self._notify("stage_submitted", stage, partitions)
        log.debug("submitting stage %d attempt %d: %d tasks", stage.id, stage.latest_attempt, len(partitions))
        self.task_scheduler.submit_tasks(task_set)

    def _preferred_locations(self, rdd: Any, partition: int) -> list[str]:
        """Executors caching this partition, or (through narrow deps) its first cached ancestor."""
        stack = [(rdd, partition)]
        seen: set[tuple[int, int]] = set()
        while stack:
            r, p = stack.pop(0)
            if (id(r), p) in seen:
                continue
            seen.add((id(r), p))
            if r._storage_level.is_valid and self.block_master is not None:
                holders = self.block_master.executors_with(f"rdd_{r._rdd_id}_{p}")
                if holders:
                    return holders
            for dep in r.dependencies():
                if isinstance(dep, NarrowDependency):
                    stack.extend((dep.rdd, q) for q in dep.get_parents(p))
        return []

    def _stage_completed(self, stage: Stage) -> None:
        self.running.discard(stage)
        stage.fetch_failed_attempts.clear()
        self._notify("stage_completed", stage, None)
        if isinstance(stage, ShuffleMapStage):
            if not self.tracker.is_available(stage.shuffle_id):
                # outputs were lost while the stage ran (executor died): run what is missing
                self.submit_stage(stage)
                return
            for child in sorted(self.waiting, key=lambda s: s.first_job_id):
                if stage in child.parents:
                    self.waiting.discard(child)
                    self.submit_stage(child)

    def _abort_stage(self, stage: Stage, message: str, cause: BaseException | None = None,
                     failure: TaskFailure | None = None) -> None:
        if isinstance(cause, SparkliteError):
            error: BaseException = cause
        elif isinstance(failure, ExceptionFailure):
            error = job_error(f"{message}\n{failure.remote_traceback}", failure.remote_traceback,
                              failure.remote_type, failure.exception())
        else:
            error = job_error(message, cause=cause if isinstance(cause, Exception) else None)
        self.running.discard(stage)
        self._notify("stage_completed", stage, message)  # listener: the attempt failed
        for job in [self.jobs[j] for j in sorted(stage.job_ids) if j in self.jobs]:
            self._fail_job(job, error)

    # ================================================================= task outcomes

    def task_succeeded(self, launch: TaskLaunch, task_set: TaskSet, result: bytes,
                       accumulator_updates: bytes) -> None:
        stage = self.stages.get(launch.stage_id)
        if stage is None:
            self._late_attempt_ended(launch, task_set)
            return
        if accumulator_updates:
            self.accumulators.merge(stage.id, launch.partition, pickle.loads(accumulator_updates))
        if not task_set.is_barrier:  # a gang makes progress only as a whole
            stage.fetch_failed_attempts.clear()  # progress: the stage's patience starts afresh
        if isinstance(stage, ResultStage):
            job = stage.active_job
            index = stage.output_index[launch.partition]
            if job is None or job.finished[index] or job.job_id not in self.jobs:
                return
            job.finished[index] = True
            job.num_finished += 1
            job.waiter.task_succeeded(index, result)
            stage.pending_partitions.discard(launch.partition)
            if job.num_finished == job.num_partitions:
                self.running.discard(stage)
                self._notify("stage_completed", stage, None)
                self._finish_job(job)
            return
        assert isinstance(stage, ShuffleMapStage)
        if launch.executor_id not in self.task_scheduler.executors:
            return  # its executor died after reporting; the output is gone with it
        if not self.tracker.has_shuffle(stage.shuffle_id):
            self._late_attempt_ended(launch, task_set)
            return
        self.tracker.register_map_output(stage.shuffle_id, launch.partition, pickle.loads(result))
        stage.pending_partitions.discard(launch.partition)
        if stage in self.running and not stage.pending_partitions:
            self._stage_completed(stage)

    def fetch_failed(self, launch: TaskLaunch, failure: FetchFailure) -> None:
        stage = self.stages.get(launch.stage_id)
        map_stage = self.shuffle_stages.get(failure.shuffle_id)
        if stage is None or map_stage is None:
            return
        if failure.map_index >= 0:
            self.tracker.unregister_map_output(failure.shuffle_id, failure.map_index, failure.map_task_id)
        # a fetch from a live executor that fails says something is wrong; from a dead one, only
        # that it died (its loss may not have been noticed yet)
        counts = not failure.executor_id or failure.executor_id in self.task_scheduler.executors
        if failure.executor_id:
            # without its executor's block service, none of its outputs can be trusted (as Spark)
            self.tracker.remove_outputs_on_executor(failure.executor_id)
            self._count_fetch_failure(failure.executor_id)
        if launch.stage_attempt != stage.latest_attempt:
            log.info("ignoring fetch failure from stale attempt %d of stage %d", launch.stage_attempt, stage.id)
            return
        log.warning("stage %d attempt %d: %s; rerunning the missing outputs of map stage %d", stage.id,
                    launch.stage_attempt, failure.message, map_stage.id)
        self._retry_after_lost_input(stage, [map_stage], failure.message, launch.stage_attempt, counts)

    def _retry_after_lost_input(self, stage: Stage, map_stages: list[ShuffleMapStage], reason: str,
                                attempt: int, counts: bool) -> None:
        """Stop ``stage``'s attempt (its input is partly gone) and park it with the map stages
        that must repair their outputs; both are resubmitted shortly. ``counts``: the attempt
        counts toward spark.stage.maxConsecutiveAttempts (see the module notes)."""
        if stage not in self.running and stage not in self.failed:
            return
        self.task_scheduler.cancel_stage(stage.id, "input lost", kill_running=False)
        self.running.discard(stage)
        self._notify("stage_completed", stage, reason)  # listener: this attempt failed
        if counts:
            stage.fetch_failed_attempts.add(attempt)
        if len(stage.fetch_failed_attempts) >= self.max_stage_attempts:
            self._abort_stage(stage, f"Stage {stage.id} has failed the maximum allowable number of "
                                     f"times: {self.max_stage_attempts}. Most recent failure reason: "
                                     f"{reason}")
            return
        self.failed.add(stage)
        self.failed.update(map_stages)
        if not self._resubmit_scheduled:
            self._resubmit_scheduled = True
            self._post_delayed(RESUBMIT_DELAY, ev.FailedStagesResubmitted())

    def _count_fetch_failure(self, executor_id: str) -> None:
        """Fetches from one live executor that keep failing: stop using it (it is replaced)."""
        self.fetch_failures_from[executor_id] = self.fetch_failures_from.get(executor_id, 0) + 1
        if (self.fetch_failures_from[executor_id] >= MAX_FETCH_FAILURES_PER_EXECUTOR
                and executor_id in self.task_scheduler.executors):
            log.warning("fetches from executor %s failed %d times; removing it", executor_id,
                        self.fetch_failures_from[executor_id])
            self.task_scheduler.remove_executor(executor_id, "its shuffle files cannot be fetched")

    def resubmit_failed_stages(self) -> None:
        self._resubmit_scheduled = False
        stages = sorted(self.failed, key=lambda s: (s.first_job_id, s.id))
        self.failed.clear()
        for stage in stages:
            self.submit_stage(stage)

    def _late_attempt_ended(self, launch: TaskLaunch, task_set: TaskSet) -> None:
        """An attempt of a stage no job needs any more ended (a killed task that finished
        anyway). Files it wrote for a shuffle still tracked go when that shuffle is cleaned;
        for a forgotten shuffle, they are deleted now."""
        if task_set.shuffle_id >= 0 and not self.tracker.has_shuffle(task_set.shuffle_id):
            self.on_orphan_output(launch.executor_id, task_set.shuffle_id)

    def barrier_stage_failed(self, launch: TaskLaunch, failure: TaskFailure) -> None:
        """A task of a barrier stage attempt failed (its partners are being killed): retry the
        whole stage, or fail its jobs if it is a result stage (its output may be partly
        delivered), as Spark does."""
        stage = self.stages.get(launch.stage_id)
        if stage is None or launch.stage_attempt != stage.latest_attempt:
            return
        self.running.discard(stage)
        self._notify("stage_completed", stage, failure.message)  # listener: this attempt failed
        if failure.counts:  # an executor lost with a task of the gang does not count
            stage.fetch_failed_attempts.add(launch.stage_attempt)
        if isinstance(stage, ResultStage):
            self._abort_stage(stage, f"Could not recover from a failed barrier ResultStage. Most "
                                     f"recent failure reason: {failure.message}", failure=failure)
            return
        if len(stage.fetch_failed_attempts) >= self.max_stage_attempts:
            self._abort_stage(stage, f"Barrier stage {stage.id} has failed the maximum allowable "
                                     f"number of times: {self.max_stage_attempts}. Most "
                                     f"recent failure reason: {failure.message}", failure=failure)
            return
        assert isinstance(stage, ShuffleMapStage)
        for index in range(stage.num_tasks):  # outputs of the failed gang are all suspect
            self.tracker.unregister_map_output(stage.shuffle_id, index, -1)
        self.failed.add(stage)
        if not self._resubmit_scheduled:
            self._resubmit_scheduled = True
            self._post_delayed(RESUBMIT_DELAY, ev.FailedStagesResubmitted())

    def remove_shuffle(self, shuffle_id: int) -> bool:
        """Forget a shuffle's map outputs (cleanShuffleDependencies, the ContextCleaner) unless
        an active job needs them; True if forgotten (the caller deletes the files). A later
        job that needs the shuffle computes it again."""
        if shuffle_id in self.shuffle_stages or not self.tracker.has_shuffle(shuffle_id):
            return False  # a stage exists only while an active job needs it
        self.tracker.unregister_shuffle(shuffle_id)
        return True

    def task_set_failed(self, task_set: TaskSet, message: str, failure: TaskFailure) -> None:
        stage = self.stages.get(task_set.stage_id)
        if stage is None or task_set.stage_attempt != stage.latest_attempt:
            return
        self.task_scheduler.cancel_stage(stage.id, "stage aborted")
        job_ids = sorted(stage.job_ids)
        self._abort_stage(stage, f"Job {job_ids[0] if job_ids else '?'} aborted due to stage "
                                 f"failure: {message}", failure=failure)

    def executor_lost(self, executor_id: str, reason: str, resubmitted: dict[int, list[int]]) -> None:
        """Forget what died with the executor; stages reading lost map outputs retry at once."""
        lost = self.tracker.remove_outputs_on_executor(executor_id)
        self.fetch_failures_from.pop(executor_id, None)
        if self.block_master is not None:
            self.block_master.remove_executor(executor_id)
        for stage_id, partitions in resubmitted.items():
            stage = self.stages.get(stage_id)
            if stage is not None and stage in self.running:
                stage.pending_partitions.update(partitions)
        if not lost:
            return
        log.warning("executor %s lost (%s): map outputs lost for shuffles %s", executor_id, reason,
                    sorted(lost))
        # a running stage that reads a damaged shuffle would only meet fetch failures: retry now
        for stage in sorted(self.running, key=lambda s: s.id):
            damaged = [self.shuffle_stages[sid] for sid in stage.parent_shuffle_ids if sid in lost]
            if damaged:
                self._retry_after_lost_input(stage, damaged, f"executor {executor_id} lost ({reason})",
                                             stage.latest_attempt, counts=False)

    # ================================================================= inspection

    def _notify(self, method: str, *args: Any) -> None:
        if self.listener is not None:
            try:
                getattr(self.listener, method)(*args)
            except Exception:  # a UI bug must never break scheduling
                log.exception("listener %s failed", method)

    def assert_no_state_left(self) -> None:
        """For tests: after every job ended, nothing job-scoped may remain."""
        leftovers = {"jobs": self.jobs, "waiting": self.waiting, "running": self.running,
                     "failed": self.failed, "stages": self.stages, "shuffle stages": self.shuffle_stages}
        remaining = {k: v for k, v in leftovers.items() if v}
        if remaining:
            raise AssertionError(f"scheduler state left behind: {remaining}")

    def snapshot(self) -> dict[str, Any]:
        return {"jobs": sorted(self.jobs), "running": sorted(s.id for s in self.running),
                "waiting": sorted(s.id for s in self.waiting), "time": time.time()}


def _rdd_label(rdd: Any) -> str:
    name = getattr(rdd, "_name", None)
    return f"{type(rdd).__name__}[{rdd._rdd_id}]" + (f" {name}" if name else "")
