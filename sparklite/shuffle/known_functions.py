"""Functions recognised by their identity or bytecode, so the engine may run what they mean.

Decided once on the driver when an RDD is built, never per record:

* :func:`reducer_op`: ``"add"`` for ``operator.add`` or a plain function whose code
  is exactly ``lambda a, b: a + b`` (same bytecode: two positional arguments, no
  defaults, no closure — so ``lambda x, y: x + y`` and ``def plus(a, b): return a + b``
  qualify), ``"max"``/``"min"`` for the builtins; ``""`` for anything else
  (``iadd``, a lambda over ``max``, a callable object);
* :func:`pair_with_constant`: ``lambda x: (x, C)`` for a literal C (word count's map);
* :func:`is_identity`: ``lambda x: x`` (sortByKey's default keyfunc).

A function is recognised only when its bytecode leaves no room for another
meaning: it reads nothing but its arguments and literals.
"""
from __future__ import annotations

import builtins
import opcode
import operator
import types
from typing import Any, Callable

#: code flags that change how arguments bind or what a call returns
_ODD_FLAGS = 0x04 | 0x08 | 0x20 | 0x80 | 0x100 | 0x200  # *args, **kw, generator, coroutine...


def _plain(func: Any, argcount: int) -> bool:
    if type(func) is not types.FunctionType:
        return False
    code = func.__code__
    return (code.co_argcount == argcount and not code.co_kwonlyargcount and not code.co_posonlyargcount
            and not code.co_flags & _ODD_FLAGS and not func.__defaults__ and not func.__kwdefaults__
            and not func.__closure__)


def _plus(a: Any, b: Any) -> Any:
    return a + b


_PLUS_CODE = _plus.__code__


def reducer_op(func: Callable[[Any, Any], Any]) -> str:
    """``"add"``, ``"max"``, ``"min"`` or ``""`` (no inline loop) for a reduce function."""
    if func is operator.add:
        return "add"
    if func is builtins.max:
        return "max"
    if func is builtins.min:
        return "min"
    if _plain(func, 2) and func.__code__.co_code == _PLUS_CODE.co_code:
        return "add"
    return ""


_PAIR_MARK = 7_654_321


def _pair_reference(x: Any) -> Any:
    return (x, 7_654_321)


_PAIR_CODE = _pair_reference.__code__
#: where the reference's LOAD_CONST argument sits in its (word)code: a function may keep its
#: constant at another index of co_consts (None is often the first), so that byte may differ
_PAIR_ARG = next(i + 1 for i in range(0, len(_PAIR_CODE.co_code), 2)
                 if _PAIR_CODE.co_code[i] == opcode.opmap["LOAD_CONST"]
                 and _PAIR_CODE.co_consts[_PAIR_CODE.co_code[i + 1]] == _PAIR_MARK)
_PAIR_MASKED = _PAIR_CODE.co_code[:_PAIR_ARG] + _PAIR_CODE.co_code[_PAIR_ARG + 1:]


def pair_with_constant(func: Any) -> tuple[bool, Any]:
    """(True, C) if ``func`` is exactly ``lambda x: (x, C)`` for a constant C, else (False, None).

    Same bytecode as the reference (so C is a literal of the function's code, not a
    global or a closure variable), one positional argument, no defaults.
    """
    if not _plain(func, 1):
        return False, None
    code = func.__code__
    raw = code.co_code
    if len(raw) != len(_PAIR_CODE.co_code) or raw[:_PAIR_ARG] + raw[_PAIR_ARG + 1:] != _PAIR_MASKED:
        return False, None
    return True, code.co_consts[raw[_PAIR_ARG]]


def _same(x: Any) -> Any:
    return x


_SAME_CODE = _same.__code__


def is_identity(func: Any) -> bool:
    """True if ``func`` is exactly ``lambda x: x``."""
    return _plain(func, 1) and func.__code__.co_code == _SAME_CODE.co_code
