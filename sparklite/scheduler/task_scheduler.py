"""TaskScheduler: matches free executor slots with the tasks of active task sets.

It owns the executor table (cores, free slots) and the TaskSetManagers, turns
task status updates into DAGScheduler callbacks, and asks the backend to
launch and kill attempts. Offers go round-robin over executors one task at a
time, so a stage spreads over every executor instead of filling the first.
Task sets are served in (job id, stage id) order: FIFO between jobs. A task
occupies its task set's ``cpus_per_task`` slots (a ResourceProfile's CPUs, else
``spark.task.cpus``) and, if it asks for resources (gpu...), specific addresses
of its executor (resource_slots.py), held until its status comes back; it runs
only on executors of its stage's executor profile (0: the default ones). A barrier task set launches all its tasks in one offer
round or waits (gang scheduling); if one of them fails, the others are killed
and the DAGScheduler retries or fails the stage (see task_slots.py for what
can never be scheduled).

Task reaper (Spark's ``spark.task.reaper.*``, on by default here): a killed attempt
that has not ended ``spark.task.reaper.killTimeout`` after its kill was sent (a task
that swallows the kill, or sits in a C call such as ``os.read``) would hold its slot
forever, so its executor is removed: the backend ends the process (local mode
SIGKILLs it and starts a replacement), and lineage recomputes what it held. The
driver waits ``KILL_GRACE`` longer than the executor, which logs where the task's
thread is stuck at the timeout (``spark.task.reaper.threadDump``).

THREADING: every method runs on the scheduler thread.

A result task's result is checked against spark.driver.maxResultSize before
it is held; one too big to travel inline is fetched from its executor first,
its slot staying busy until it is here (task_results.py).

Checklist when changing this module: a slot (and its resource addresses) must be
freed exactly once per launched attempt (success, failure, kill, or executor loss); a status update
for an unknown task id (a stale attempt, a removed executor) is ignored (its
stored payload dropped).
"""
from __future__ import annotations

import itertools
import logging
import pickle
import dataclasses
from dataclasses import dataclass, field
from typing import Any, Callable

from sparklite.errors import FetchFailure, TaskFailure
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.scheduler.task import TaskLaunch, TaskSet
from sparklite.scheduler.resource_slots import ExecutorResources
from sparklite.scheduler.task_results import TaskResultGetter
from sparklite.scheduler.task_set_manager import TaskSetManager
from sparklite.scheduler.task_slots import unschedulable_reason

log = logging.getLogger(__name__)

#: seconds the driver adds to spark.task.reaper.killTimeout (the executor's thread dump first)
KILL_GRACE = 1.0


@dataclass
class ExecutorSlots:
    executor_id: str
    host: str
    cores: int
    free: int
    block_address: str
    #: its resource addresses (gpu...) and the shares running tasks hold
    resources: ExecutorResources = field(default_factory=lambda: ExecutorResources({}))
    #: the ResourceProfile it was started for (0: the default executors)
    profile_id: int = 0
    #: when it last had no task running (None: busy); profile executors idle too long are stopped
    idle_since: float | None = None

    def fits(self, task_set: TaskSet, cpus: int) -> bool:
        if self.free < cpus or self.profile_id != task_set.resource_profile_id:
            return False
        return self.resources.capacity(task_set.custom_resources or {}) != 0


