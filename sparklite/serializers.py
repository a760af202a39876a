"""Pickling for everything that crosses a process boundary.

Closures and lineage go through cloudpickle (lambdas, locally defined
functions, ``__main__`` code). Data goes through the standard pickle at the
highest protocol first, because it is several times faster, and falls back to
cloudpickle only for values that need it (a lambda inside a record).

When a closure cannot be pickled, :func:`dumps_closure` walks what the object
references (closure cells, globals, defaults, attributes) to name the piece
that failed, because "cannot pickle '_thread.lock' object" alone does not tell
a user which of their variables to fix.

cloudpickle is imported on first use, not with this module: ``import sparklite``
and an executor's start-up do not pay for it (issue 15), and unpickling a
closure imports it by itself.
"""
from __future__ import annotations

import io
import pickle
import types
from collections import ChainMap
from typing import Any

from sparklite.errors import ClosureSerializationError

PROTOCOL = pickle.HIGHEST_PROTOCOL
_MAX_DEPTH = 6


def dumps(obj: Any) -> bytes:
    """Pickle data: fast path with ``pickle``, cloudpickle for what needs it."""
    try:
        return pickle.dumps(obj, PROTOCOL)
    except (pickle.PicklingError, TypeError, AttributeError):
        import cloudpickle

        return cloudpickle.dumps(obj, PROTOCOL)


loads = pickle.loads


def _code_reduce_keeping_filename(code: types.CodeType) -> Any:
    # cloudpickle >= 3.1 replaces co_filename with "<dynamic-code>"; a remote traceback then
    # cannot name the user's file, which is the one thing the user needs from it
    import cloudpickle

    reducer = getattr(getattr(cloudpickle, "cloudpickle", None), "_code_reduce", None)
    if reducer is None:
        return NotImplemented
    func, args = reducer(code)
    args = tuple(code.co_filename if a == "<dynamic-code>" else a for a in args)
    return func, args


_closure_pickler: Any = None


def _closure_pickler_class() -> Any:
    global _closure_pickler
    if _closure_pickler is None:
        import cloudpickle

        class _ClosurePickler(cloudpickle.Pickler):
            dispatch_table = ChainMap({types.CodeType: _code_reduce_keeping_filename},
                                      cloudpickle.Pickler.dispatch_table)

        _closure_pickler = _ClosurePickler
    return _closure_pickler


def _closure_dumps(obj: Any) -> bytes:
    buf = io.BytesIO()
    _closure_pickler_class()(buf, protocol=PROTOCOL).dump(obj)
    return buf.getvalue()


def dumps_closure(obj: Any, what: str) -> bytes:
    """cloudpickle ``obj`` (a stage's lineage and functions) or explain what cannot be pickled."""
    try:
        return _closure_dumps(obj)
    except Exception as exc:  # pickling raises many types: TypeError, PicklingError, ...
        label, culprit, reason = _find_unpicklable(obj, exc)
        where = f"{label}, " if label else ""
        raise ClosureSerializationError(
            f"Could not serialize {what} to send it to executors: {where}{_describe(culprit)}, "
            f"cannot be pickled ({reason}). Create such objects inside the function that uses "
            f"them, or use a broadcast variable for data.") from exc


def _describe(obj: Any) -> str:
    if isinstance(obj, types.FunctionType):
        code = obj.__code__
        return f"function {obj.__qualname__!r} ({code.co_filename}:{code.co_firstlineno})"
    return f"an object of type {type(obj).__module__}.{type(obj).__qualname__}"


def _picklable(obj: Any) -> Exception | None:
    import cloudpickle

    try:
        cloudpickle.dump(obj, io.BytesIO(), PROTOCOL)
        return None
    except Exception as exc:
        return exc


def _children(obj: Any) -> list[tuple[str, Any]]:
    """What ``obj`` references, each with a label a user recognises."""
    kids: list[tuple[str, Any]] = []
    if isinstance(obj, types.FunctionType):
        code = obj.__code__
        if obj.__closure__:
            for name, cell in zip(code.co_freevars, obj.__closure__):
                try:
                    kids.append((f"closure variable {name!r} of {obj.__qualname__!r}", cell.cell_contents))
                except ValueError:  # empty cell
                    pass
        names = set(code.co_names)
        for const in code.co_consts:
            if isinstance(const, types.CodeType):
                names.update(const.co_names)
        for name in sorted(names):
            if name in obj.__globals__:
                value = obj.__globals__[name]
                if not isinstance(value, types.ModuleType):
                    kids.append((f"global {name!r} used by {obj.__qualname__!r}", value))
        for i, default in enumerate(obj.__defaults__ or ()):
            kids.append((f"default argument {i} of {obj.__qualname__!r}", default))
    elif isinstance(obj, (list, tuple, set, frozenset)):
        kids.extend((f"item {i}", item) for i, item in enumerate(obj))
    elif isinstance(obj, dict):
        kids.extend((f"value of key {k!r}", v) for k, v in obj.items())
    elif isinstance(obj, types.MethodType):
        kids.append((f"the object bound to {obj.__func__.__qualname__!r}", obj.__self__))
        kids.append(("its function", obj.__func__))
    else:
        state = getattr(obj, "__getstate__", None)
        try:
            data = state() if callable(state) else getattr(obj, "__dict__", None)
        except Exception:
            data = None
        if isinstance(data, dict):
            kids.extend((f"attribute {k!r} of {type(obj).__name__}", v) for k, v in data.items())
    return kids


def _find_unpicklable(obj: Any, exc: Exception) -> tuple[str, Any, str]:
    """Descend into the first failing child until no child fails; that child is the culprit.

    Returns the label of the culprit as seen from the closest user function
    (e.g. "global 'lock' used by 'parse' (job.py:12)"), the culprit, and why.
    """
    label, culprit, reason = "", obj, str(exc)
    for _ in range(_MAX_DEPTH * 4):
        if _has_own_reduce(culprit):
            break  # its own __reduce__ refused: that refusal is the explanation
        for child_label, child in _children(culprit):
            child_exc = _picklable(child)
            if child_exc is not None:
                if isinstance(culprit, types.FunctionType) and not _is_internal(culprit):
                    code = culprit.__code__
                    child_label += f" ({code.co_filename}:{code.co_firstlineno})"
                label, culprit, reason = child_label, child, str(child_exc)
                break
        else:
            break
    return label, culprit, reason


def _has_own_reduce(obj: Any) -> bool:
    cls = type(obj)
    if isinstance(obj, (types.FunctionType, types.MethodType, list, tuple, set, frozenset, dict)):
        return False
    return cls.__reduce__ is not object.__reduce__ or cls.__reduce_ex__ is not object.__reduce_ex__


def _is_internal(func: types.FunctionType) -> bool:
    return (func.__module__ or "").startswith("sparklite.")
