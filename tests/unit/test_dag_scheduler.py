"""DAGScheduler driven by hand: fake RDDs that never execute, a fake task scheduler, no processes.

Each test ends with ``assert_no_state_left`` (Spark's assertDataStructuresEmpty).
"""
from __future__ import annotations

import pickle

import pytest

from sparklite.accumulators import AccumulatorRegistry
from sparklite.errors import ExceptionFailure, FetchFailure
from sparklite.rdd.base import Partition
from sparklite.rdd.dependency import OneToOneDependency, ShuffleDependency
from sparklite.rdd.partitioner import hash_partitioner
from sparklite.scheduler import events as ev
from sparklite.scheduler.dag_scheduler import DAGScheduler
from sparklite.scheduler.job import JobWaiter
from sparklite.scheduler.map_output_tracker import MapOutputTracker
from sparklite.scheduler.task import TaskLaunch
from sparklite.shuffle.map_status import MapStatus
from sparklite.storagelevel import StorageLevel


class FakeRDD:
    """Deliberately not executable: only the lineage the DAGScheduler reads."""

    def __init__(self, rdd_id, num_partitions, deps=()):
        self._rdd_id = rdd_id
        self._n = num_partitions
        self._deps = list(deps)
        self._storage_level = StorageLevel.NONE
        self._name = None

    def partitions(self):
        return [Partition(i) for i in range(self._n)]

    def dependencies(self):
        return self._deps

    def __getstate__(self):
        state = self.__dict__.copy()
        state["_deps"] = []
        return state


class FakeTaskScheduler:
    def __init__(self):
        self.task_sets = []
        self.cancelled = []
        self.removed = []
        self.executors = {"e1": None, "e2": None}
        self.dag = None

    def submit_tasks(self, task_set):
        self.task_sets.append(task_set)

    def cancel_stage(self, stage_id, reason, kill_running=True):
        self.cancelled.append(stage_id)

    def remove_executor(self, executor_id, reason):
        self.removed.append(executor_id)
        self.executors.pop(executor_id, None)


class Harness:
    def __init__(self):
        self.ts = FakeTaskScheduler()
        self.timers = []
        self.tracker = MapOutputTracker()
        self.dag = DAGScheduler(self.ts, self.tracker, None, AccumulatorRegistry(lambda: 0),
                                lambda delay, event: self.timers.append(event))
        self.next_task = 0
        self.next_job = 0

    def submit(self, rdd, partitions=None):
        partitions = list(range(rdd._n)) if partitions is None else partitions
        waiter = JobWaiter(len(partitions))
        self.dag.handle(ev.JobSubmitted(self.next_job, rdd, len, partitions, waiter))
        self.next_job += 1
        return waiter

    def launch(self, task_set, partition, executor="e1"):
        self.next_task += 1
        return TaskLaunch(self.next_task, task_set.partitions.index(partition), partition, 0,
                          task_set.stage_id, task_set.stage_attempt, task_set.job_id, executor)

    def complete(self, task_set, executors=None):
        """Finish every task of a task set successfully (map outputs on the given executors)."""
        for i, p in enumerate(task_set.partitions):
            executor = executors[i] if executors else "e1"
            launch = self.launch(task_set, p, executor)
            if task_set.is_shuffle_map:
                result = pickle.dumps(MapStatus(executor, "h", "h:1", "/tmp", launch.task_id, (1, 1)))
            else:
                result = pickle.dumps(p * 10)
            self.dag.task_succeeded(launch, task_set, result, b"")

    def run_timers(self):
        timers, self.timers = self.timers, []
        for event in timers:
            self.dag.handle(event)


def shuffle_chain(ctx_ids=iter(range(100))):
    a = FakeRDD(1, 3)
    dep_a = ShuffleDependency(a, 0, hash_partitioner(2))
    b = FakeRDD(2, 2, [dep_a])
    dep_b = ShuffleDependency(b, 1, hash_partitioner(2))
    c = FakeRDD(3, 2, [dep_b])
    return a, b, c


def test_narrow_job_is_one_result_stage():
    h = Harness()
    base = FakeRDD(1, 3)
    rdd = FakeRDD(2, 3, [OneToOneDependency(base)])
    waiter = h.submit(rdd)
    assert len(h.ts.task_sets) == 1 and not h.ts.task_sets[0].is_shuffle_map
    h.complete(h.ts.task_sets[0])
    assert waiter.done and waiter.error is None
    assert [pickle.loads(r) for r in waiter.results] == [0, 10, 20]
    h.dag.assert_no_state_left()