class TaskScheduler:
    def __init__(self, backend: Any, max_failures: int, cpus_per_task: int, locality_wait: float,
                 clock: Callable[[], float], schedule_revive: Callable[[float], None],
                 max_executor_losses: int = 8, results: TaskResultGetter | None = None,
                 kill_timeout: float | None = None,
                 schedule_reaper: Callable[[float], None] = lambda delay: None):
        self.backend = backend
        self.dag: Any = None  # set by the DAGScheduler
        self.max_failures = max_failures
        self.max_executor_losses = max_executor_losses
        #: admits results against spark.driver.maxResultSize and fetches stored ones
        self.results = results or TaskResultGetter()
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
        #: task id -> the resource addresses it holds (freed when its slot is)
        self._assigned: dict[int, dict[str, list[str]]] = {}
        #: spark.task.resource.<name>.amount, for stages without a ResourceProfile (Runtime sets)
        self.default_task_resources: dict[str, float] = {}
        #: spark.executor.resource.<name>.amount: what each default executor offers (Runtime sets)
        self.default_executor_resources: dict[str, float] = {}
        self._rotation = 0
        self._revive_at: float | None = None
        #: spark.task.reaper.killTimeout, or None when the reaper is off
        self.kill_timeout = kill_timeout
        self._schedule_reaper = schedule_reaper
        #: task id -> when its kill was sent (until the attempt ends or its executor goes)
        self.killed_at: dict[int, float] = {}
        #: told when a barrier stage attempt is aborted, so its tasks' pending syncs fail (Runtime)
        self.barrier_aborted: Callable[[int, int, str], None] = lambda stage, attempt, why: None
        #: the ListenerEmitter (issue 13): task starts and ends become listener events
        self.listener: Any = None

    # ------------------------------------------------------------------ task sets

    def submit_tasks(self, task_set: TaskSet) -> None:
        if task_set.cpus_per_task is None:
            task_set.cpus_per_task = self.cpus_per_task
        if task_set.custom_resources is None:
            task_set.custom_resources = dict(self.default_task_resources)
        impossible = unschedulable_reason(task_set, getattr(self.backend, "executor_shape", None),
                                          self.default_executor_resources,
                                          hasattr(self.backend, "want_profile_executors"))
        if impossible is not None:
            self.dag.task_set_failed(task_set, impossible, TaskFailure(impossible))
            return
        if task_set.executor_profile is not None:  # stage-level scheduling: start its executors
            impossible = self.backend.want_profile_executors(task_set.executor_profile, len(task_set))
            if impossible is not None:
                message = f"stage {task_set.stage_id}.{task_set.stage_attempt}: {impossible}"
                self.dag.task_set_failed(task_set, message, TaskFailure(message))
                return
        for (stage_id, _), manager in self.task_sets.items():
            if stage_id == task_set.stage_id:
                manager.zombie = True  # a newer attempt supersedes it
        # a gang launches at once wherever slots are free: no waiting for locality
        wait = 0.0 if task_set.is_barrier else self.locality_wait
        manager = TaskSetManager(task_set, self.max_failures, wait, self._clock,
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
            if manager.task_set.is_barrier:
                self.barrier_aborted(stage_id, manager.task_set.stage_attempt, reason)
            if kill_running:
                for task_id, executor_id in manager.running_on().items():
                    self.kill_attempt(executor_id, task_id, reason)
            self._forget_if_finished(manager)

    def kill_attempt(self, executor_id: str, task_id: int, reason: str) -> None:
        """Ask the executor to stop an attempt; the reaper watches that it does."""
        self.backend.kill_task(executor_id, task_id, reason)
        if self.kill_timeout is not None and task_id not in self.killed_at:
            self.killed_at[task_id] = self._clock()
            self._schedule_reaper(self.kill_timeout + KILL_GRACE)

    def reap_unkillable(self) -> list[str]:
        """Remove the executors of attempts that outlived their kill by the timeout; returns them."""
        if self.kill_timeout is None:
            return []
        now = self._clock()
        stuck: dict[str, list[int]] = {}
        for task_id, killed in list(self.killed_at.items()):
            entry = self.tasks.get(task_id)
            if entry is None:
                del self.killed_at[task_id]  # it ended after all
            elif now - killed >= self.kill_timeout + KILL_GRACE:
                del self.killed_at[task_id]
                stuck.setdefault(entry[1].executor_id, []).append(task_id)
        for executor_id, task_ids in stuck.items():
            reason = (f"task{'s' if len(task_ids) > 1 else ''} {', '.join(map(str, task_ids))} did "
                      f"not stop within {self.kill_timeout:g} s of being killed "
                      f"(spark.task.reaper.killTimeout); its executor is replaced")
            log.warning("executor %s: %s", executor_id, reason)
            self.remove_executor(executor_id, reason)
        return list(stuck)

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
        for manager in managers:  # gangs first: a stream of single tasks must not starve them
            if manager.task_set.is_barrier:
                self._offer_gang(manager, slots)
        progress = True
        while progress:
            progress = False
            for slot in slots:
                for manager in managers:
                    cpus = manager.task_set.cpus_per_task or self.cpus_per_task
                    if manager.task_set.is_barrier or not slot.fits(manager.task_set, cpus):
                        continue
                    launch = manager.resource_offer(slot.executor_id, slot.host)
                    if launch is not None:
                        self._launch(slot, manager, launch, cpus)
                        progress = True
                        break
        self._arm_locality_timer(managers)

    def _launch(self, slot: ExecutorSlots, manager: TaskSetManager, launch: TaskLaunch, cpus: int) -> None:
        slot.free -= cpus
        slot.idle_since = None
        wants = manager.task_set.custom_resources
        if wants:
            assigned = slot.resources.acquire(wants) or {}
            self._assigned[launch.task_id] = assigned
            launch = dataclasses.replace(launch, resources=assigned)
        self.tasks[launch.task_id] = (manager, launch)
        self.backend.launch_task(slot.executor_id, manager.task_set, launch)
        if self.listener is not None:  # listener: the attempt started
            self.listener.task_started(launch, manager.task_set, slot.host)

    def _offer_gang(self, manager: TaskSetManager, slots: list[ExecutorSlots]) -> None:
        """Launch every task of a barrier attempt at once, or none while slots are short."""
        ts = manager.task_set
        cpus = ts.cpus_per_task or self.cpus_per_task
        if manager.zombie or manager.running or len(manager.pending) != len(ts):
            return
        slots = [s for s in slots if s.profile_id == ts.resource_profile_id]
        wants = ts.custom_resources or {}

        def room(s: ExecutorSlots) -> int:
            by_resources = s.resources.capacity(wants)
            return s.free // cpus if by_resources is None else min(s.free // cpus, by_resources)

        if sum(room(s) for s in slots) < len(ts):
            return
        free = {s.executor_id: room(s) * cpus for s in slots}
        picked: list[tuple[ExecutorSlots, TaskLaunch]] = []
        while len(picked) < len(ts):
            for slot in slots:  # round robin, as single tasks are spread
                if len(picked) < len(ts) and free[slot.executor_id] >= cpus:
                    launch = manager.resource_offer(slot.executor_id, slot.host)
                    assert launch is not None  # barrier task sets do not wait for locality
                    free[slot.executor_id] -= cpus
                    picked.append((slot, launch))
        addresses = [""] * len(ts)
        for slot, launch in picked:
            addresses[launch.index] = slot.block_address
        ts.properties["addresses"] = ",".join(addresses)  # BarrierTaskContext.getTaskInfos()
        for slot, launch in picked:
            self._launch(slot, manager, launch, cpus)

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

    def status_update(self, executor_id: str, task_id: int, state: int, result: Any,
                      accumulator_updates: bytes, failure_bytes: bytes, metrics: Any = None,
                      stored_size: int = 0, result_size: int | None = None,
                      result_dropped: bool = False) -> None:
        self.killed_at.pop(task_id, None)  # it ended on its executor: nothing left to reap
        entry = self.tasks.get(task_id)
        if entry is None:  # stale: the executor was removed or the attempt already accounted for
            self.results.forget(executor_id, task_id, stored_size)
            return
        manager, launch = entry
        if state == pb.FINISHED and not manager.task_set.is_shuffle_map:
            size = result_size if result_size is not None else len(result)
            refusal = self.results.admit(manager, task_id, size, result_dropped)
            if refusal is not None:
                self.results.forget(executor_id, task_id, stored_size)
                self._result_refused(manager, task_id, executor_id, refusal, metrics)
                return
        if stored_size and not manager.task_set.is_shuffle_map and launch.stage_id not in self.dag.stages:
            self.results.forget(executor_id, task_id, stored_size)  # its job has ended: nobody wants it
            result, stored_size = b"", 0
        if stored_size:  # the payload is still on the executor: the status comes back with it
            slot = self.executors.get(executor_id)
            self.results.fetch(executor_id, slot.block_address if slot else "", task_id, stored_size,
                               into_file=not manager.task_set.is_shuffle_map)
            return
        del self.tasks[task_id]
        self.results.settled(task_id)
        self._free_slot(executor_id, manager, task_id)
        failure = None if state == pb.FINISHED else _load_failure(failure_bytes, state)
        if self.listener is not None:  # listener: the attempt ended, before the DAG reacts
            self.listener.task_ended(launch, manager.task_set, state, failure, metrics)
        if state == pb.FINISHED and manager.task_set.is_barrier and manager.zombie:
            manager.handle_success(task_id)  # its gang failed: this output is void
        elif state == pb.FINISHED:
            if manager.handle_success(task_id):
                self.dag.task_succeeded(launch, manager.task_set, result, accumulator_updates)
        elif manager.task_set.is_barrier:
            assert failure is not None
            manager.handle_failure(task_id, failure)
            self._barrier_attempt_failed(manager, launch, failure)
        else:
            assert failure is not None
            if isinstance(failure, FetchFailure):
                manager.handle_failure(task_id, failure)
                manager.zombie = True
                self.dag.fetch_failed(launch, failure)
            else:
                abort = manager.handle_failure(task_id, failure)
                if abort is not None:
                    self.dag.task_set_failed(manager.task_set, abort, failure)
        self._forget_if_finished(manager)
        self.revive_offers()

    def _free_slot(self, executor_id: str, manager: TaskSetManager, task_id: int) -> None:
        """The attempt's CPUs and resource addresses are free again (once per attempt)."""
        assigned = self._assigned.pop(task_id, None)
        slot = self.executors.get(executor_id)
        if slot is None:
            return
        slot.free += manager.task_set.cpus_per_task or self.cpus_per_task
        if slot.free >= slot.cores:
            slot.idle_since = self._clock()
        if assigned:
            slot.resources.release(assigned, manager.task_set.custom_resources or {})

    def _result_refused(self, manager: TaskSetManager, task_id: int, executor_id: str, message: str,
                        metrics: Any = None) -> None:
        """Results passed spark.driver.maxResultSize: the stage attempt (and its job) fails."""
        _, launch = self.tasks.pop(task_id)
        self._free_slot(executor_id, manager, task_id)
        if self.listener is not None:  # listener: the attempt ended (failed: its result was refused)
            self.listener.task_ended(launch, manager.task_set, pb.FAILED, TaskFailure(message, counts=False),
                                     metrics)
        if not manager.zombie:
            log.error("stage %d.%d: %s", manager.task_set.stage_id, manager.task_set.stage_attempt, message)
        manager.abort()
        manager.handle_failure(task_id, TaskFailure(message, counts=False))
        self.dag.task_set_failed(manager.task_set, message, TaskFailure(message))
        self._forget_if_finished(manager)
        self.revive_offers()

    def _barrier_attempt_failed(self, manager: TaskSetManager, launch: TaskLaunch,
                                failure: TaskFailure) -> None:
        """One task of a gang failed: stop the others, fail their syncs, let the DAG retry."""
        if manager.zombie:
            return  # already handled (the partners' kills report back here too)
        ts = manager.task_set
        manager.abort()
        reason = f"a task of barrier stage {ts.stage_id}.{ts.stage_attempt} failed: {failure.message}"
        self.barrier_aborted(ts.stage_id, ts.stage_attempt, reason)
        for task_id, executor_id in manager.running_on().items():
            self.kill_attempt(executor_id, task_id, reason)
        if isinstance(failure, FetchFailure):
            self.dag.fetch_failed(launch, failure)
        else:
            self.dag.barrier_stage_failed(launch, failure)

    # ------------------------------------------------------------------ executors

    def executor_added(self, executor_id: str, host: str, cores: int, block_address: str,
                       resources: dict[str, list[str]] | None = None, profile_id: int = 0) -> None:
        self.executors[executor_id] = ExecutorSlots(executor_id, host, cores, cores, block_address,
                                                    ExecutorResources(resources or {}), profile_id,
                                                    self._clock())
        log.info("executor %s registered (%s, %d cores%s%s)", executor_id, host, cores,
                 "".join(f", {n} {a}" for n, a in sorted((resources or {}).items())),
                 f", profile {profile_id}" if profile_id else "")
        self.revive_offers()

    def executor_lost(self, executor_id: str, reason: str) -> None:
        if self.executors.pop(executor_id, None) is None:
            return
        log.warning("executor %s lost: %s", executor_id, reason)
        broken_gangs: dict[int, tuple[TaskSetManager, TaskLaunch]] = {}
        for task_id, (manager, launch) in list(self.tasks.items()):
            if launch.executor_id == executor_id:
                del self.tasks[task_id]
                self._assigned.pop(task_id, None)
                if self.listener is not None:  # listener: the attempt died with its executor
                    self.listener.task_lost(launch, manager.task_set, executor_id, reason)
                self.killed_at.pop(task_id, None)
                if manager.task_set.is_barrier:
                    manager.handle_failure(task_id, TaskFailure(f"executor lost: {reason}", counts=False))
                    broken_gangs.setdefault(id(manager), (manager, launch))
        for manager, launch in broken_gangs.values():
            self._barrier_attempt_failed(manager, launch, TaskFailure(
                f"executor {executor_id} running a task of the stage was lost: {reason}", counts=False))
        resubmitted: dict[int, list[int]] = {}
        aborted: list[tuple[TaskSetManager, str]] = []
        for manager in list(self.task_sets.values()):
            lost, abort = manager.executor_lost(executor_id, reason)
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

    def stop_idle_profile_executors(self, idle_timeout: float) -> None:
        """Stage-level scheduling: stop executors started for a ResourceProfile that have run
        nothing for ``idle_timeout`` seconds while no active stage wants that profile."""
        wanted = {m.task_set.resource_profile_id for m in self.task_sets.values() if not m.is_finished}
        now = self._clock()
        for slot in list(self.executors.values()):
            if (slot.profile_id and slot.profile_id not in wanted and slot.idle_since is not None
                    and now - slot.idle_since >= idle_timeout):
                log.info("stopping executor %s of ResourceProfile %d: idle for %.0f s",
                         slot.executor_id, slot.profile_id, now - slot.idle_since)
                slot.idle_since = None  # asked once; its loss event removes it
                self.backend.retire_executor(slot.executor_id)

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
