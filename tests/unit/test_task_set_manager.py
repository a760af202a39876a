"""TaskSetManager with a fake clock: retries, executor loss, locality waits."""
from __future__ import annotations

import itertools

from sparklite.errors import TaskFailure
from sparklite.scheduler.task import TaskSet
from sparklite.scheduler.task_set_manager import TaskSetManager


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def make(n=2, shuffle_map=False, preferred=None, max_failures=4, alive=("e1", "e2")):
    ids = itertools.count()
    clock = Clock()
    ts = TaskSet(stage_id=1, stage_attempt=0, job_id=0, partitions=list(range(n)),
                 preferred_executors=preferred or [[] for _ in range(n)],
                 preferred_hosts=[[] for _ in range(n)], binary=b"", map_locations=b"",
                 is_shuffle_map=shuffle_map)
    return TaskSetManager(ts, max_failures, 3.0, clock, lambda e: e in alive, lambda: next(ids)), clock


def test_failures_retry_until_max_then_abort():
    tsm, _ = make(n=1, max_failures=3)
    for attempt in range(3):
        launch = tsm.resource_offer("e1", "h")
        assert launch is not None and launch.attempt_number == attempt
        abort = tsm.handle_failure(launch.task_id, TaskFailure("boom"))
    assert abort is not None and "failed 3 times" in abort
    assert tsm.zombie and tsm.resource_offer("e1", "h") is None


def test_executor_loss_and_kills_do_not_count():
    tsm, _ = make(n=1, max_failures=1)
    launch = tsm.resource_offer("e1", "h")
    tsm.executor_lost("e1")
    launch = tsm.resource_offer("e2", "h")
    assert launch.attempt_number == 1
    assert tsm.handle_failure(launch.task_id, TaskFailure("killed", counts=False)) is None
    launch = tsm.resource_offer("e2", "h")
    assert tsm.handle_success(launch.task_id)
    assert tsm.is_finished


def test_finished_shuffle_map_outputs_are_redone_after_executor_loss():
    tsm, _ = make(n=2, shuffle_map=True)
    a = tsm.resource_offer("e1", "h")
    b = tsm.resource_offer("e2", "h")
    assert tsm.handle_success(a.task_id) and tsm.handle_success(b.task_id)
    assert tsm.executor_lost("e1") == ([a.partition], None)
    again = tsm.resource_offer("e2", "h")
    assert again.partition == a.partition


def test_locality_wait_then_run_anywhere():
    tsm, clock = make(n=2, preferred=[["e1"], []])
    first = tsm.resource_offer("e2", "h")
    assert first.partition == 1  # no preference: runs at once
    assert tsm.resource_offer("e2", "h") is None  # partition 0 waits for e1
    clock.now = 3.5
    assert tsm.resource_offer("e2", "h").partition == 0


def test_preference_for_a_dead_executor_does_not_wait():
    tsm, _ = make(n=1, preferred=[["gone"]])
    assert tsm.resource_offer("e2", "h").partition == 0


def test_local_offer_is_taken_first():
    tsm, _ = make(n=3, preferred=[[], [], ["e2"]])
    assert tsm.resource_offer("e2", "h").partition == 2


def test_a_task_that_keeps_losing_its_executor_aborts():
    tsm, _ = make(n=1)
    tsm.max_executor_losses = 3
    for i in range(3):
        launch = tsm.resource_offer("e1", "h")
        assert launch is not None
        lost, abort = tsm.executor_lost("e1")
    assert abort is not None and "lost its executor 3 times" in abort
    assert tsm.zombie
