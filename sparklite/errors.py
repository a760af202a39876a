"""The exceptions sparklite raises to users, and the internal failure reasons tasks report.

A failed job surfaces as :class:`SparkliteJobError`. When the user's own
exception type can be subclassed, the raised object is *also* an instance of
that type (after dask's ``remote_exception``), so ``except ZeroDivisionError``
around an action keeps working as it would around local code.
"""
from __future__ import annotations

import pickle
import threading
import weakref
from dataclasses import dataclass
from typing import Any, Callable


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

    When the task's exception type can be rebuilt on the driver, the raised object is an
    instance of a subclass of both this class and that type (``except json.JSONDecodeError``
    catches it, and its attributes, e.g. ``returncode`` or ``pos``, are the task's); otherwise
    it is a plain SparkliteJobError, and ``remote_type`` names what the task raised.

    Attributes
    ----------
    remote_traceback : str
        The failing attempt's traceback, trimmed to the user's frames.
    remote_type : str
        Qualified name of the exception type raised in the task (``json.decoder.JSONDecodeError``).
    cause : BaseException or None
        The original exception object when it could be sent back.
    """

    def __init__(self, message: str, remote_traceback: str = "", remote_type: str = "",
                 cause: BaseException | None = None):
        super().__init__(message)
        self._set_job_fields(message, remote_traceback, remote_type, cause)

    def _set_job_fields(self, message: str, remote_traceback: str, remote_type: str,
                        cause: BaseException | None) -> None:
        self._job_message = message
        self.remote_traceback = remote_traceback
        self.remote_type = remote_type
        self.cause = cause

    @property
    def remote_type_name(self) -> str:
        """The unqualified name of the task's exception type (``JSONDecodeError``)."""
        return self.remote_type.rsplit(".", 1)[-1]

    def __str__(self) -> str:
        return getattr(self, "_job_message", None) or (str(self.args[0]) if self.args else "")


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
    """Build the error for a failed job; also an instance of the user's exception type if possible.

    Never raises: whatever the user's type does in ``__new__``/``__init__`` (five required
    arguments, keyword-only ones, an ``__init__`` that raises), the worst outcome is a plain
    SparkliteJobError naming ``remote_type``.
    """
    if isinstance(cause, Exception) and not isinstance(cause, SparkliteError):
        try:
            cls = _job_error_class(type(cause))
            err = rebuild_exception(cls, _constructor_args(cause), _state_of(cause), like=type(cause),
                                    args=cause.args)
            err._set_job_fields(message, remote_traceback, remote_type, cause)
            return err
        except Exception:  # a type that cannot be subclassed or instantiated without its __init__
            pass
    return SparkliteJobError(message, remote_traceback, remote_type, cause)


#: user exception type -> its SparkliteJobError subclass (weak: types of a finished job may go)
_job_error_classes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_classes_lock = threading.Lock()


def _job_error_class(user_type: type) -> type:
    with _classes_lock:
        cls = _job_error_classes.get(user_type)
        if cls is None:
            cls = type(f"SparkliteJobError[{user_type.__name__}]", (SparkliteJobError, user_type),
                       {"__module__": __name__, "__init__": SparkliteJobError.__init__,
                        "__str__": SparkliteJobError.__str__, "__repr__": _repr_job_error,
                        "__reduce__": _reduce_plain})
            _job_error_classes[user_type] = cls
        return cls


def _repr_job_error(self: SparkliteJobError) -> str:
    return f"{type(self).__name__}({str(self)!r})"


def _reduce_plain(self: SparkliteJobError) -> Any:
    # the dynamic subclass is not importable by name; pickle as the plain type
    return (SparkliteJobError, (str(self), self.remote_traceback, self.remote_type, None))


def _constructor_args(exc: BaseException) -> tuple:
    """The arguments pickle would rebuild ``exc`` from (OSError's include its filename)."""
    try:
        reduced = exc.__reduce__()
        if isinstance(reduced, tuple) and len(reduced) >= 2 and reduced[0] is type(exc) \
                and isinstance(reduced[1], tuple):
            return reduced[1]
    except Exception:
        pass
    return tuple(exc.args)


def _state_of(exc: BaseException) -> dict[str, Any]:
    try:
        return dict(vars(exc))
    except TypeError:  # no __dict__ (__slots__ only)
        return {}


def _native_init(like: type) -> Callable[..., None] | None:
    """The first ``__init__`` a C type defines in ``like``'s MRO, if it sets more than ``args``.

    C exception types such as UnicodeDecodeError fill their fields (``start``, ``reason``) in
    ``__init__``; Python ones keep theirs in ``__dict__``, which is copied instead, so a user's
    ``__init__`` (with its own signature and side effects) never runs twice.
    """
    for klass in like.__mro__:
        if klass in (BaseException, Exception, object):
            return None
        init = klass.__dict__.get("__init__")
        if init is not None and not klass.__flags__ & _HEAPTYPE:
            return init
    return None


_HEAPTYPE = 1 << 9  # Py_TPFLAGS_HEAPTYPE: the type was created by a class statement or type()


def rebuild_exception(cls: type, init_args: tuple, state: dict[str, Any], like: type | None = None,
                      args: tuple | None = None) -> Any:
    """An instance of exception type ``cls`` made from ``init_args`` and attributes ``state``
    without calling a Python ``__init__``; ``like`` is the type whose C fields ``init_args``
    fill (default ``cls``), ``args`` the ``.args`` it ends with (default ``init_args``)."""
    init_args = tuple(init_args)
    args = init_args if args is None else tuple(args)
    try:
        err = cls.__new__(cls, *init_args)
    except TypeError:
        # a C type with its own __new__ (MemoryError) that another base's layout shadows in
        # the subclass: "MemoryError.__new__(X) is not safe"; the shared base's one is
        err = BaseException.__new__(cls, *init_args)
    init = _native_init(like or cls)
    if init is not None:
        try:
            init(err, *init_args)
        except Exception:  # arguments that do not fit the C type: its fields stay unset
            pass
    if err.args != args:
        try:
            err.args = args
        except Exception:
            pass
    for key, value in state.items():
        try:
            setattr(err, key, value)
        except Exception:  # a read-only attribute
            pass
    return err


# --------------------------------------------------------------- task failure reasons


@dataclass
class TaskFailure:
    """Why one task attempt did not finish; travels executor -> driver (pickled)."""

    message: str
    #: counts toward spark.task.maxFailures (a user error does; executor loss does not)
    counts: bool = True


@dataclass
class ExceptionFailure(TaskFailure):
    """The task's code raised: the user's traceback, and the exception if it can travel.

    ``exception_bytes`` is the exception itself when it survives a pickle round trip;
    otherwise ``portrait_bytes`` holds ``(type, args, attributes)`` with what of those pickles,
    from which the driver rebuilds it without its ``__init__`` (keyword-only arguments, an
    ``__init__`` that raises, an unpicklable attribute). See :func:`capture_exception`.
    """

    remote_type: str = ""
    remote_traceback: str = ""
    exception_bytes: bytes = b""
    portrait_bytes: bytes = b""

    def exception(self) -> BaseException | None:
        if self.exception_bytes:
            try:
                return pickle.loads(self.exception_bytes)
            except Exception:  # a type only importable on the executor
                pass
        if self.portrait_bytes:
            try:
                cls, args, state = pickle.loads(self.portrait_bytes)
                return rebuild_exception(cls, args, state)
            except Exception:
                pass
        return None


def capture_exception(exc: BaseException, dumps: Callable[[Any], bytes]) -> tuple[bytes, bytes]:
    """``(exception_bytes, portrait_bytes)`` for :class:`ExceptionFailure` (executor side).

    ``dumps`` is cloudpickle's: a type defined in the driver's ``__main__`` or a test module
    goes back by value and, through cloudpickle's class tracking, unpickles on the driver as
    the driver's own class, so ``except MyError`` matches.
    """
    try:
        data = dumps(exc)
        if type(pickle.loads(data)) is type(exc):
            return data, b""
    except Exception:  # unpicklable attribute, keyword-only __init__, __init__ that raises...
        pass
    try:
        args = tuple(a if _pickles(a, dumps) else repr(a) for a in exc.args)
        state = {k: v for k, v in _state_of(exc).items() if _pickles(v, dumps)}
        portrait = dumps((type(exc), args, state))
        cls, args, state = pickle.loads(portrait)
        rebuild_exception(cls, args, state)
        return b"", portrait
    except Exception:  # the type itself cannot travel: only its name and message do
        return b"", b""


def _pickles(value: Any, dumps: Callable[[Any], bytes]) -> bool:
    try:
        pickle.loads(dumps(value))
        return True
    except Exception:
        return False


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
