"""Everything that crosses a process boundary round-trips through pickle; driver-only objects refuse."""
from __future__ import annotations

import pickle
import threading

import pytest

from sparklite import StorageLevel
from sparklite.accumulators import AccumulatorRegistry
from sparklite.errors import ClosureSerializationError, ExceptionFailure, FetchFailed, FetchFailure, job_error
from sparklite.rdd.dependency import ShuffleDependency
from sparklite.rdd.partitioner import Partitioner, RangePartitioner, hash_partitioner
from sparklite.scheduler.master_url import LocalMaster, StandaloneMaster, parse_master
from sparklite.scheduler.task import TaskLaunch
from sparklite.serializers import dumps_closure, loads
from sparklite.shuffle.aggregator import Aggregator
from sparklite.shuffle.map_status import MapStatus, ShuffleWriteSpec
from sparklite.taskcontext import TaskContext


@pytest.mark.parametrize("obj", [
    hash_partitioner(4), RangePartitioner([1, 5, 9], False), StorageLevel.MEMORY_AND_DISK_2,
    MapStatus("e1", "h", "h:1", "/d", 3, (1, 2)), ShuffleWriteSpec(1, hash_partitioner(2), None, False),
    TaskLaunch(1, 0, 0, 0, 1, 0, 0, "e1"), FetchFailure("x", counts=False, shuffle_id=1),
    ExceptionFailure("m", remote_type="builtins.ValueError", remote_traceback="tb"),
    FetchFailed(1, 2, 3, 4, "e1", "gone"),
])
def test_round_trip(obj):
    back = loads(dumps_closure(obj, "test"))
    assert type(back) is type(obj)
    if not isinstance(obj, (Partitioner, FetchFailed)):
        assert back == obj
    if isinstance(obj, Partitioner):
        assert back.numPartitions == obj.numPartitions and back(7) == obj(7)


def test_aggregator_functions_round_trip():
    agg = loads(dumps_closure(Aggregator.for_reduce(lambda a, b: a + b), "agg"))
    assert agg.combine_values([("a", 1), ("a", 2)]) == {"a": 3}


def test_shuffle_dependency_refuses_to_be_pickled():
    dep = ShuffleDependency(object(), 0, hash_partitioner(1))
    with pytest.raises(TypeError, match="must not be pickled"):
        pickle.dumps(dep)


def test_unpicklable_closure_names_the_variable():
    lock = threading.Lock()

    def uses_lock(x):
        return (x, lock)

    with pytest.raises(ClosureSerializationError) as info:
        dumps_closure([uses_lock], "the test lineage")
    message = str(info.value)
    assert "closure variable 'lock'" in message and "uses_lock" in message and "_thread.lock" in message


def test_job_error_is_also_the_user_exception_type():
    err = job_error("failed", "tb", "builtins.KeyError", KeyError("k"))
    assert isinstance(err, KeyError)
    assert str(err) == "failed"
    err2 = pickle.loads(pickle.dumps(err))
    assert str(err2) == "failed"


def test_accumulator_registry_counts_each_partition_once():
    ids = iter(range(10))
    registry = AccumulatorRegistry(lambda: next(ids))
    acc = registry.register(0, None)
    registry.merge(stage_id=1, partition=0, updates={acc.aid: 5})
    registry.merge(stage_id=1, partition=0, updates={acc.aid: 5})  # a recompute of the same partition
    registry.merge(stage_id=1, partition=1, updates={acc.aid: 2})
    registry.merge(stage_id=2, partition=0, updates={acc.aid: 1})
    assert acc.value == 8


def test_accumulator_add_inside_a_task_goes_to_the_task():
    ids = iter(range(10))
    acc = AccumulatorRegistry(lambda: next(ids)).register(10, None)
    remote = pickle.loads(pickle.dumps(acc))
    context = TaskContext()
    TaskContext._set(context)
    try:
        remote.add(3)
        remote += 4
    finally:
        TaskContext._set(None)
    assert context.accumulator_updates == {acc.aid: 7}
    with pytest.raises(RuntimeError):
        remote.value


@pytest.mark.parametrize("url,expected", [
    ("local", LocalMaster(1)), ("local[3]", LocalMaster(3)), ("local[2, 5]", LocalMaster(2, 5)),
    ("sparklite://h:7077", StandaloneMaster((("h", 7077),))),
])
def test_master_urls(url, expected):
    assert parse_master(url) == expected


def test_bad_master_url():
    with pytest.raises(ValueError, match="unsupported master URL"):
        parse_master("yarn")
    assert parse_master("local[*]").executors >= 1
