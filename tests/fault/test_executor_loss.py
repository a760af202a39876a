"""Executors SIGKILLed at exact moments: the answer stays right and only what was lost is redone.

Each test parks a task (or a fetch) with a file-based hook, kills a real
executor process with SIGKILL at that moment, and then asserts both the answer
(against plain Python) and the recovery path recorded by the scheduler.
"""
from __future__ import annotations

import os
import random
import signal
from concurrent.futures import ThreadPoolExecutor
from operator import add

import pytest

from sparklite.errors import SparkliteJobError
from sparklite.scheduler.listener import EventRecorder
from tests.helpers import reference as ref
from tests.helpers.faults import Parker, executor_of_pid, executor_pids, kill, wait_executor_gone, wait_executors
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.fault


def recorder_for(context):
    recorder = EventRecorder()
    context._runtime.listeners.add(recorder)
    return recorder


def map_stage_runs(recorder, shuffle_id):
    return [s for s in recorder.stages if s.shuffle_id == shuffle_id]


def test_kill_during_map_stage_does_not_count_as_a_task_failure(context_factory, tmp_path):
    context = context_factory("local[2]", {"spark.task.maxFailures": "1"})
    recorder = recorder_for(context)
    parker = Parker(tmp_path)
    data = list(range(2000))
    sums = (context.parallelize(data, 4).mapPartitionsWithIndex(parker.gate({2}))
            .map(lambda x: (x % 7, x)).reduceByKey(add))
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(sums.collectAsMap)
        pid = parker.wait_parked(2)
        victim = executor_of_pid(context, pid)
        kill(pid)
        result = future.result(timeout=60)
    assert result == ref.reduce_by_key([(x % 7, x) for x in data], add)
    # one map stage attempt; re-run: the parked partition, and outputs finished on the victim
    (map_stage,) = map_stage_runs(recorder, sums.shuffle_id)
    successes = [t for t in recorder.tasks if t.stage_id == map_stage.stage_id and t.succeeded]
    first_success = {}
    for t in successes:
        first_success.setdefault(t.partition, t)
    rerun = sorted(t.partition for t in successes if first_success[t.partition] is not t)
    lost_outputs = sorted(p for p, t in first_success.items() if t.executor_id == victim)
    assert sorted(first_success) == [0, 1, 2, 3]
    assert rerun == lost_outputs and 2 not in lost_outputs
    assert first_success[2].attempt_number == 1 and first_success[2].executor_id != victim
    wait_executors(context, 2)  # the lost executor was replaced
    assert pid not in executor_pids(context).values()


def spread_over_two_executors(parker, pool, action):
    """Run ``action`` with partitions 0 and 1 parked together: each holds one of the two slots,
    so the map outputs end up on both executors (whatever the machine's load)."""
    future = pool.submit(action)
    parker.wait_parked(0)
    parker.wait_parked(1)
    parker.release(0)
    parker.release(1)
    return future


def test_kill_between_map_and_reduce_reruns_only_lost_map_outputs(context_factory, tmp_path):
    context = context_factory("local[2]")
    parker = Parker(tmp_path)
    data = [(i % 11, i) for i in range(3000)]
    sums = context.parallelize(data, 6).mapPartitionsWithIndex(parker.gate({0, 1})).reduceByKey(add, 3)
    with ThreadPoolExecutor(1) as pool:
        assert spread_over_two_executors(parker, pool, sums.count).result(timeout=60) == 11
    statuses = context._runtime.call(lambda: context._runtime.tracker.statuses(sums.shuffle_id))
    victim = statuses[0].executor_id
    lost = sorted(i for i, s in enumerate(statuses) if s.executor_id == victim)
    assert 0 < len(lost) < 6
    recorder = recorder_for(context)
    kill(executor_pids(context)[victim])
    wait_executor_gone(context, victim)
    assert sums.collectAsMap() == ref.reduce_by_key(data, add)
    (rerun,) = map_stage_runs(recorder, sums.shuffle_id)
    assert sorted(rerun.partitions) == lost


