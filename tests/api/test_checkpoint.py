"""checkpoint() writes partitions and cuts the lineage; localCheckpoint() keeps them in executor
storage. Recomputation is observed with an accumulator incremented by the upstream function."""
from __future__ import annotations

import os
import signal
from operator import add

import fsspec
import pytest

from sparklite.rdd.checkpoint_rdd import LocalCheckpointRDD, ReliableCheckpointRDD
from sparklite.rdd.dependency import ShuffleDependency
from sparklite.scheduler.dag_scheduler import DAGScheduler
from sparklite.scheduler.listener import EventRecorder
from tests.helpers import reference as ref
from tests.helpers.waiting import wait_until

PAIRS = [(i % 6, i) for i in range(120)]


def _counted_lineage(context, computed):
    def count_calls(x):
        computed.add(1)
        return x

    return context.parallelize(PAIRS, 4).map(count_calls).reduceByKey(add).mapValues(lambda v: v * 2)


@pytest.fixture
def checkpoint_dir(sc, tmp_path):
    sc.setCheckpointDir(str(tmp_path / "ckpt"))
    uri = sc.getCheckpointDir()
    assert uri.startswith("file:/")  # a URI with its scheme, as PySpark reports it
    yield uri[len("file:"):]
    sc._checkpoint_dir = None


def test_checkpoint_requires_a_directory(sc):
    assert sc.getCheckpointDir() is None
    with pytest.raises(RuntimeError, match="Checkpoint directory has not been set"):
        sc.parallelize([1]).checkpoint()


def test_set_checkpoint_dir_makes_a_fresh_subdirectory(sc, tmp_path, checkpoint_dir):
    assert checkpoint_dir.startswith(str(tmp_path / "ckpt") + "/")
    assert os.path.isdir(checkpoint_dir)
    assert sc.getCheckpointDir() == "file:" + checkpoint_dir


def test_checkpoint_writes_files_and_truncates_lineage(sc, checkpoint_dir):
    computed = sc.accumulator(0)
    rdd = _counted_lineage(sc, computed)
    rdd.checkpoint()
    assert not rdd.isCheckpointed() and rdd.getCheckpointFile() is None
    expected = {k: 2 * v for k, v in ref.reduce_by_key(PAIRS, add).items()}
    assert dict(rdd.collect()) == expected
    assert rdd.isCheckpointed() and not rdd.isLocallyCheckpointed()
    uri = rdd.getCheckpointFile()
    assert uri == f"file:{checkpoint_dir}/rdd-{rdd.id()}"  # PySpark: file:/tmp/.../rdd-3
    path = uri[len("file:"):]
    assert sorted(os.listdir(path)) == [f"part-{i:05d}" for i in range(rdd.getNumPartitions())]
    [dep] = rdd.dependencies()
    assert isinstance(dep.rdd, ReliableCheckpointRDD) and dep.rdd.dependencies() == []
    assert DAGScheduler._shuffle_deps_of(rdd) == []
    assert "ReliableCheckpointRDD" in rdd.toDebugString().decode()
    runs = computed.value

    recorder = EventRecorder()
    sc._runtime.listeners.add(recorder)
    try:
        child = rdd.map(lambda kv: (kv[0], kv[1] + 1))
        assert dict(child.collect()) == {k: v + 1 for k, v in expected.items()}
        assert sorted(rdd.keys().collect()) == sorted(expected)
    finally:
        sc._runtime.listeners.remove(recorder)
    assert computed.value == runs  # the old lineage never ran again
    assert not [s for s in recorder.stages if s.is_shuffle_map]  # the checkpoint is the source


def test_checkpoint_of_cached_rdd_reads_the_cache_when_writing(sc, checkpoint_dir):
    computed = sc.accumulator(0)
    rdd = sc.parallelize(range(50), 5).map(lambda x: (computed.add(1), x)[1]).cache()
    rdd.checkpoint()
    assert rdd.sum() == sum(range(50))
    assert computed.value == 50  # the checkpoint job read the cached partitions
    assert rdd.isCheckpointed() and rdd.getStorageLevel().useMemory
    assert rdd.collect() == list(range(50))
    rdd.unpersist()
    assert rdd.collect() == list(range(50))  # then from the files
    assert computed.value == 50


def test_checkpoint_of_empty_and_single_partition_rdds(sc, checkpoint_dir):
    for rdd, expected in ((sc.parallelize([], 3), []), (sc.emptyRDD(), []), (sc.range(7, numSlices=1), list(range(7)))):
        rdd.checkpoint()
        assert rdd.collect() == expected
        assert rdd.isCheckpointed()
        assert rdd.collect() == expected


