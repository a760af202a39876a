"""The task reaper's rule in the TaskScheduler, with a fake clock and backend (no processes):
a killed attempt that outlives spark.task.reaper.killTimeout gets its executor removed."""
from __future__ import annotations

import pickle

from sparklite.errors import TaskKilledFailure
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.scheduler.task import TaskSet
from sparklite.scheduler.task_scheduler import KILL_GRACE, TaskScheduler


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class Backend:
    def __init__(self):
        self.launched, self.killed, self.removed = [], [], []

    def launch_task(self, executor_id, task_set, launch):
        self.launched.append(launch)

    def kill_task(self, executor_id, task_id, reason):
        self.killed.append(task_id)

    def remove_executor(self, executor_id, reason):
        self.removed.append((executor_id, reason))


class Dag:
    def __init__(self):
        self.lost = []

    def task_started(self, launch):
        pass

    def task_attempt_failed(self, launch):
        pass

    def executor_lost(self, executor_id, reason, resubmitted):
        self.lost.append(executor_id)


def _task_set(stage_id, n):
    return TaskSet(stage_id=stage_id, stage_attempt=0, job_id=0, partitions=list(range(n)),
                   preferred_executors=[[] for _ in range(n)], preferred_hosts=[[] for _ in range(n)],
                   binary=b"", map_locations=b"", is_shuffle_map=False)


def _scheduler(kill_timeout=10.0):
    clock, backend, timers = Clock(), Backend(), []
    ts = TaskScheduler(backend, 4, 1, 0.0, clock, lambda delay: None, kill_timeout=kill_timeout,
                       schedule_reaper=timers.append)
    ts.dag = Dag()
    ts.executor_added("a", "h", 1, "h:1")
    ts.executor_added("b", "h", 1, "h:2")
    return ts, clock, backend, timers


def _killed(ts, task_id):
    ts.status_update("?", task_id, pb.KILLED, b"", b"",
                     pickle.dumps(TaskKilledFailure("task killed", counts=False)))


def test_an_attempt_that_outlives_its_kill_gets_its_executor_removed():
    ts, clock, backend, timers = _scheduler()
    ts.submit_tasks(_task_set(1, 2))
    stubborn, obedient = backend.launched
    ts.cancel_stage(1, "job cancelled")
    assert sorted(backend.killed) == sorted([stubborn.task_id, obedient.task_id])
    assert timers and timers[0] == 10.0 + KILL_GRACE  # one check when the timeout has passed
    _killed(ts, obedient.task_id)
    clock.now += 10.0 + KILL_GRACE - 0.01
    assert ts.reap_unkillable() == [] and backend.removed == []
    clock.now += 0.02
    assert ts.reap_unkillable() == [stubborn.executor_id]
    executor_id, reason = backend.removed[0]
    assert executor_id == stubborn.executor_id
    assert f"task {stubborn.task_id} did not stop within 10 s" in reason
    assert "spark.task.reaper.killTimeout" in reason
    assert ts.reap_unkillable() == []  # removed once; its loss arrives as an event
    ts.executor_lost(stubborn.executor_id, reason)
    assert ts.killed_at == {} and ts.tasks == {}


def test_attempts_that_end_or_lose_their_executor_are_not_reaped():
    ts, clock, backend, _ = _scheduler()
    ts.submit_tasks(_task_set(2, 2))
    first, second = backend.launched
    ts.cancel_stage(2, "stage done")
    _killed(ts, first.task_id)
    ts.executor_lost(second.executor_id, "connection closed")
    clock.now += 60
    assert ts.reap_unkillable() == [] and backend.removed == [] and ts.killed_at == {}


def test_the_reaper_can_be_turned_off():
    ts, clock, backend, timers = _scheduler(kill_timeout=None)
    ts.submit_tasks(_task_set(3, 1))
    ts.cancel_stage(3, "cancelled")
    clock.now += 3600
    assert timers == [] and ts.reap_unkillable() == [] and backend.removed == []
