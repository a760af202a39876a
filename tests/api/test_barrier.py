"""Barrier stages: gang launch, barrier()/allGather() across executor processes, Spark's refusals,
and failure handling (whole-stage retry for map stages, job failure for result stages)."""
from __future__ import annotations

import os
import signal
import time
from operator import add

import pytest

from sparklite import BarrierTaskContext, TaskContext
from sparklite.errors import SparkliteJobError
from tests.helpers.waiting import wait_until


def test_all_gather_and_barrier_across_processes(sc):
    def gather(iterator):
        context = BarrierTaskContext.get()
        items = list(iterator)
        context.barrier()
        first = context.allGather(f"{context.partitionId()}:{sum(items)}")
        second = context.allGather(str(os.getpid()))
        context.barrier()
        yield context.partitionId(), first, second, [info.address for info in context.getTaskInfos()]

    got = sc.parallelize(range(10), 2).barrier().mapPartitions(gather).collect()
    assert [g[0] for g in got] == [0, 1]
    assert all(g[1] == ["0:10", "1:35"] for g in got)
    pids = got[0][2]
    assert got[1][2] == pids and len(set(pids)) == 2 and str(os.getpid()) not in pids
    executors = {h.block_address for h in sc._runtime.endpoint.executors.values()}
    assert set(got[0][3]) == executors and got[0][3] == got[1][3]


def test_barrier_stage_feeds_a_shuffle(any_sc):
    def scale(index, iterator):
        context = BarrierTaskContext.get()
        total = sum(int(m) for m in context.allGather(str(len(list(iterator)))))
        yield index, total

    rdd = any_sc.parallelize(range(10), 2).barrier().mapPartitionsWithIndex(scale)
    assert sorted(rdd.map(lambda kv: ("n", kv[1])).reduceByKey(add).collect()) == [("n", 20)]
    # a map after the barrier function stays in the barrier stage
    assert rdd.map(lambda kv: kv[1]).collect() == [10, 10]


def test_barrier_task_context_outside_a_barrier_stage(sc):
    assert sc.parallelize([1]).map(lambda _: type(TaskContext.get()).__name__).collect() == ["TaskContext"]
    with pytest.raises(RuntimeError, match="not in a barrier stage"):
        sc.parallelize([1]).map(lambda _: BarrierTaskContext.get()).collect()
    with pytest.raises(TypeError, match="must be of type `str`"):
        sc.parallelize([1], 1).barrier().mapPartitions(
            lambda it: [BarrierTaskContext.get().allGather(42)]).collect()


def test_more_tasks_than_slots_fails_at_once(sc):
    started = time.monotonic()
    with pytest.raises(SparkliteJobError, match=r"SPARK-24819.*3 tasks of 1 CPUs.*2 such slots"):
        sc.parallelize(range(3), 3).barrier().mapPartitions(lambda it: it).collect()
    assert time.monotonic() - started < 10


def test_barrier_chain_patterns_spark_refuses(sc):
    rdd = sc.parallelize(range(4), 2).barrier().mapPartitions(lambda it: it)
    with pytest.raises(SparkliteJobError, match="SPARK-24820"):
        rdd.first()
    with pytest.raises(SparkliteJobError, match="SPARK-24820"):
        rdd.coalesce(1).collect()
    assert rdd.collect()[0] == 0  # the documented workaround


def test_mixed_sync_types_fail_the_job(sc):
    def mixed(index, iterator):
        context = BarrierTaskContext.get()
        if index == 0:
            context.barrier()
        else:
            context.allGather("x")
        return iterator

    with pytest.raises(SparkliteJobError, match="Different barrier sync types"):
        sc.parallelize(range(2), 2).barrier().mapPartitionsWithIndex(mixed).collect()


