"""Specialised fold loops for the common reduce functions: ``+``, ``max``, ``min``.

``reduceByKey(add)`` folds every record through a call of the reduce function;
for the few functions whose meaning is known exactly (``known_functions.reducer_op``,
decided once on the driver) the loop spells the operation inline instead, with
no call per record:

* ``"add"``: ``c + v``, which is what ``operator.add(c, v)`` and a function with
  ``lambda a, b: a + b``'s bytecode compute;
* ``"max"`` / ``"min"``: ``max(c, v)`` keeps ``c`` unless ``v > c`` (``min``:
  ``v < c``), and so does the loop, comparison for comparison, so ties, NaN and
  mixed types behave (and raise) as the call would.

Each loop gives the general loop's dict: same keys in the same (first-seen)
order, same values, same exceptions. The ``_mapped`` variants also call the
pipeline's last ``map`` function themselves (``MappedRecords``).
"""
from __future__ import annotations

from typing import Any, Callable, Iterable


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