def test_kill_mid_fetch_reruns_the_serving_executors_outputs(context_factory, tmp_path):
    park = tmp_path / "fetch"
    park.mkdir()
    context = context_factory("local[2]", {"sparklite.shuffle.forceRemoteFetch": "true",
                                           "sparklite.test.parkFetchDir": str(park)})
    recorder = recorder_for(context)
    parker = Parker(tmp_path / "park")
    data = [(i % 13, i) for i in range(4000)]
    groups = (context.parallelize(data, 4).mapPartitionsWithIndex(parker.gate({0, 1}))
              .groupByKey(2).mapValues(sorted))
    with ThreadPoolExecutor(1) as pool:
        future = spread_over_two_executors(parker, pool, groups.collectAsMap)
        marker = wait_until(lambda: [p for p in park.iterdir() if p.name.startswith("fetch-parked-") and not p.name.endswith(".tmp")],
                            60, message="a fetch stream to park")[0]
        server_pid = int(marker.read_text())
        server = executor_of_pid(context, server_pid)
        kill(server_pid)
        (park / "release").write_text("go")
        result = future.result(timeout=60)
    assert result == {k: sorted(v) for k, v in ref.group_by_key(data).items()}
    shuffle_runs = [s for s in recorder.stages if s.is_shuffle_map]
    assert len(shuffle_runs) == 2  # the first run, then one repair of the lost outputs only
    first, repair = shuffle_runs
    assert sorted(first.partitions) == [0, 1, 2, 3]
    assert 0 < len(repair.partitions) < 4
    served_by_victim = {t.partition for t in recorder.tasks
                        if t.stage_id == first.stage_id and t.succeeded and t.executor_id == server}
    assert set(repair.partitions) == served_by_victim


def test_kill_while_holding_cached_partitions_recomputes_only_those(context_factory):
    context = context_factory("local[2]")
    computed = context.accumulator(0)

    def note(index, iterator):
        computed.add(1)
        return iterator

    data = list(range(600))
    cached = context.parallelize(data, 6).mapPartitionsWithIndex(note).map(lambda x: x * 3).cache()
    assert cached.count() == 600
    assert computed.value == 6
    master = context._runtime.block_master
    holders = {b: master.executors_with(b) for b in (f"rdd_{cached.id()}_{p}" for p in range(6))}
    victim = holders[f"rdd_{cached.id()}_0"][0]
    held = [b for b, h in holders.items() if h == [victim]]
    kill(executor_pids(context)[victim])
    wait_executor_gone(context, victim)
    assert cached.sum() == sum(x * 3 for x in data)
    assert computed.value == 6 + len(held)  # only the lost partitions were recomputed


def test_kill_during_the_last_task_of_a_job(context_factory, tmp_path):
    context = context_factory("local[2]")
    recorder = recorder_for(context)
    parker = Parker(tmp_path)
    rdd = context.parallelize(range(500), 5).mapPartitionsWithIndex(parker.gate({4})).map(lambda x: -x)
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(rdd.collect)
        pid = parker.wait_parked(4)
        wait_until(lambda: len([t for t in recorder.tasks if t.succeeded]) == 4, 60,
                   message="the other four tasks")
        kill(pid)
        result = future.result(timeout=60)
    assert result == [-x for x in range(500)]
    assert sorted(t.partition for t in recorder.tasks if t.succeeded) == [0, 1, 2, 3, 4]
    assert len(recorder.stages) == 1  # the result stage was not resubmitted: one task re-ran


