"""TaskScheduler: matches free executor slots with the tasks of active task sets.

It owns the executor table (cores, free slots) and the TaskSetManagers, turns
task status updates into DAGScheduler callbacks, and asks the backend to
launch and kill attempts. Offers go round-robin over executors one task at a
time, so a stage spreads over every executor instead of filling the first.
Task sets are served in (job id, stage id) order: FIFO between jobs.

THREADING: every method runs on the scheduler thread.

Checklist when changing this module: a slot must be freed exactly once per
launched attempt (success, failure, kill, or executor loss); a status update
for an unknown task id (a stale attempt, a removed executor) is ignored.
"""
from __future__ import annotations

import itertools
import logging
import pickle
from dataclasses import dataclass
from typing import Any, Callable

from sparklite.errors import FetchFailure, TaskFailure
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.scheduler.task import TaskLaunch, TaskSet
from sparklite.scheduler.task_set_manager import TaskSetManager

log = logging.getLogger(__name__)


@dataclass
class ExecutorSlots:
    executor_id: str
    host: str
    cores: int
    free: int
    block_address: str


class TaskScheduler:
    def __init__(self, backend: Any, max_failures: int, cpus_per_task: int, locality_wait: float,
                 clock: Callable[[], float], schedule_revive: Callable[[float], None],
                 max_executor_losses: int = 8):
        self.backend = backend
        self.dag: Any = None  # set by the DAGScheduler
        self.max_failures = max_failures
        self.max_executor_losses = max_executor_losses
        self.cpus_per_task = cpus_per_task
        self.locality_wait = locality_wait
        self._clock = clock
        self._schedule_revive = schedule_revive
        self.executors: dict[str, ExecutorSlots] = {}
        #: (stage id, stage attempt) -> manager
        self.task_sets: dict[tuple[int, int], TaskSetManager] = {}
        #: task id -> (manager, launch)
        self.tasks: dict[int, tuple[TaskSetManager, TaskLaunch]] = {}
        self._task_ids = itertools.count()
        self._rotation = 0
        self._revive_at: float | None = None

    # ------------------------------------------------------------------ task sets

    def submit_tasks(self, task_set: TaskSet) -> None:
        for (stage_id, _), manager in self.task_sets.items():
            if stage_id == task_set.stage_id:
                manager.zombie = True  # a newer attempt supersedes it
        manager = TaskSetManager(task_set, self.max_failures, self.locality_wait, self._clock,
                                 self.executors.__contains__, lambda: next(self._task_ids),
                                 self.max_executor_losses)
        self.task_sets[(task_set.stage_id, task_set.stage_attempt)] = manager
        self.revive_offers()

    def cancel_stage(self, stage_id: int, reason: str, kill_running: bool = True) -> None:
        """Launch nothing more for the stage; optionally kill its running attempts."""
        for (sid, _), manager in list(self.task_sets.items()):
            if sid != stage_id:
                continue
            manager.abort()
            if kill_running:
                for task_id, executor_id in manager.running_on().items():
                    self.backend.kill_task(executor_id, task_id, reason)
            self._forget_if_finished(manager)

    def _forget_if_finished(self, manager: TaskSetManager) -> None:
        ts = manager.task_set
        if manager.is_finished:
            self.task_sets.pop((ts.stage_id, ts.stage_attempt), None)

    # ------------------------------------------------------------------ offers

    def revive_offers(self) -> None:
        if not self.executors or not self.task_sets:
            return
        managers = sorted(self.task_sets.values(), key=lambda m: m.task_set.priority)
        slots = list(self.executors.values())
        self._rotation = (self._rotation + 1) % len(slots)
        slots = slots[self._rotation:] + slots[:self._rotation]
        progress = True
        while progress:
            progress = False
            for slot in slots:
                if slot.free < self.cpus_per_task:
                    continue
                for manager in managers:
                    launch = manager.resource_offer(slot.executor_id, slot.host)
                    if launch is not None:
                        slot.free -= self.cpus_per_task
                        self.tasks[launch.task_id] = (manager, launch)
                        self.backend.launch_task(slot.executor_id, manager.task_set, launch)
                        progress = True
                        break
        self._arm_locality_timer(managers)

    def _arm_locality_timer(self, managers: list[TaskSetManager]) -> None:
        deadlines = [d for d in (m.next_locality_deadline() for m in managers) if d is not None]
        if not deadlines or not any(s.free >= self.cpus_per_task for s in self.executors.values()):
            return
        at = min(deadlines)
        now = self._clock()
        if at > now and (self._revive_at is None or self._revive_at <= now or at < self._revive_at):
            self._revive_at = at
            self._schedule_revive(at - now)

    # ------------------------------------------------------------------ status

    def status_update(self, executor_id: str, task_id: int, state: int, result: bytes,
                      accumulator_updates: bytes, failure_bytes: bytes) -> None:
        entry = self.tasks.pop(task_id, None)
        if entry is None:
            return  # stale: the executor was removed or the attempt already accounted for
        manager, launch = entry
        slot = self.executors.get(executor_id)
        if slot is not None:
            slot.free += self.cpus_per_task
        if state == pb.FINISHED:
            if manager.handle_success(task_id):
                self.dag.task_succeeded(launch, manager.task_set, result, accumulator_updates)
        else:
            failure = _load_failure(failure_bytes, state)
            if isinstance(failure, FetchFailure):
                manager.handle_failure(task_id, failure)
                manager.zombie = True
                self.dag.fetch_failed(launch, failure)
            else:
                self.dag.task_attempt_failed(launch)
                abort = manager.handle_failure(task_id, failure)
                if abort is not None:
                    self.dag.task_set_failed(manager.task_set, abort, failure)
        self._forget_if_finished(manager)
        self.revive_offers()

    # ------------------------------------------------------------------ executors

    def executor_added(self, executor_id: str, host: str, cores: int, block_address: str) -> None:
        self.executors[executor_id] = ExecutorSlots(executor_id, host, cores, cores, block_address)
        log.info("executor %s registered (%s, %d cores)", executor_id, host, cores)
        self.revive_offers()

    def executor_lost(self, executor_id: str, reason: str) -> None:
        if self.executors.pop(executor_id, None) is None:
            return
        log.warning("executor %s lost: %s", executor_id, reason)
        for task_id, (manager, launch) in list(self.tasks.items()):
            if launch.executor_id == executor_id:
                del self.tasks[task_id]
        resubmitted: dict[int, list[int]] = {}
        aborted: list[tuple[TaskSetManager, str]] = []
        for manager in list(self.task_sets.values()):
            lost, abort = manager.executor_lost(executor_id)
            if lost:
                resubmitted.setdefault(manager.task_set.stage_id, []).extend(lost)
            if abort is not None:
                aborted.append((manager, abort))
        self.dag.executor_lost(executor_id, reason, resubmitted)
        for manager, message in aborted:
            self.dag.task_set_failed(manager.task_set, message,
                                     TaskFailure(f"executor {executor_id} lost: {reason}", counts=False))
        for manager in list(self.task_sets.values()):
            self._forget_if_finished(manager)
        self.revive_offers()

    def remove_executor(self, executor_id: str, reason: str) -> None:
        """Stop using an executor: the backend drops it (its loss then arrives as an event)."""
        self.backend.remove_executor(executor_id, reason)

    def has_executors(self) -> bool:
        return bool(self.executors)

    def total_cores(self) -> int:
        return sum(s.cores for s in self.executors.values())

    def running_task_count(self) -> int:
        return len(self.tasks)


def _load_failure(data: bytes, state: int) -> TaskFailure:
    if data:
        try:
            failure = pickle.loads(data)
            if isinstance(failure, TaskFailure):
                return failure
        except Exception as exc:  # a failure object that cannot be read is still a failure
            return TaskFailure(f"(unreadable failure report: {exc})")
    if state == pb.KILLED:
        return TaskFailure("task killed", counts=False)
    return TaskFailure("task failed without a reason")
