"""A task's exception comes back as something ``except`` catches, whatever its type does (no processes).

The path is the executor's ``capture_exception`` -> ``ExceptionFailure`` (pickled, as on the
wire) -> ``ExceptionFailure.exception()`` -> ``job_error``; building the job error must never
raise (issue 11: a UnicodeDecodeError used to raise TypeError inside the scheduler, and the
action hung).
"""
from __future__ import annotations

import decimal
import json
import pickle
import struct
import subprocess
import sys
import threading
import zlib

import pytest

from sparklite import serializers
from sparklite.errors import ExceptionFailure, SparkliteJobError, capture_exception, job_error


class KeywordOnly(Exception):
    def __init__(self, *, code: int):
        super().__init__(f"code {code}")
        self.code = code


class TwoArguments(Exception):
    """Its args (one joined string) do not fit its __init__: unpickling it raises."""

    def __init__(self, left: str, right: str):
        super().__init__(f"{left}/{right}")
        self.left, self.right = left, right


class InitRaisesOnRebuild(Exception):
    def __init__(self, value: int):
        if not isinstance(value, int):
            raise RuntimeError("__init__ refuses")
        super().__init__(str(value))  # args become a str: calling __init__ again raises
        self.value = value


class HoldsALock(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.lock = threading.Lock()
        self.detail = "kept"


class Slotted(Exception):
    __slots__ = ("extra",)


def _raised(func):
    try:
        func()
    except BaseException as exc:  # the exception is the test input
        return exc
    raise AssertionError("did not raise")


CASES = {
    "UnicodeDecodeError": (lambda: b"caf\xe9".decode("utf-8"), {"start": 3, "encoding": "utf-8"}),
    "JSONDecodeError": (lambda: json.loads("{bad"), {"pos": 1, "doc": "{bad"}),
    "CalledProcessError": (lambda: subprocess.check_output([sys.executable, "-c", "raise SystemExit(3)"]),
                           {"returncode": 3}),
    "struct.error": (lambda: struct.unpack("i", b""), {}),
    "zlib.error": (lambda: zlib.decompress(b"not zlib"), {}),
    "FileNotFoundError": (lambda: open("/nonexistent/file"), {"errno": 2, "filename": "/nonexistent/file"}),
    "KeyError": (lambda: {}["missing"], {"args": ("missing",)}),
    "decimal.InvalidOperation": (lambda: decimal.Decimal("x"), {}),
    "ExceptionGroup": (lambda: (_ for _ in ()).throw(ExceptionGroup("many", [ValueError(1)])), {}),
    "KeywordOnly": (lambda: (_ for _ in ()).throw(KeywordOnly(code=7)), {"code": 7}),
    "TwoArguments": (lambda: (_ for _ in ()).throw(TwoArguments("a", "b")), {"left": "a", "right": "b"}),
    "InitRaisesOnRebuild": (lambda: (_ for _ in ()).throw(InitRaisesOnRebuild(5)), {"value": 5}),
    "HoldsALock": (lambda: (_ for _ in ()).throw(HoldsALock("locked")), {"detail": "kept"}),
    "Slotted": (lambda: (_ for _ in ()).throw(Slotted("s")), {}),
    "MemoryError": (lambda: (_ for _ in ()).throw(MemoryError()), {}),
    "RecursionError": (lambda: (_ for _ in ()).throw(RecursionError("deep")), {}),
}


def _through_the_wire(exc: BaseException) -> BaseException | None:
    exception_bytes, portrait = capture_exception(exc, serializers.dumps)
    failure = ExceptionFailure(str(exc), remote_type=type(exc).__qualname__,
                               exception_bytes=exception_bytes, portrait_bytes=portrait)
    return pickle.loads(pickle.dumps(failure)).exception()


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_task_exception_comes_back_catchable_as_its_own_type(name):
    raise_it, attributes = CASES[name]
    original = _raised(raise_it)
    back = _through_the_wire(original)
    assert type(back) is type(original)
    err = job_error("Job 3 aborted: the message", "the traceback", type(original).__qualname__, back)
    assert isinstance(err, SparkliteJobError) and isinstance(err, type(original))
    assert str(err) == "Job 3 aborted: the message"
    assert err.remote_traceback == "the traceback" and err.cause is back
    for key, value in attributes.items():
        assert getattr(err, key) == value, key
    plain = pickle.loads(pickle.dumps(err))  # the dynamic subclass pickles as the plain type
    assert type(plain) is SparkliteJobError and str(plain) == str(err)


def test_an_exception_whose_type_cannot_travel_becomes_a_plain_job_error():
    local_type = type("OnlyOnTheExecutor", (Exception,), {"__module__": "no.such.module"})
    exception_bytes, portrait = capture_exception(local_type("x"), pickle.dumps)
    assert exception_bytes == b"" and portrait == b""
    failure = ExceptionFailure("OnlyOnTheExecutor: x", remote_type="no.such.module.OnlyOnTheExecutor")
    err = job_error("Job 1 aborted", "tb", failure.remote_type, failure.exception())
    assert type(err) is SparkliteJobError
    assert err.remote_type == "no.such.module.OnlyOnTheExecutor"
    assert err.remote_type_name == "OnlyOnTheExecutor"


def test_base_exceptions_are_not_mixed_into_the_job_error():
    # a task's SystemExit must not make the driver's except clauses (or the interpreter) exit
    err = job_error("Job 2 aborted", "tb", "builtins.SystemExit", SystemExit(2))
    assert type(err) is SparkliteJobError and not isinstance(err, SystemExit)


def test_job_error_never_raises_for_a_hostile_type():
    class Hostile(Exception):
        def __new__(cls, *args):
            if args and args[0] == "rebuilt":
                raise RuntimeError("__new__ refuses")
            return super().__new__(cls, *args)

    hostile = Hostile("made")
    hostile.args = ("rebuilt",)
    err = job_error("Job 4 aborted", "tb", "Hostile", hostile)
    assert type(err) is SparkliteJobError and str(err) == "Job 4 aborted"
