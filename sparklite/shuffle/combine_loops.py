"""Specialised fold loops for the common reduce functions: ``+``, ``max``, ``min``.

``reduceByKey(add)`` folds every record through a call of the reduce function;
for the few functions whose meaning is known exactly, the loop spells the
operation inline instead (no call per record). Which function a reducer is, is
decided once on the driver by :func:`reducer_op`:

* ``"add"``: ``operator.add``, or a plain function whose code is exactly
  ``lambda a, b: a + b`` (same bytecode: no defaults, no closure, two positional
  arguments), so ``lambda x, y: x + y`` and ``def plus(a, b): return a + b`` qualify;
  ``operator.add(c, v)`` is ``c + v`` by definition;
* ``"max"`` / ``"min"``: the builtins. ``max(c, v)`` keeps ``c`` unless ``v > c``
  (``min``: ``v < c``), and so does the loop, comparison for comparison, so ties,
  NaN and mixed types behave (and raise) as the call would.

Anything else (``iadd``, a lambda over ``max``, a callable object) runs the
general loop. Each loop gives the general loop's dict: same keys in the same
(first-seen) order, same values, same exceptions.
"""
from __future__ import annotations

import builtins
import opcode
import operator
import types
from typing import Any, Callable, Iterable


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
    if type(func) is types.FunctionType and _is_plain_plus(func):
        return "add"
    return ""


def _is_plain_plus(func: types.FunctionType) -> bool:
    code = func.__code__
    return (code.co_code == _PLUS_CODE.co_code and code.co_argcount == 2
            and code.co_kwonlyargcount == 0 and code.co_posonlyargcount == 0
            and not code.co_flags & (0x04 | 0x08 | 0x20 | 0x80 | 0x100 | 0x200)  # varargs, generators
            and not func.__defaults__ and not func.__kwdefaults__ and not func.__closure__)


def fold(op: str, records: Iterable[Any], d: dict, func: Callable[[Any], Any] | None = None) -> bool:
    """Fold ``records`` into ``d`` with the inline loop of ``op``; False if there is none.

    With ``func``, the records are ``func(x)`` for each ``x`` of ``records``: the last
    ``map`` of the pipeline, called from this loop rather than through ``map()`` (a call
    from Python code is cheaper than one from C in CPython 3.11+).
    """
    loops = _LOOPS.get(op)
    if loops is None:
        return False
    if func is None:
        loops[0](records, d)
    else:
        loops[1](records, d, func)
    return True


def _fold_add(records: Iterable[tuple[Any, Any]], d: dict) -> None:
    for k, v in records:
        try:
            d[k] = d[k] + v
        except KeyError:
            if k in d:  # the KeyError came from ``+`` itself: it is the user's
                raise
            d[k] = v


def _fold_add_mapped(records: Iterable[Any], d: dict, f: Callable[[Any], Any]) -> None:
    for x in records:
        k, v = f(x)
        try:
            d[k] = d[k] + v
        except KeyError:
            if k in d:
                raise
            d[k] = v


def _fold_max(records: Iterable[tuple[Any, Any]], d: dict) -> None:
    for k, v in records:
        try:
            c = d[k]
        except KeyError:
            d[k] = v
            continue
        if v > c:
            d[k] = v


def _fold_max_mapped(records: Iterable[Any], d: dict, f: Callable[[Any], Any]) -> None:
    for x in records:
        k, v = f(x)
        try:
            c = d[k]
        except KeyError:
            d[k] = v
            continue
        if v > c:
            d[k] = v


def _fold_min(records: Iterable[tuple[Any, Any]], d: dict) -> None:
    for k, v in records:
        try:
            c = d[k]
        except KeyError:
            d[k] = v
            continue
        if v < c:
            d[k] = v


def _fold_min_mapped(records: Iterable[Any], d: dict, f: Callable[[Any], Any]) -> None:
    for x in records:
        k, v = f(x)
        try:
            c = d[k]
        except KeyError:
            d[k] = v
            continue
        if v < c:
            d[k] = v


_LOOPS: dict[str, tuple[Callable[..., None], Callable[..., None]]] = {
    "add": (_fold_add, _fold_add_mapped),
    "max": (_fold_max, _fold_max_mapped),
    "min": (_fold_min, _fold_min_mapped),
}


def fold_reduce_mapped(records: Iterable[Any], d: dict, f: Callable[[Any], Any],
                       g: Callable[[Any, Any], Any]) -> None:
    """reduceByKey(g) over ``map(f, records)``, ``f`` called from this loop."""
    for x in records:
        k, v = f(x)
        try:  # only the lookup is guarded: a KeyError from g must propagate
            c = d[k]
        except KeyError:
            d[k] = v
            continue
        d[k] = g(c, v)


def fold_list_mapped(records: Iterable[Any], d: dict, f: Callable[[Any], Any]) -> None:
    """groupByKey's map side over ``map(f, records)``, ``f`` called from this loop."""
    for x in records:
        k, v = f(x)
        try:
            d[k].append(v)
        except KeyError:
            d[k] = [v]


# ------------------------------------------------------------------ map(lambda x: (x, C))

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
    if type(func) is not types.FunctionType:
        return False, None
    code = func.__code__
    raw = code.co_code
    if (len(raw) != len(_PAIR_CODE.co_code) or raw[:_PAIR_ARG] + raw[_PAIR_ARG + 1:] != _PAIR_MASKED
            or code.co_argcount != 1 or code.co_kwonlyargcount
            or code.co_posonlyargcount or code.co_flags & (0x04 | 0x08 | 0x20 | 0x80 | 0x100 | 0x200)
            or func.__defaults__ or func.__kwdefaults__ or func.__closure__):
        return False, None
    return True, code.co_consts[raw[_PAIR_ARG]]


class MappedRecords:
    """The records ``map(func, source)`` of a pipeline whose last stage is a ``map``, saying
    so: the map side of a shuffle may call ``func`` from its own loop (``fold``), and when
    ``func`` is exactly ``lambda x: (x, C)`` (``is_pairs``, C is ``pair_value``) the records
    are made in C (``zip`` with ``repeat``) and ``reduceByKey(add)`` may count ``source``
    without making them. Iterating it is iterating the records."""

    __slots__ = ("source", "func", "pair_value", "is_pairs", "_records")

    def __init__(self, source: Any, func: Callable[[Any], Any], is_pairs: bool = False,
                 pair_value: Any = None):
        self.source = source
        self.func = func
        self.is_pairs = is_pairs
        self.pair_value = pair_value
        self._records: Any = None

    def __iter__(self) -> Any:
        if self._records is None:
            if self.is_pairs:
                from itertools import repeat

                self._records = zip(self.source, repeat(self.pair_value))
            else:
                self._records = map(self.func, self.source)
        return self._records

    def __next__(self) -> Any:
        return next(iter(self))