def test_checkpoint_to_memory_filesystem(sc):
    sc.setCheckpointDir("memory://sl-ckpt")
    try:
        rdd = sc.parallelize([("a", 1), ("b", 2), ("a", 3)], 2).reduceByKey(add)
        rdd.checkpoint()
        assert sorted(rdd.collect()) == [("a", 4), ("b", 2)]
        assert rdd.isCheckpointed() and rdd.getCheckpointFile().startswith("memory://")
        assert sorted(rdd.map(lambda kv: kv[1]).collect()) == [2, 4]
    finally:
        sc._checkpoint_dir = None
        fsspec.filesystem("memory").rm("/sl-ckpt", recursive=True)


def test_checkpoint_only_materializes_the_marked_rdd_of_a_chain(sc, checkpoint_dir):
    base = sc.parallelize(range(10), 2).map(lambda x: x + 1)
    base.checkpoint()
    top = base.map(lambda x: x * 2)
    top.checkpoint()
    assert top.sum() == sum(2 * (x + 1) for x in range(10))
    assert top.isCheckpointed() and not base.isCheckpointed()  # the walk stops at top


def test_local_checkpoint_truncates_lineage_into_executor_storage(sc):
    computed = sc.accumulator(0)
    rdd = _counted_lineage(sc, computed)
    rdd.localCheckpoint()
    assert rdd.isLocallyCheckpointed() and not rdd.isCheckpointed()
    assert rdd.getStorageLevel().useDisk and rdd.getStorageLevel().useMemory
    expected = {k: 2 * v for k, v in ref.reduce_by_key(PAIRS, add).items()}
    assert dict(rdd.collect()) == expected
    assert rdd.isCheckpointed() and rdd.getCheckpointFile() is None
    [dep] = rdd.dependencies()
    assert isinstance(dep.rdd, LocalCheckpointRDD)
    assert not [d for d in DAGScheduler._shuffle_deps_of(rdd) if isinstance(d, ShuffleDependency)]
    blocks = sc._runtime.block_master.rdd_blocks(rdd.id())
    assert len(blocks) == rdd.getNumPartitions()
    runs = computed.value
    assert dict(rdd.mapValues(lambda v: -v).collect()) == {k: -v for k, v in expected.items()}
    assert computed.value == runs


def test_local_checkpoint_after_take_computes_the_missing_partitions(sc):
    rdd = sc.parallelize(range(40), 4).map(lambda x: x * 3)
    rdd.localCheckpoint()
    assert rdd.take(2) == [0, 3]
    assert rdd.isCheckpointed()
    assert len(sc._runtime.block_master.rdd_blocks(rdd.id())) == 4
    assert rdd.collect() == [x * 3 for x in range(40)]


@pytest.mark.fault
def test_reliable_checkpoint_survives_executor_loss_local_checkpoint_does_not(context_factory, tmp_path):
    context = context_factory("local[2]", {"spark.task.maxFailures": "2"})
    context.setCheckpointDir(str(tmp_path / "ckpt"))
    computed = context.accumulator(0)
    reliable = _counted_lineage(context, computed)
    reliable.checkpoint()
    local = _counted_lineage(context, computed).mapValues(lambda v: v)
    local.localCheckpoint()
    expected = {k: 2 * v for k, v in ref.reduce_by_key(PAIRS, add).items()}
    assert dict(reliable.collect()) == expected
    assert dict(local.collect()) == expected
    runs = computed.value

    old = dict(context._runtime.backend.process_ids())
    for pid in old.values():
        os.kill(pid, signal.SIGKILL)
    wait_until(lambda: len(context._runtime.endpoint.executors) == 2
               and not set(context._runtime.endpoint.executors) & set(old), 30,
               message="replacement executors")

    assert dict(reliable.collect()) == expected  # re-read from the checkpoint files
    assert computed.value == runs
    with pytest.raises(Exception, match="Checkpoint block rdd_.* not found"):
        local.collect()



def test_leftovers_of_a_failed_checkpoint_write_are_replaced(sc, checkpoint_dir):
    rdd = sc.parallelize(range(6), 2).map(lambda x: x * 10)
    leftover = os.path.join(checkpoint_dir, f"rdd-{rdd.id()}")
    os.makedirs(leftover)
    with open(os.path.join(leftover, "part-00000"), "wb") as f:
        f.write(b"half-written garbage")
    rdd.checkpoint()
    assert rdd.collect() == [x * 10 for x in range(6)]
    assert rdd.isCheckpointed()
    assert rdd.map(lambda x: x + 1).collect() == [x * 10 + 1 for x in range(6)]  # read from files