def test_repartition_stays_exact_when_its_input_is_recomputed_in_another_order(context_factory, tmp_path):
    """SPARK-23207: a recomputed map partition whose order changed must not lose or duplicate rows."""
    context = context_factory("local[2]", {"sparklite.shuffle.forceRemoteFetch": "true"})
    map_parker = Parker(tmp_path / "map")
    reduce_parker = Parker(tmp_path / "reduce")
    data = list(range(20000))

    def scramble(iterator):
        items = list(iterator)
        random.shuffle(items)  # a different order every time the partition is computed
        return iter(items)

    spread = (context.parallelize(data, 4).mapPartitionsWithIndex(map_parker.gate({0, 1}))
              .mapPartitions(scramble).repartition(5))
    result_rdd = spread.mapPartitionsWithIndex(reduce_parker.gate({4}))
    recorder = recorder_for(context)
    with ThreadPoolExecutor(1) as pool:
        future = spread_over_two_executors(map_parker, pool, result_rdd.collect)
        parked_pid = reduce_parker.wait_parked(4)
        result_stage = [s for s in recorder.stages if not s.is_shuffle_map][0].stage_id
        wait_until(lambda: len([t for t in recorder.tasks if t.stage_id == result_stage and t.succeeded]) == 4,
                   60, message="the other reduce tasks")
        (other,) = [p for p in executor_pids(context).values() if p != parked_pid]
        kill(other)  # its map outputs die: they are recomputed, scrambled differently
        reduce_parker.release(4)
        result = future.result(timeout=90)
    assert len(result) == len(data)
    assert sorted(result) == data
    assert len([s for s in recorder.stages if s.is_shuffle_map]) == 2  # map outputs were recomputed


def test_accumulators_count_each_partition_once_through_kills_and_retries(context_factory, tmp_path):
    context = context_factory("local[2]")
    parker = Parker(tmp_path)
    marker = tmp_path / "failed-once"
    seen = context.accumulator(0)

    def count_and_fail_once(x):
        seen.add(1)
        if x == 10 and not marker.exists():
            marker.write_text("x")
            raise RuntimeError("transient")
        return x

    rdd = context.parallelize(range(100), 4).mapPartitionsWithIndex(parker.gate({3})).map(count_and_fail_once)
    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(rdd.count)
        kill(parker.wait_parked(3))
        assert future.result(timeout=60) == 100
    assert seen.value == 100


def test_executors_dying_at_start_fail_the_app_clearly(context_factory):
    context = context_factory("local[1]", {"sparklite.test.crashExecutorsOnStart": "true"})
    with pytest.raises(SparkliteJobError, match="executors keep dying before they register"):
        context.parallelize(range(3)).count()


def test_hung_executor_is_removed_after_missed_heartbeats(context_factory):
    context = context_factory("local[2]", {"spark.executor.heartbeatInterval": "100ms",
                                           "spark.network.timeout": "1s"})
    wait_executors(context, 2)
    victim, pid = sorted(executor_pids(context).items())[0]
    os.kill(pid, signal.SIGSTOP)
    try:
        wait_executor_gone(context, victim, timeout=30)
        assert context.parallelize(range(100), 4).map(lambda x: x + 1).sum() == sum(range(1, 101))
        wait_executors(context, 2)
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_repeated_fetch_failures_remove_the_executor(context_factory, tmp_path):
    refuse = tmp_path / "refuse"
    context = context_factory("local[2]", {"sparklite.shuffle.forceRemoteFetch": "true",
                                           "sparklite.test.failFetchesFromFile": str(refuse)})
    data = [(i % 5, 1) for i in range(1000)]
    sums = context.parallelize(data, 4).reduceByKey(add, 2)
    assert sums.count() == 5
    statuses = context._runtime.call(lambda: context._runtime.tracker.statuses(sums.shuffle_id))
    victim = statuses[0].executor_id
    refuse.write_text(victim)  # from now on its block service refuses every fetch
    assert sums.collectAsMap() == ref.reduce_by_key(data, add)
    wait_executor_gone(context, victim)