def test_stages_run_parents_first_and_shuffles_are_reused():
    h = Harness()
    _, _, c = shuffle_chain()
    waiter = h.submit(c)
    first = h.ts.task_sets[-1]
    assert first.is_shuffle_map and first.partitions == [0, 1, 2]  # the oldest shuffle first
    h.complete(first)
    second = h.ts.task_sets[-1]
    assert second.is_shuffle_map and second.partitions == [0, 1]
    assert pickle.loads(second.map_locations).keys() == {0}
    h.complete(second)
    result = h.ts.task_sets[-1]
    assert not result.is_shuffle_map
    h.complete(result)
    assert waiter.done and waiter.error is None
    h.dag.assert_no_state_left()
    # a second job over the same lineage skips both map stages
    count = len(h.ts.task_sets)
    waiter = h.submit(c, [1])
    assert len(h.ts.task_sets) == count + 1 and h.ts.task_sets[-1].partitions == [1]
    h.complete(h.ts.task_sets[-1])
    assert waiter.done
    h.dag.assert_no_state_left()


def test_fetch_failure_reruns_only_the_lost_map_output():
    h = Harness()
    a = FakeRDD(1, 3)
    dep = ShuffleDependency(a, 0, hash_partitioner(2))
    b = FakeRDD(2, 2, [dep])
    waiter = h.submit(b)
    map_set = h.ts.task_sets[-1]
    h.complete(map_set, executors=["e1", "e2", "e1"])
    result_set = h.ts.task_sets[-1]
    launch = h.launch(result_set, 0)
    h.dag.fetch_failed(launch, FetchFailure("gone", counts=False, shuffle_id=0, map_index=1,
                                            map_task_id=-1, reduce_id=0, executor_id="e2"))
    assert result_set.stage_id in h.ts.cancelled
    h.run_timers()
    rerun = h.ts.task_sets[-1]
    assert rerun.is_shuffle_map and rerun.partitions == [1] and rerun.stage_attempt == 1
    h.complete(rerun)
    resumed = h.ts.task_sets[-1]
    assert not resumed.is_shuffle_map and resumed.partitions == [0, 1] and resumed.stage_attempt == 1
    h.complete(resumed)
    assert waiter.done and waiter.error is None
    h.dag.assert_no_state_left()


def test_executor_loss_forgets_its_outputs():
    h = Harness()
    a = FakeRDD(1, 2)
    dep = ShuffleDependency(a, 0, hash_partitioner(1))
    b = FakeRDD(2, 1, [dep])
    h.submit(b)
    h.complete(h.ts.task_sets[-1], executors=["e1", "e2"])
    assert h.tracker.is_available(0)
    h.dag.executor_lost("e2", "killed", {})
    assert h.tracker.missing(0) == [1]


def test_task_set_failure_fails_the_job_with_the_remote_traceback():
    h = Harness()
    waiter = h.submit(FakeRDD(1, 2))
    task_set = h.ts.task_sets[-1]
    failure = ExceptionFailure("ValueError: bad", remote_type="builtins.ValueError",
                               remote_traceback='File "job.py", line 3\nValueError: bad',
                               exception_bytes=pickle.dumps(ValueError("bad")))
    h.dag.task_set_failed(task_set, "Task 0 failed 4 times", failure)
    assert waiter.done
    assert isinstance(waiter.error, ValueError)
    assert 'File "job.py", line 3' in str(waiter.error)
    h.dag.assert_no_state_left()


def test_cancelling_a_job_cancels_its_stages():
    h = Harness()
    waiter = h.submit(FakeRDD(1, 2))
    h.dag.handle(ev.JobCancelled(0, "user"))
    assert waiter.done and "cancelled" in str(waiter.error)
    assert h.ts.task_sets[-1].stage_id in h.ts.cancelled
    h.dag.assert_no_state_left()


def test_planning_error_fails_the_job():
    class Broken(FakeRDD):
        def dependencies(self):
            raise FileNotFoundError("Input path does not exist: /x")

    h = Harness()
    waiter = h.submit(Broken(1, 1), [0])
    assert isinstance(waiter.error, FileNotFoundError)
    h.dag.assert_no_state_left()


def test_empty_job_finishes_at_once():
    h = Harness()
    waiter = h.submit(FakeRDD(1, 0), [])
    assert waiter.done and waiter.error is None
    h.dag.assert_no_state_left()


@pytest.mark.parametrize("attempts", [4])
def test_stage_aborts_after_repeated_fetch_failures(attempts):
    h = Harness()
    h.ts.remove_executor = lambda executor_id, reason: None  # keep e1: this test is about the stage
    a = FakeRDD(1, 1)
    b = FakeRDD(2, 1, [ShuffleDependency(a, 0, hash_partitioner(1))])
    waiter = h.submit(b)
    for _ in range(attempts):
        h.complete(h.ts.task_sets[-1])  # map stage (re)run
        result_set = h.ts.task_sets[-1]
        h.dag.fetch_failed(h.launch(result_set, 0), FetchFailure(
            "gone", counts=False, shuffle_id=0, map_index=0, map_task_id=-1, reduce_id=0, executor_id="e1"))
        h.run_timers()
        if waiter.done:
            break
    assert waiter.done and "maximum allowable number of times" in str(waiter.error)


