"""BarrierCoordinator with threads standing in for tasks, task-slot rules, stage requirements, and
the gang offer of the TaskScheduler with a fake backend: no processes."""
from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from sparklite.rdd.base import Partition
from sparklite.rdd.dependency import OneToOneDependency
from sparklite.resource import ResourceProfileBuilder, TaskResourceRequests
from sparklite.scheduler.barrier import BarrierCoordinator, BarrierSyncError
from sparklite.scheduler.stage_requirements import stage_requirements
from sparklite.scheduler.task import TaskSet
from sparklite.scheduler.task_scheduler import TaskScheduler
from sparklite.scheduler.task_slots import unschedulable_reason
from sparklite.storagelevel import StorageLevel


def _run_tasks(coordinator, calls):
    """Run ``calls`` (partition -> list of (epoch, method, message)) in threads; their results."""
    results: dict = {}

    def task(partition, steps):
        out = []
        try:
            for epoch, method, message in steps:
                out.append(coordinator.sync(1, 0, len(calls), partition, epoch, method, message))
        except BarrierSyncError as exc:
            out.append(exc)
        results[partition] = out

    threads = [threading.Thread(target=task, args=(p, s)) for p, s in calls.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(20)
    assert not any(t.is_alive() for t in threads)
    return results


def test_all_gather_orders_messages_by_partition_over_several_epochs():
    coordinator = BarrierCoordinator(10.0)
    calls = {p: [(0, "allGather", f"m{p}"), (1, "barrier", ""), (2, "allGather", str(p * p))] for p in range(4)}
    results = _run_tasks(coordinator, calls)
    for p in range(4):
        assert results[p] == [["m0", "m1", "m2", "m3"], ["", "", "", ""], ["0", "1", "4", "9"]]
    assert coordinator.pending() == {}


def test_mixed_methods_and_epoch_mismatch_fail_every_waiter():
    results = _run_tasks(BarrierCoordinator(10.0), {0: [(0, "barrier", "")], 1: [(0, "allGather", "x")]})
    assert all(isinstance(r[-1], BarrierSyncError) for r in results.values())
    assert any("Different barrier sync types" in str(r[-1]) for r in results.values())
    results = _run_tasks(BarrierCoordinator(10.0), {0: [(0, "barrier", "")], 1: [(1, "barrier", "")]})
    assert all("same number of times" in str(r[-1]) for r in results.values())


def test_abort_and_timeout():
    coordinator = BarrierCoordinator(10.0)
    box: list = []
    waiter = threading.Thread(target=lambda: box.append(
        pytest.raises(BarrierSyncError, coordinator.sync, 3, 1, 2, 0, 0, "barrier", "")))
    waiter.start()
    from tests.helpers.waiting import wait_until

    wait_until(lambda: coordinator.pending() == {(3, 1): 1}, 10, message="a waiting task")
    coordinator.abort_attempt(3, 1, "a partner failed")
    waiter.join(10)
    assert "a partner failed" in str(box[0].value)
    with pytest.raises(BarrierSyncError, match="a partner failed"):
        coordinator.sync(3, 1, 2, 1, 0, "barrier", "")  # late arrivals fail at once too
    quick = BarrierCoordinator(0.2)
    with pytest.raises(BarrierSyncError, match="didn't get all barrier sync requests"):
        quick.sync(4, 0, 2, 0, 0, "barrier", "")


def test_killed_callers_leave_and_late_arrivals_fail_fast():
    coordinator = BarrierCoordinator(3600.0)
    alive = threading.Event()
    alive.set()
    box: list = []
    caller = threading.Thread(target=lambda: box.append(pytest.raises(
        BarrierSyncError, coordinator.sync, 6, 0, 2, 0, 0, "barrier", "", alive.is_set)))
    caller.start()
    from tests.helpers.waiting import wait_until

    wait_until(lambda: coordinator.pending() == {(6, 0): 1}, 10, message="a waiting caller")
    alive.clear()  # its RPC was cancelled: the server thread must not wait for an hour
    caller.join(10)
    assert not caller.is_alive() and "went away" in str(box[0].value)
    assert coordinator.pending() == {}
    coordinator.abort_attempt(6, 1, "gang failed")
    coordinator.on_job_end(SimpleNamespace(job_id=0))  # forgets idle state, not that the attempt was aborted
    with pytest.raises(BarrierSyncError, match="gang failed"):
        coordinator.sync(6, 1, 2, 1, 0, "barrier", "")
    coordinator.close("stopping")
    with pytest.raises(BarrierSyncError, match="stopping"):
        coordinator.sync(9, 0, 2, 0, 0, "barrier", "")


def test_a_newer_attempt_supersedes_an_older_one():
    coordinator = BarrierCoordinator(10.0)
    box: list = []
    old = threading.Thread(target=lambda: box.append(
        pytest.raises(BarrierSyncError, coordinator.sync, 5, 0, 2, 0, 0, "barrier", "")))
    old.start()
    from tests.helpers.waiting import wait_until

    wait_until(lambda: coordinator.pending(), 10, message="the old attempt waiting")
    done = _run_tasks_for_attempt(coordinator, 5, 1)
    old.join(10)
    assert "superseded" in str(box[0].value) and done == [["a", "b"], ["a", "b"]]


def _run_tasks_for_attempt(coordinator, stage, attempt):
    out: list = [None, None]

    def task(p):
        out[p] = coordinator.sync(stage, attempt, 2, p, 0, "allGather", "ab"[p])

    threads = [threading.Thread(target=task, args=(p,)) for p in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    return out


def _task_set(n, cpus=1, barrier=False, custom=None):
    return TaskSet(stage_id=7, stage_attempt=0, job_id=0, partitions=list(range(n)),
                   preferred_executors=[[] for _ in range(n)], preferred_hosts=[[] for _ in range(n)],
                   binary=b"", map_locations=b"", is_shuffle_map=False, cpus_per_task=cpus,
                   is_barrier=barrier, custom_resources=custom or {})


def test_unschedulable_reasons():
    assert unschedulable_reason(_task_set(10), (2, 1)) is None
    assert "need 3 CPUs each, but every executor has 2" in unschedulable_reason(_task_set(1, cpus=3), (4, 2))
    assert unschedulable_reason(_task_set(4, cpus=2, barrier=True), (4, 2)) is None
    assert "SPARK-24819" in unschedulable_reason(_task_set(5, cpus=2, barrier=True), (4, 2))
    assert "no executor offers gpu" in unschedulable_reason(_task_set(1, custom={"gpu": 1.0}), None)
    assert unschedulable_reason(_task_set(1, custom={"gpu": 0.5}), None, {"gpu": 1}) is None
    assert "have only 2" in unschedulable_reason(_task_set(1, custom={"gpu": 3}), None, {"gpu": 2})
    assert unschedulable_reason(_task_set(100, cpus=8, barrier=True), None) is None  # shape unknown


class _FakeBackend:
    executor_shape = (3, 2)

    def __init__(self):
        self.launched = []

    def launch_task(self, executor_id, task_set, launch):
        self.launched.append((executor_id, launch.index))

    def kill_task(self, executor_id, task_id, reason):
        pass


class _FakeDag:
    def __init__(self):
        self.failed = []

    def task_set_failed(self, task_set, message, failure):
        self.failed.append(message)


def _scheduler():
    backend = _FakeBackend()
    ts = TaskScheduler(backend, 4, 1, 0.0, lambda: 0.0, lambda delay: None)
    ts.dag = _FakeDag()
    return ts, backend


def test_gang_offer_is_all_or_nothing_and_cpus_take_slots():
    ts, backend = _scheduler()
    ts.executor_added("a", "h", 2, "h:1")
    ts.submit_tasks(_task_set(1, cpus=1))  # one ordinary task takes one slot on some executor
    assert len(backend.launched) == 1
    gang = _task_set(2, cpus=2, barrier=True)
    gang.stage_id = 8
    ts.submit_tasks(gang)
    assert len(backend.launched) == 1  # 1 free slot: not enough for two 2-CPU tasks, none launched
    ts.executor_added("b", "h", 2, "h:2")
    ts.executor_added("c", "h", 2, "h:3")
    launched = backend.launched[1:]
    assert sorted(i for _, i in launched) == [0, 1]
    assert len({e for e, _ in launched}) == 2  # each 2-CPU task has an executor to itself
    assert gang.properties["addresses"].count(",") == 1
    assert ts.executors["b"].free == 0 and ts.executors["c"].free == 0


def test_impossible_task_sets_are_failed_not_queued():
    ts, _ = _scheduler()
    ts.submit_tasks(_task_set(1, cpus=3))
    assert ts.task_sets == {} and "need 3 CPUs" in ts.dag.failed[0]


class _Rdd:
    def __init__(self, n, parents=(), profile=None, barrier=False):
        self._n = n
        self._parents = list(parents)
        self._resource_profile = profile
        self._from_barrier = barrier
        self._storage_level = StorageLevel.NONE

    def partitions(self):
        return [Partition(i) for i in range(self._n)]

    def dependencies(self):
        return [OneToOneDependency(p) for p in self._parents]


def _cpus(n):
    return ResourceProfileBuilder().require(TaskResourceRequests().cpus(n)).build


def test_stage_requirements():
    plain = _Rdd(4)
    assert stage_requirements(plain, 4).cpus is None and not stage_requirements(plain, 4).barrier
    profiled = _Rdd(4, [plain], _cpus(2))
    assert stage_requirements(_Rdd(4, [profiled]), 4).cpus == 2
    conflict = _Rdd(4, [profiled], _cpus(3))
    with pytest.raises(ValueError, match="Multiple ResourceProfiles"):
        stage_requirements(conflict, 4)
    assert stage_requirements(conflict, 4, merge_conflicts=True).cpus == 3
    gpu = ResourceProfileBuilder().require(TaskResourceRequests().resource("gpu", 0.5)).build
    assert stage_requirements(_Rdd(2, profile=gpu), 2).custom_resources == {"gpu": 0.5}
    barrier = _Rdd(4, [plain], barrier=True)
    assert stage_requirements(_Rdd(4, [barrier]), 4).barrier
    with pytest.raises(ValueError, match="SPARK-24820"):
        stage_requirements(barrier, 1)  # take()/first() on a barrier RDD
    with pytest.raises(ValueError, match="SPARK-24820"):
        stage_requirements(_Rdd(2, [barrier]), 2)  # coalesce after the barrier function