@pytest.mark.parametrize("operation", ["zipWithIndex", "sample"])
def test_order_sensitive_operations_after_a_shuffle_survive_a_partial_recompute(context_factory, tmp_path,
                                                                                   operation):
    """zipWithIndex and sample depend on record order: a recomputed shuffle partition must come
    back in the same order, or the job would mix two versions of it."""
    context = context_factory("local[2]", {"sparklite.shuffle.forceRemoteFetch": "true"})
    map_parker = Parker(tmp_path / "map")
    reduce_parker = Parker(tmp_path / "reduce")
    data = [(i % 97, i) for i in range(6000)]

    def build(gate_map, gate_reduce):
        grouped = context.parallelize(data, 4)
        if gate_map:
            grouped = grouped.mapPartitionsWithIndex(map_parker.gate({0, 1}))
        grouped = grouped.groupByKey(4).mapValues(sorted)
        out = grouped.zipWithIndex() if operation == "zipWithIndex" else grouped.sample(False, 0.4, seed=7)
        return out.mapPartitionsWithIndex(reduce_parker.gate({3})) if gate_reduce else out

    expected = sorted(build(False, False).collect())  # the same lineage without faults
    recorder = recorder_for(context)
    with ThreadPoolExecutor(1) as pool:
        # zipWithIndex runs its counting job when it is called: build inside the submitted action
        future = spread_over_two_executors(map_parker, pool, lambda: build(True, True).collect())
        parked_pid = reduce_parker.wait_parked(3)
        (other,) = [p for p in executor_pids(context).values() if p != parked_pid]
        kill(other)
        reduce_parker.release(3)
        result = future.result(timeout=90)
    assert sorted(result) == expected
    if operation == "zipWithIndex":
        assert sorted(i for _, i in result) == list(range(97))
    assert len([s for s in recorder.stages if s.is_shuffle_map]) >= 2  # map outputs were recomputed


def test_replacements_that_fail_to_start_never_fail_the_app_while_an_executor_works(context_factory):
    # issue 11: local mode gave up after 3 x N start failures even with healthy executors
    context = context_factory("local[2]", {"sparklite.test.crashReplacementExecutors": "true",
                                           "spark.deploy.maxExecutorRetries": "2"})
    wait_executors(context, 2)
    victim, pid = sorted(executor_pids(context).items())[0]
    kill(pid)
    wait_executor_gone(context, victim)
    backend = context._runtime.backend
    wait_until(lambda: backend._start_failures >= 4, 60, message="replacements failing to start")
    assert context.parallelize(range(100), 4).map(lambda x: x * 2).sum() == 9900  # on the survivor
    assert not backend._failed


def test_an_executor_exit_is_reported_with_its_code_or_signal(context_factory):
    context = context_factory("local[1]", {"sparklite.task.maxExecutorLosses": "2"})
    with pytest.raises(SparkliteJobError, match=r"lost its executor 2 times \(last: executor \d+: "
                                                r"exited with code 3"):
        context.parallelize([1], 1).map(lambda x: os._exit(3)).collect()
    with pytest.raises(SparkliteJobError, match=r"killed by signal 9 \(SIGKILL\) — out of memory\?"):
        context.parallelize([1], 1).map(lambda x: os.kill(os.getpid(), signal.SIGKILL)).collect()


def test_a_task_allocating_past_pyspark_memory_fails_with_memory_error(context_factory):
    context = context_factory("local[1]", {"spark.executor.pyspark.memory": "256m"})
    with pytest.raises(MemoryError) as info:
        context.parallelize([1], 1).map(lambda x: len(bytearray(3 << 30))).collect()
    assert isinstance(info.value, SparkliteJobError)
    assert "limited to 256m by spark.executor.pyspark.memory" in str(info.value)
    pids = executor_pids(context)
    # within the limit, the executor that refused 3 GiB runs shuffles and caches as ever
    data = [(i % 10, str(i)) for i in range(20000)]
    grouped = context.parallelize(data, 4).groupByKey().mapValues(len).cache()
    assert sorted(grouped.collect()) == [(k, 2000) for k in range(10)]
    assert executor_pids(context) == pids
