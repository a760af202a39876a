"""Errors a user can read: remote tracebacks, retries, unpicklable closures, missing paths."""
from __future__ import annotations

import threading

import pytest

from sparklite.errors import ClosureSerializationError, SparkliteJobError
from sparklite.scheduler.listener import EventRecorder


def parse_number(text):
    return int(text)  # the user's line


def test_user_exception_fails_after_max_failures_with_its_traceback(context_factory):
    context = context_factory("local[2]", {"spark.task.maxFailures": "3"})
    recorder = EventRecorder()
    context._runtime.listeners.add(recorder)
    with pytest.raises(ValueError) as info:
        context.parallelize(["1", "2", "x", "4"], 2).map(parse_number).collect()
    err = info.value
    assert isinstance(err, SparkliteJobError)
    message = str(err)
    assert "failed 3 times" in message
    assert "return int(text)  # the user's line" in message
    assert "test_errors.py" in message and "in parse_number" in message
    assert "sparklite/executor" not in message and "sparklite/rdd" not in message
    failed_attempts = [t for t in recorder.tasks if not t.succeeded and t.partition == 1]
    assert [t.attempt_number for t in failed_attempts] == [0, 1, 2]


def test_task_failing_once_then_succeeding_gives_the_right_answer(context_factory, tmp_path):
    marker = tmp_path / "failed-once"
    context = context_factory("local[2]")

    def flaky(x):
        if x == 7 and not marker.exists():
            marker.write_text("x")
            raise RuntimeError("transient")
        return x * 2

    assert context.parallelize(range(10), 3).map(flaky).collect() == [x * 2 for x in range(10)]
    assert marker.exists()


def test_unpicklable_closure_is_named_at_the_action(sc):
    lock = threading.Lock()
    rdd = sc.parallelize(range(3)).map(lambda x: (x, lock))
    with pytest.raises(ClosureSerializationError, match="'lock'.*_thread.lock"):
        rdd.collect()
    assert sc.parallelize(range(3)).sum() == 3  # the context is still usable


def test_unpicklable_result_is_reported(sc):
    with pytest.raises(SparkliteJobError, match="could not be pickled"):
        sc.parallelize([1], 1).map(lambda x: threading.Lock()).collect()


def test_rdd_inside_a_task_is_refused(sc):
    other = sc.parallelize([1, 2])
    with pytest.raises(SparkliteJobError, match="can only be invoked by the driver"):
        sc.parallelize([1]).map(lambda x: other.count()).collect()


def test_context_inside_a_task_is_refused(sc):
    with pytest.raises(ClosureSerializationError, match="SparkContext can only be used on the driver"):
        sc.parallelize([1]).map(lambda x: sc.defaultParallelism).collect()