def test_executor_blamed_for_repeated_fetch_failures_is_removed():
    h = Harness()
    a = FakeRDD(1, 2)
    b = FakeRDD(2, 1, [ShuffleDependency(a, 0, hash_partitioner(1))])
    waiter = h.submit(b)
    h.complete(h.ts.task_sets[-1], executors=["e1", "e2"])
    for rerun_on in ("e2", "e1"):
        result_set = h.ts.task_sets[-1]
        h.dag.fetch_failed(h.launch(result_set, 0), FetchFailure(
            "unavailable", counts=False, shuffle_id=0, map_index=1, map_task_id=-1, reduce_id=0,
            executor_id="e2"))
        h.run_timers()
        rerun = h.ts.task_sets[-1]
        assert rerun.is_shuffle_map and rerun.partitions == [1]
        h.complete(rerun, executors=[rerun_on])
    assert h.ts.removed == ["e2"]
    h.complete(h.ts.task_sets[-1])
    assert waiter.done and waiter.error is None


def test_running_stage_retries_as_soon_as_its_input_dies_with_an_executor():
    h = Harness()
    a = FakeRDD(1, 2)
    b = FakeRDD(2, 2, [ShuffleDependency(a, 0, hash_partitioner(2))])
    waiter = h.submit(b)
    h.complete(h.ts.task_sets[-1], executors=["e1", "e2"])
    result_set = h.ts.task_sets[-1]
    first = h.launch(result_set, 0)
    h.dag.task_succeeded(first, result_set, pickle.dumps("done"), b"")  # one result already in
    h.dag.executor_lost("e2", "killed", {})
    assert result_set.stage_id in h.ts.cancelled
    h.run_timers()
    rerun = h.ts.task_sets[-1]
    assert rerun.is_shuffle_map and rerun.partitions == [1]
    h.complete(rerun)
    resumed = h.ts.task_sets[-1]
    assert not resumed.is_shuffle_map and resumed.partitions == [1]  # only the missing result
    h.complete(resumed)
    assert waiter.done and waiter.error is None
    h.dag.assert_no_state_left()


def test_executor_losses_never_exhaust_a_stages_attempts():
    # issue 11: a stage retried because an executor died used to count as a failed attempt
    h = Harness()
    a = FakeRDD(1, 2)
    b = FakeRDD(2, 2, [ShuffleDependency(a, 0, hash_partitioner(2))])
    waiter = h.submit(b)
    h.complete(h.ts.task_sets[-1], executors=["e1", "e2"])
    for _ in range(10):  # far more than spark.stage.maxConsecutiveAttempts (4)
        h.dag.executor_lost("e2", "killed by signal 9", {})
        h.run_timers()
        rerun = h.ts.task_sets[-1]
        assert rerun.is_shuffle_map and rerun.partitions == [1]
        h.complete(rerun, executors=["e2"])
        assert not waiter.done
    h.complete(h.ts.task_sets[-1])
    assert waiter.done and waiter.error is None
    h.dag.assert_no_state_left()


def _fetch_failure_from(executor_id):
    return FetchFailure("gone", counts=False, shuffle_id=0, map_index=0, map_task_id=-1, reduce_id=0,
                        executor_id=executor_id)


def test_fetch_failures_from_dead_executors_do_not_count():
    h = Harness()
    h.ts.remove_executor = lambda executor_id, reason: None
    b = FakeRDD(2, 1, [ShuffleDependency(FakeRDD(1, 1), 0, hash_partitioner(1))])
    waiter = h.submit(b)
    del h.ts.executors["e1"]  # died; its loss event is still on its way
    for _ in range(6):
        h.complete(h.ts.task_sets[-1], executors=["e2"])
        h.dag.fetch_failed(h.launch(h.ts.task_sets[-1], 0), _fetch_failure_from("e1"))
        h.run_timers()
        assert not waiter.done
    h.complete(h.ts.task_sets[-1], executors=["e2"])
    h.complete(h.ts.task_sets[-1])
    assert waiter.done and waiter.error is None


def test_an_attempt_that_completes_a_partition_resets_the_count():
    h = Harness()
    h.ts.remove_executor = lambda executor_id, reason: None
    b = FakeRDD(2, 2, [ShuffleDependency(FakeRDD(1, 1), 0, hash_partitioner(2))])
    waiter = h.submit(b)

    def fetch_failed_attempt(succeed_first=False):
        h.complete(h.ts.task_sets[-1])  # the map output (re)made
        result_set = h.ts.task_sets[-1]
        if succeed_first:
            h.dag.task_succeeded(h.launch(result_set, 0), result_set, pickle.dumps(0), b"")
        h.dag.fetch_failed(h.launch(result_set, result_set.partitions[-1]), _fetch_failure_from("e1"))
        h.run_timers()

    for _ in range(3):  # one short of spark.stage.maxConsecutiveAttempts
        fetch_failed_attempt()
    fetch_failed_attempt(succeed_first=True)  # made progress: counts as the first again
    fetch_failed_attempt()
    fetch_failed_attempt()
    assert not waiter.done
    fetch_failed_attempt()
    assert waiter.done and "maximum allowable number of times: 4" in str(waiter.error)
