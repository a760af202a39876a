"""ResourceProfiles: PySpark's builder API, task CPUs honoured by the scheduler, clear failures for
what no executor can ever offer."""
from __future__ import annotations

import os
import threading
import time

import pytest

from sparklite import TaskContext
from sparklite.errors import SparkliteJobError
from sparklite.resource import (ExecutorResourceRequests, ResourceProfile, ResourceProfileBuilder,
                                TaskResourceRequests)


def _profile(cpus=None, **resources):
    requests = TaskResourceRequests()
    if cpus is not None:
        requests.cpus(cpus)
    for name, amount in resources.items():
        requests.resource(name, amount)
    return ResourceProfileBuilder().require(requests).build


def test_builder_api():
    builder = ResourceProfileBuilder()
    builder.require(ExecutorResourceRequests().cores(4).memory("2g").memoryOverhead("512m")
                    .pysparkMemory("1g").offheapMemory("256").resource("gpu", 2, "/bin/find-gpus", "nvidia"))
    builder.require(TaskResourceRequests().cpus(2).resource("gpu", 0.5))
    profile = builder.build
    assert isinstance(profile, ResourceProfile)
    execs = profile.executorResources
    assert (execs["cores"].amount, execs["memory"].amount, execs["memoryOverhead"].amount,
            execs["pyspark.memory"].amount, execs["offHeap"].amount) == (4, 2048, 512, 1024, 256)
    assert (execs["gpu"].discoveryScript, execs["gpu"].vendor) == ("/bin/find-gpus", "nvidia")
    tasks = profile.taskResources
    assert tasks["cpus"].amount == 2.0 and tasks["gpu"].amount == 0.5
    builder.clearTaskResourceRequests()
    assert builder.taskResources == {} and builder.build.executorResources
    builder.clearExecutorResourceRequests()
    assert builder.executorResources == {}
    with pytest.raises(RuntimeError, match="SparkContext must be created"):
        _ = profile.id
    with pytest.raises(TypeError):
        ResourceProfileBuilder().require("cpus")
    with pytest.raises(ValueError):
        TaskResourceRequests().cpus(0)


def test_with_resources_and_get_resource_profile(sc):
    profile = _profile(cpus=1)
    rdd = sc.parallelize(range(4), 2)
    assert rdd.getResourceProfile() is None and not rdd.has_resource_profile
    assert rdd.withResources(profile) is rdd
    assert rdd.getResourceProfile() is profile and rdd.has_resource_profile and profile.id >= 1
    assert rdd.map(lambda x: TaskContext.get().cpus()).collect() == [1, 1, 1, 1]
    with pytest.raises(TypeError):
        rdd.withResources({"cpus": 1})


def test_task_cpus_are_honoured(context_factory):
    context = context_factory("local[2]", {"spark.executor.cores": "2"})
    assert context.defaultParallelism == 4

    def busy(iterator):
        start = time.time()
        time.sleep(0.3)
        yield os.getpid(), TaskContext.get().cpus(), start, time.time()

    plain = context.parallelize(range(4), 4).mapPartitions(busy).collect()
    two = context.parallelize(range(4), 4).withResources(_profile(cpus=2)).mapPartitions(busy).collect()
    assert [c for _, c, _, _ in plain] == [1, 1, 1, 1]
    assert [c for _, c, _, _ in two] == [2, 2, 2, 2]

    def max_overlap(runs):
        by_pid: dict = {}
        for pid, _, start, end in runs:
            by_pid.setdefault(pid, []).append((start, end))
        worst = 0
        for spans in by_pid.values():
            for s, e in spans:
                worst = max(worst, sum(1 for s2, e2 in spans if s2 < e and s < e2))
        return worst

    assert max_overlap(two) == 1  # a 2-CPU task has its 2-core executor to itself


def test_spark_task_cpus_default(context_factory):
    context = context_factory("local[1]", {"spark.executor.cores": "3", "spark.task.cpus": "3"})
    assert context.parallelize(range(2), 2).map(lambda _: TaskContext.get().cpus()).collect() == [3, 3]


def test_impossible_cpu_amount_fails_at_once(sc):
    started = time.monotonic()
    with pytest.raises(SparkliteJobError, match="need 2 CPUs each, but every executor has 1"):
        sc.parallelize(range(2), 2).withResources(_profile(cpus=2)).collect()
    with pytest.raises(SparkliteJobError, match=r"need 1 gpu each, but no executor offers gpu.*spark.executor.resource.gpu.amount"):
        sc.parallelize(range(2), 2).withResources(_profile(gpu=1)).collect()
    assert time.monotonic() - started < 10
    assert sc.parallelize(range(3)).sum() == 3


def test_conflicting_profiles_in_one_stage(sc, context_factory):
    a = sc.parallelize(range(4), 2).map(lambda x: x).withResources(_profile(cpus=1))
    other = ResourceProfileBuilder().require(TaskResourceRequests().cpus(1)).require(
        ExecutorResourceRequests().cores(1)).build
    b = a.map(lambda x: x + 1).withResources(other)
    with pytest.raises(SparkliteJobError, match="Multiple ResourceProfiles"):
        b.collect()
    merging = context_factory("local[2]", {"spark.scheduler.resource.profileMergeConflicts": "true",
                                           "spark.executor.cores": "2"})
    c = merging.parallelize(range(4), 2).map(lambda x: x).withResources(_profile(cpus=1))
    d = c.map(lambda x: TaskContext.get().cpus()).withResources(_profile(cpus=2))
    assert d.collect() == [2, 2, 2, 2]  # merged: the larger CPU amount
    # profiles on either side of a shuffle are separate stages: no conflict
    e = c.map(lambda x: (x % 2, x)).reduceByKey(lambda p, q: p + q).withResources(_profile(cpus=2))
    assert sorted(e.collect()) == [(0, 2), (1, 4)]


def test_profiled_stage_waits_while_slots_are_busy(context_factory, tmp_path):
    from tests.helpers.waiting import wait_until

    context = context_factory("local[1]", {"spark.executor.cores": "2"})
    flag = str(tmp_path / "go")
    ts = context._runtime.task_scheduler

    def hold(path):
        for _ in range(2000):  # until the test creates the flag (bounded)
            if os.path.exists(path):
                break
            time.sleep(0.01)
        return 1

    one = threading.Thread(target=lambda: context.parallelize([flag], 1).map(hold).collect())
    one.start()
    result: list = []
    two = threading.Thread(target=lambda: result.extend(
        context.parallelize([0], 1).withResources(_profile(cpus=2)).map(lambda _: 2).collect()))
    try:
        wait_until(lambda: context._runtime.call(ts.running_task_count) == 1, 20,
                   message="a 1-CPU task running")
        two.start()
        # offers are made when a task set arrives: once it is known, the decision was taken
        wait_until(lambda: context._runtime.call(lambda: len(ts.task_sets)) == 2, 20,
                   message="the 2-CPU task set to be submitted")
        assert context._runtime.call(ts.running_task_count) == 1 and not result
    finally:
        open(flag, "w").close()
        one.join(30)
        if two.is_alive() or two.ident:
            two.join(30)
    assert result == [2]
