"""The exceptions sparklite raises to users, and the internal failure reasons tasks report.

A failed job surfaces as :class:`SparkliteJobError`. When the user's own
exception type can be subclassed, the raised object is *also* an instance of
that type (after dask's ``remote_exception``), so ``except ZeroDivisionError``
around an action keeps working as it would around local code.
"""
from __future__ import annotations

import pickle
from dataclasses import dataclass


class SparkliteError(Exception):
    """Base of every error sparklite raises on purpose."""


class ConfigError(SparkliteError, ValueError):
    """A config key has a value that cannot be used; the message names the key."""


class ContextStoppedError(SparkliteError, RuntimeError):
    """A method was called on a stopped SparkContext."""


class ClosureSerializationError(SparkliteError, pickle.PicklingError):
    """A function shipped to executors (or something it references) cannot be pickled."""


class SparkliteJobError(SparkliteError):
    """A job failed; ``remote_traceback`` is the user's traceback from the executor.

    Attributes
    ----------
    remote_traceback : str
        The failing attempt's traceback, trimmed to the user's frames.
    remote_type : str
        Qualified name of the exception type raised in the task.
    cause : BaseException or None
        The original exception object when it could be sent back.
    """

    def __init__(self, message: str, remote_traceback: str = "", remote_type: str = "",
                 cause: BaseException | None = None):
        super().__init__(message)
        self.remote_traceback = remote_traceback
        self.remote_type = remote_type
        self.cause = cause

    def __str__(self) -> str:
        return self.args[0] if self.args else ""


class JobCancelledError(SparkliteJobError):
    """A job was cancelled (Ctrl-C, cancelJobGroup, cancelAllJobs, or stop())."""


class JobInterrupted(KeyboardInterrupt):
    """Ctrl-C arrived while an action waited for its job: the job was cancelled (its tasks
    killed); the context, its executors and their caches stay usable. A KeyboardInterrupt, so
    scripts stop as they would without sparklite."""

    def __init__(self, job_id: int, message: str):
        super().__init__(message)
        self.job_id = job_id


def job_error(message: str, remote_traceback: str = "", remote_type: str = "",
              cause: BaseException | None = None) -> SparkliteJobError:
    """Build the error for a failed job; also an instance of the user's exception type if possible."""
    cls: type[SparkliteJobError] = SparkliteJobError
    if cause is not None and isinstance(cause, Exception) and not isinstance(cause, SparkliteError):
        try:
            cls = type(f"SparkliteJobError[{type(cause).__name__}]", (SparkliteJobError, type(cause)),
                       {"__module__": __name__, "__init__": SparkliteJobError.__init__,
                        "__str__": SparkliteJobError.__str__, "__reduce__": _reduce_plain})
        except TypeError:  # layout conflicts with some C exception types
            cls = SparkliteJobError
    err = cls.__new__(cls, message)
    SparkliteJobError.__init__(err, message, remote_traceback, remote_type, cause)
    return err


def _reduce_plain(self: SparkliteJobError):
    # the dynamic subclass is not importable by name; pickle as the plain type
    return (SparkliteJobError, (self.args[0] if self.args else "", self.remote_traceback,
                                self.remote_type, None))


# --------------------------------------------------------------- task failure reasons


@dataclass
class TaskFailure:
    """Why one task attempt did not finish; travels executor -> driver (pickled)."""

    message: str
    #: counts toward spark.task.maxFailures (a user error does; executor loss does not)
    counts: bool = True


@dataclass
class ExceptionFailure(TaskFailure):
    """The task's code raised: the user's traceback, and the exception if it pickles."""

    remote_type: str = ""
    remote_traceback: str = ""
    exception_bytes: bytes = b""

    def exception(self) -> BaseException | None:
        if not self.exception_bytes:
            return None
        try:
            return pickle.loads(self.exception_bytes)
        except Exception:  # a type only importable on the executor
            return None


@dataclass
class FetchFailure(TaskFailure):
    """A reduce task could not read a map output; its map stage must repair it."""

    shuffle_id: int = -1
    map_index: int = -1
    map_task_id: int = -1
    reduce_id: int = -1
    executor_id: str = ""


@dataclass
class TaskKilledFailure(TaskFailure):
    """The driver asked the executor to stop this attempt."""


class FetchFailed(Exception):
    """Raised inside a reduce task when a shuffle segment cannot be read."""

    def __init__(self, shuffle_id: int, map_index: int, map_task_id: int, reduce_id: int,
                 executor_id: str, message: str):
        super().__init__(f"fetch of shuffle {shuffle_id} map {map_index} reduce {reduce_id} "
                         f"from executor {executor_id} failed: {message}")
        self.shuffle_id = shuffle_id
        self.map_index = map_index
        self.map_task_id = map_task_id
        self.reduce_id = reduce_id
        self.executor_id = executor_id

    def __reduce__(self):
        return (FetchFailed, (self.shuffle_id, self.map_index, self.map_task_id, self.reduce_id,
                              self.executor_id, str(self)))


class TaskKilled(BaseException):
    """Injected into a running task thread to stop it; BaseException so user code can't swallow it
    with ``except Exception``."""