def test_failed_barrier_result_stage_fails_the_job_and_stops_its_partners(sc):
    def one_fails(index, iterator):
        context = BarrierTaskContext.get()
        if index == 1:
            raise ValueError("task 1 breaks the gang")
        context.barrier()  # partner 0 waits here until the stage is aborted
        return iterator

    started = time.monotonic()
    with pytest.raises(ValueError, match="task 1 breaks the gang") as info:
        sc.parallelize(range(2), 2).barrier().mapPartitionsWithIndex(one_fails).collect()
    assert "Could not recover from a failed barrier ResultStage" in str(info.value)
    assert time.monotonic() - started < 20
    wait_until(lambda: sc._runtime.task_scheduler.running_task_count() == 0, 20,
               message="the partner task to be killed")
    wait_until(lambda: not sc._runtime.barrier.pending(), 20, message="no sync left waiting")
    assert sc.parallelize(range(4), 2).sum() == 6


def test_failed_barrier_map_stage_is_retried_as_a_whole(sc, tmp_path):
    log = tmp_path / "runs.log"
    marker = tmp_path / "failed-once"

    def flaky(index, iterator):
        context = BarrierTaskContext.get()
        with open(log, "a") as f:
            f.write(f"{index}\n")
        if index == 0 and not marker.exists():
            marker.write_text("x")
            raise RuntimeError("first attempt of the gang fails")
        context.barrier()
        return ((x % 3, x) for x in iterator)

    rdd = sc.parallelize(range(30), 2).barrier().mapPartitionsWithIndex(flaky).reduceByKey(add)
    assert sorted(rdd.collect()) == [(r, sum(x for x in range(30) if x % 3 == r)) for r in range(3)]
    runs = log.read_text().split()
    assert runs.count("0") == 2  # the failing task and its retry
    assert 1 <= runs.count("1") <= 2  # its partner reran with it (unless killed before it logged)
    assert sorted(runs)[-1] == "1"


def test_barrier_sync_timeout(context_factory):
    context = context_factory("local[2]", {"spark.barrier.sync.timeout": "1s"})

    def only_one_syncs(index, iterator):
        if index == 1:
            BarrierTaskContext.get().barrier()
        return iterator

    with pytest.raises(SparkliteJobError, match="didn't get all barrier sync requests within 1 s"):
        context.parallelize(range(2), 2).barrier().mapPartitionsWithIndex(only_one_syncs).collect()


def test_gang_waits_for_free_slots(context_factory):
    context = context_factory("local[2]")
    import threading

    def slow(x):
        time.sleep(1.0)
        return x

    busy = threading.Thread(target=lambda: context.parallelize([1], 1).map(slow).collect())
    busy.start()
    wait_until(lambda: context._runtime.task_scheduler.running_task_count() == 1, 20,
               message="one slot to be busy")

    def stamp(iterator):
        started = time.time()  # before the barrier: when this task was launched
        BarrierTaskContext.get().barrier()
        yield started

    try:
        stamps = context.parallelize(range(2), 2).barrier().mapPartitions(stamp).collect()
    finally:
        busy.join(30)
    # launched together once both slots were free, not one now and one a second later
    assert len(stamps) == 2 and abs(stamps[0] - stamps[1]) < 0.5


@pytest.mark.fault
def test_executor_loss_in_a_barrier_map_stage_reruns_the_gang(context_factory, tmp_path):
    context = context_factory("local[2]")
    pid_file = tmp_path / "victim.pid"

    def victim_waits(index, iterator):
        context_ = BarrierTaskContext.get()
        if index == 0 and not pid_file.exists():
            pid_file.write_text(str(os.getpid()))
            for _ in range(1200):  # until the test kills this executor
                time.sleep(0.05)
        context_.barrier()
        return ((x % 2, x) for x in iterator)

    import threading

    result: list = []
    job = threading.Thread(target=lambda: result.append(
        sorted(context.parallelize(range(20), 2).barrier().mapPartitionsWithIndex(victim_waits)
               .reduceByKey(add).collect())))
    job.start()
    wait_until(lambda: pid_file.exists() and pid_file.read_text(), 30, message="the victim task")
    os.kill(int(pid_file.read_text()), signal.SIGKILL)
    job.join(60)
    assert not job.is_alive()
    assert result == [[(0, sum(range(0, 20, 2))), (1, sum(range(1, 20, 2)))]]
