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


class NeedsKeywords(Exception):
    """Defined where executors can import it; its keyword-only __init__ defeats pickle."""

    def __init__(self, *, record: str):
        super().__init__(f"bad record {record!r}")
        self.record = record


class CarriesALock(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.lock = threading.Lock()


def _raise_keyword_only(x):
    raise NeedsKeywords(record=str(x))


def _raise_with_lock(x):
    raise CarriesALock(f"cannot handle {x}")


def _check_output(x):
    import subprocess
    import sys
    return subprocess.check_output([sys.executable, "-c", "raise SystemExit(3)"])


def _unpack(x):
    import struct
    return struct.unpack("<i", x)


@pytest.mark.timeout(180)
def test_task_exceptions_of_every_kind_reach_the_user_as_their_own_type(sc, tmp_path):
    """Issue 11: each of these used to leave the action waiting forever."""
    import json
    import struct
    import subprocess

    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes("caf\xe9\nna\xefve\n".encode("latin-1"))
    cases = [
        (lambda: sc.textFile(str(latin1)).collect(), UnicodeDecodeError, {"encoding": "utf-8"}),
        (lambda: sc.parallelize(['{"a": 1}', "{bad"], 2).map(json.loads).collect(),
         json.JSONDecodeError, {"pos": 1, "doc": "{bad"}),
        (lambda: sc.parallelize([1], 1).map(_check_output).collect(), subprocess.CalledProcessError,
         {"returncode": 3}),
        (lambda: sc.parallelize([b"\x01"], 1).map(_unpack).collect(), struct.error, {}),
        (lambda: sc.parallelize([5], 1).map(_raise_keyword_only).collect(), NeedsKeywords, {"record": "5"}),
        (lambda: sc.parallelize([6], 1).map(_raise_with_lock).collect(), CarriesALock, {}),
    ]
    for action, expected_type, attributes in cases:
        with pytest.raises(expected_type) as info:
            action()
        err = info.value
        assert isinstance(err, SparkliteJobError), expected_type
        assert err.remote_type.endswith(expected_type.__qualname__)
        assert "failed 4 times" in str(err) and expected_type.__name__ in str(err)
        for key, value in attributes.items():
            assert getattr(err, key) == value, (expected_type, key)
    assert sc.parallelize(range(10), 2).sum() == 45  # and the context still works


@pytest.mark.timeout(120)
def test_the_user_frames_of_a_json_error_are_in_the_message(sc):
    import json

    def parse(line):
        return json.loads(line)  # the user's parse line

    with pytest.raises(json.JSONDecodeError) as info:
        sc.parallelize(["[1]", "[2", "[3]"], 3).map(parse).collect()
    message = str(info.value)
    assert "return json.loads(line)  # the user's parse line" in message
    assert "JSONDecodeError: Expecting" in message
