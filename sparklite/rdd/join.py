"""Per-partition kernels of the join family (and subtract/intersection), over co-partitioned inputs.

All are hash joins that build a table of the left side's values per key and
stream the right side; output order within a partition is not specified (as
in Spark), only the multiset of records.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from sparklite.resultiterable import ResultIterable


def _table(records: Iterable[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    table: dict[Any, list[Any]] = {}
    for k, v in records:
        try:
            table[k].append(v)
        except KeyError:
            table[k] = [v]
    return table


def inner(left: Iterable[tuple[Any, Any]], right: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    table = _table(left)
    get = table.get
    for k, w in right:
        vs = get(k)
        if vs is not None:
            for v in vs:
                yield k, (v, w)


def left_outer(left: Iterable[tuple[Any, Any]], right: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    table = _table(left)
    matched: set[Any] = set()
    for k, w in right:
        vs = table.get(k)
        if vs is not None:
            matched.add(k)
            for v in vs:
                yield k, (v, w)
    for k, vs in table.items():
        if k not in matched:
            for v in vs:
                yield k, (v, None)


def right_outer(left: Iterable[tuple[Any, Any]], right: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    table = _table(left)
    for k, w in right:
        vs = table.get(k)
        if vs is None:
            yield k, (None, w)
        else:
            for v in vs:
                yield k, (v, w)


def full_outer(left: Iterable[tuple[Any, Any]], right: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    table = _table(left)
    matched: set[Any] = set()
    for k, w in right:
        vs = table.get(k)
        if vs is None:
            yield k, (None, w)
        else:
            matched.add(k)
            for v in vs:
                yield k, (v, w)
    for k, vs in table.items():
        if k not in matched:
            for v in vs:
                yield k, (v, None)


def cogroup(sources: list[Iterable[tuple[Any, Any]]]) -> Iterator[tuple[Any, tuple[ResultIterable, ...]]]:
    n = len(sources)
    groups: dict[Any, tuple[list[Any], ...]] = {}
    for i, records in enumerate(sources):
        for k, v in records:
            lists = groups.get(k)
            if lists is None:
                lists = groups[k] = tuple([] for _ in range(n))
            lists[i].append(v)
    for k, lists in groups.items():
        yield k, tuple(ResultIterable(vs) for vs in lists)


def subtract(left: Iterable[tuple[Any, Any]], right: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    """Records of ``left`` whose key never occurs in ``right`` (left duplicates are kept)."""
    exclude = {k for k, _ in right}
    for kv in left:
        if kv[0] not in exclude:
            yield kv


def intersect(left: Iterable[tuple[Any, Any]], right: Iterable[tuple[Any, Any]]) -> Iterator[tuple[Any, Any]]:
    """One ``(key, None)`` per key present on both sides."""
    keys = {k for k, _ in left}
    for k, _ in right:
        if k in keys:
            keys.discard(k)
            yield k, None


JOINS = {"inner": inner, "left": left_outer, "right": right_outer, "full": full_outer,
         "subtract": subtract, "intersect": intersect}
