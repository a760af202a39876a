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
order, same values, same exceptions. Every loop comes in two forms, one cheap
when keys are already in the dict and one when they are new, alternated chunk
by chunk (``_alternate``). The ``_mapped`` variants also call the
pipeline's last ``map`` function themselves (``MappedRecords``).
"""
from __future__ import annotations

from itertools import islice
from typing import Any, Callable, Iterable


#: records per chunk: after each, the loop for the next is chosen by how many new keys it met
CHUNK = 4096
#: a chunk that added more than CHUNK // NEW_KEY_SHARE keys is followed by a "new-key" loop
NEW_KEY_SHARE = 16
_END = object()


def _alternate(hit_loop: Callable[..., None], new_loop: Callable[..., None], records: Iterable[Any],
               d: dict, *args: Any) -> None:
    """Fold ``records`` into ``d`` chunk by chunk, each chunk with the loop suited to the last.

    The "hit" loops guard ``d[k]`` with ``try``/``except KeyError``, which costs nothing when
    the key is there but ~0.3 us when it is not (the exception is made and matched); the
    "new-key" loops test ``k in d`` first, a third dict lookup per existing key (~15 ns).
    Which is cheaper depends on the share of new keys, and that changes along a task (the
    first records of a map task are mostly new keys, later ones mostly not; PageRank's
    contributions or a distinct count stay at 10-50% new), so it is measured per chunk
    (``len(d)`` before and after) rather than guessed once. Both loops give the same dict.
    """
    it = iter(records)
    loop = new_loop  # the dict is usually empty at first
    limit = CHUNK // NEW_KEY_SHARE
    while True:
        before = len(d)
        loop(islice(it, CHUNK), d, *args)
        first = next(it, _END)  # islice stops at CHUNK records or at the end: which was it?
        if first is _END:
            return
        loop = new_loop if len(d) - before > limit else hit_loop
        loop((first,), d, *args)


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
        _alternate(loops[0], loops[1], records, d)
    else:
        _alternate(loops[2], loops[3], records, d, func)
    return True


def _fold_add(records: Iterable[tuple[Any, Any]], d: dict) -> None:
    for k, v in records:
        try:
            d[k] = d[k] + v
        except KeyError:
            if k in d:  # the KeyError came from ``+`` itself: it is the user's
                raise
            d[k] = v


def _fold_add_new(records: Iterable[tuple[Any, Any]], d: dict) -> None:
    for k, v in records:
        if k in d:
            d[k] = d[k] + v
        else:
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


def _fold_add_mapped_new(records: Iterable[Any], d: dict, f: Callable[[Any], Any]) -> None:
    for x in records:
        k, v = f(x)
        if k in d:
            d[k] = d[k] + v
        else:
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


def _fold_max_new(records: Iterable[tuple[Any, Any]], d: dict) -> None:
    for k, v in records:
        if k in d:
            if v > d[k]:
                d[k] = v
        else:
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


def _fold_max_mapped_new(records: Iterable[Any], d: dict, f: Callable[[Any], Any]) -> None:
    for x in records:
        k, v = f(x)
        if k in d:
            if v > d[k]:
                d[k] = v
        else:
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


def _fold_min_new(records: Iterable[tuple[Any, Any]], d: dict) -> None:
    for k, v in records:
        if k in d:
            if v < d[k]:
                d[k] = v
        else:
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


def _fold_min_mapped_new(records: Iterable[Any], d: dict, f: Callable[[Any], Any]) -> None:
    for x in records:
        k, v = f(x)
        if k in d:
            if v < d[k]:
                d[k] = v
        else:
            d[k] = v


#: op -> (hit loop, new-key loop, and the same two calling the pipeline's last map)
_LOOPS: dict[str, tuple[Callable[..., None], ...]] = {
    "add": (_fold_add, _fold_add_new, _fold_add_mapped, _fold_add_mapped_new),
    "max": (_fold_max, _fold_max_new, _fold_max_mapped, _fold_max_mapped_new),
    "min": (_fold_min, _fold_min_new, _fold_min_mapped, _fold_min_mapped_new),
}


def fold_reduce_mapped(records: Iterable[Any], d: dict, f: Callable[[Any], Any],
                       g: Callable[[Any, Any], Any]) -> None:
    """reduceByKey(g) over ``map(f, records)``, ``f`` called from this loop."""
    _alternate(_reduce_mapped, _reduce_mapped_new, records, d, f, g)


def _reduce_mapped(records: Iterable[Any], d: dict, f: Callable[[Any], Any],
                   g: Callable[[Any, Any], Any]) -> None:
    for x in records:
        k, v = f(x)
        try:  # only the lookup is guarded: a KeyError from g must propagate
            c = d[k]
        except KeyError:
            d[k] = v
            continue
        d[k] = g(c, v)


def _reduce_mapped_new(records: Iterable[Any], d: dict, f: Callable[[Any], Any],
                       g: Callable[[Any, Any], Any]) -> None:
    for x in records:
        k, v = f(x)
        if k in d:
            d[k] = g(d[k], v)
        else:
            d[k] = v


def fold_list_mapped(records: Iterable[Any], d: dict, f: Callable[[Any], Any]) -> None:
    """groupByKey's map side over ``map(f, records)``, ``f`` called from this loop."""
    _alternate(_list_mapped, _list_mapped_new, records, d, f)


def _list_mapped(records: Iterable[Any], d: dict, f: Callable[[Any], Any]) -> None:
    for x in records:
        k, v = f(x)
        try:
            d[k].append(v)
        except KeyError:
            d[k] = [v]


def _list_mapped_new(records: Iterable[Any], d: dict, f: Callable[[Any], Any]) -> None:
    get = d.get
    for x in records:
        k, v = f(x)
        values = get(k)  # never None: the values are lists
        if values is None:
            d[k] = [v]
        else:
            values.append(v)


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
