"""Estimated memory of Python buffers (aggregation dicts, record lists), for deciding when to spill.

Python does not say how many bytes a dict of lists holds, and walking it
would cost as much as building it. Instead the buffers count what they hold
(keys, values, records) and these helpers price one item from a small sample
(``approx_size`` walks an object a couple of levels down, sampling long
containers). The estimate errs high (small ints and interned strings are
priced as if they were not shared), so a task spills a little early rather
than late.

``CheckSchedule`` decides how many records a loop may fold before it looks
again: many while far below the limit, few when close, so a buffer of large
records cannot overshoot between two checks.
"""
from __future__ import annotations

import sys
from itertools import chain, islice
from typing import Any, Callable, Iterator, Sequence

from sparklite.resultiterable import ResultIterable

_getsizeof = sys.getsizeof
#: a dict entry: hash, key and value pointers, with the table's spare room
DICT_ENTRY = 104
#: a list slot: one pointer, with over-allocation
LIST_SLOT = 9
_SAMPLE = 8
_SCALARS = (int, float, bool, type(None), str, bytes, complex)


def approx_size(obj: Any, depth: int = 3) -> int:
    """Bytes held by ``obj`` and what it references, a few levels deep (long containers sampled)."""
    t = type(obj)
    if t in _SCALARS or depth == 0:
        return _getsizeof(obj)
    if t is tuple or t is list:
        return _getsizeof(obj) + _items_size(obj, depth - 1)
    if t is ResultIterable:
        return 64 + _getsizeof(obj.data) + _items_size(obj.data, depth - 1)
    if t is dict:
        items = list(obj.items()) if len(obj) <= _SAMPLE else [kv for _, kv in zip(range(_SAMPLE), obj.items())]
        per = sum(approx_size(k, depth - 1) + approx_size(v, depth - 1) for k, v in items) / max(1, len(items))
        return _getsizeof(obj) + int(per * len(obj))
    if t is set or t is frozenset:
        return _getsizeof(obj) + _items_size(list(obj) if len(obj) <= _SAMPLE else
                                             [x for _, x in zip(range(_SAMPLE), obj)], depth - 1,
                                             len(obj))
    size = _getsizeof(obj)
    attrs = getattr(obj, "__dict__", None)
    if attrs is not None:
        size += approx_size(attrs, depth - 1)
    return size


def _items_size(items: Sequence[Any], depth: int, count: int | None = None) -> int:
    n = len(items) if count is None else count
    if not n:
        return 0
    if len(items) <= _SAMPLE:
        return sum(approx_size(x, depth) for x in items) * n // max(1, len(items))
    step = len(items) // _SAMPLE
    sample = [items[i * step] for i in range(_SAMPLE)]
    return sum(approx_size(x, depth) for x in sample) * n // _SAMPLE


class MeanSize:
    """Running mean of sampled item sizes."""

    __slots__ = ("count", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0

    def add(self, size: int) -> None:
        self.count += 1
        self.total += size

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


def sampled_chunks(it: Iterator[Any], sizes: Callable[[], int]) -> Iterator[tuple[Any, Iterator[Any]]]:
    """Consecutive lazy slices of ``it``, each with its first record as a size sample.

    ``sizes()`` gives the length of the next slice. The slices are consumed in
    place (never copied into lists): holding tens of thousands of records at
    once would cost more in garbage-collector passes than the loop itself.
    """
    end = object()
    while True:
        first = next(it, end)
        if first is end:
            return
        yield first, chain((first,), islice(it, sizes() - 1))


def sample_indices(n: int, k: int = _SAMPLE) -> range:
    """Up to ``k`` indices spread over ``range(n)``."""
    return range(0, n, max(1, n // k)) if n else range(0)


class CheckSchedule:
    """How many records to fold before the next size check."""

    def __init__(self, limit: int, smallest: int = 256, largest: int = 65_536):
        self.limit = limit
        self.smallest = smallest
        self.largest = largest

    def next(self, used: int, per_record: float, folded: int = 0) -> int:
        """Records to fold before the next check; ``folded`` records (since the buffer was
        empty) grew it to ``used`` bytes, which bounds the cost of a record from below
        (a record may be a whole combiner list)."""
        if folded:
            per_record = max(per_record, used / folded)
        if per_record <= 0:
            return self.smallest
        headroom = max(0, self.limit - used)
        # spend about half the headroom before looking again
        return int(max(self.smallest, min(self.largest, headroom / 2 / per_record)))


class BufferSizer:
    """Estimates the bytes of a buffer from samples of what is folded into it.

    ``kind``: ``"records"`` (a list of records), ``"list"`` (a dict of key ->
    list of values, groupByKey), ``"combiner"`` (a dict of key -> one combiner).
    Callers count entries (records or keys) and values; the sizer prices them.
    """

    def __init__(self, kind: str):
        if kind not in ("records", "list", "combiner"):
            raise ValueError(f"unknown buffer kind {kind!r}")
        self.kind = kind
        self.keys = MeanSize()
        self.values = MeanSize()

    def observe(self, chunk: Sequence[Any], table: dict | None = None, combiners: bool = False) -> None:
        """Sample a few records of ``chunk`` (``table``: the dict they were folded into)."""
        for i in sample_indices(len(chunk)):
            self.observe_one(chunk[i], table, combiners)

    def observe_one(self, record: Any, table: dict | None = None, combiners: bool = False) -> None:
        kind = self.kind
        if kind == "records":
            self.values.add(approx_size(record))
            return
        k, v = record
        self.keys.add(approx_size(k))
        if kind == "list":
            if combiners:
                if v:
                    self.values.add(approx_size(v[0]))
            else:
                self.values.add(approx_size(v))
        else:
            self.values.add(approx_size(table[k] if table is not None and k in table else v))

    def estimate(self, entries: int, values: int = 0) -> int:
        if self.kind == "records":
            return int(entries * (LIST_SLOT + self.values.mean))
        if self.kind == "list":
            return int(entries * (DICT_ENTRY + self.keys.mean + 56) + values * (LIST_SLOT + self.values.mean))
        return int(entries * (DICT_ENTRY + self.keys.mean + self.values.mean))

    def per_value(self) -> float:
        """Bytes one more value in a list adds (``"list"`` buffers)."""
        return LIST_SLOT + self.values.mean

    def per_record(self) -> float:
        """Upper bound of the bytes one more folded record adds."""
        if self.kind == "records":
            return LIST_SLOT + self.values.mean
        if self.kind == "list":
            return DICT_ENTRY + self.keys.mean + 56 + LIST_SLOT + self.values.mean
        return DICT_ENTRY + self.keys.mean + self.values.mean
