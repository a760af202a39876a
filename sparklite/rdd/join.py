"""Per-partition kernels of the join family (and subtract/intersection), over co-partitioned inputs.

All are hash joins that build a table of the left side's values per key and
stream the right side; output order within a partition is not specified (as
in Spark), only the multiset of records.

With a spill config (on executors) the table is sized as it is built; if it
outgrows the task's memory budget the kernel switches to an external
grouping of both sides (``shuffle.external.ExternalGrouper``): runs ordered by
key hash on disk, merged key by key, a key's values disk-backed when they do
not fit. Without one (or while the table fits) the loops are the plain
in-memory ones.
"""
from __future__ import annotations

from typing import Any, Iterable, Iterator

from sparklite.resultiterable import ResultIterable
from sparklite.shuffle.external import FIRST_CHECK, ExternalGrouper, SpillConfig
from sparklite.shuffle.sizing import BufferSizer, CheckSchedule, sampled_chunks

Pairs = Iterable[tuple[Any, Any]]


def _table(records: Pairs) -> dict[Any, list[Any]]:
    table: dict[Any, list[Any]] = {}
    _fill(table, records)
    return table


def _fill(table: dict[Any, list[Any]], records: Pairs) -> None:
    # a lookup, not try/except KeyError: most join keys are new to the table, and raising
    # costs more than the lookup saves
    get = table.get
    for k, v in records:
        values = get(k)
        if values is None:
            table[k] = [v]
        else:
            values.append(v)


def _build(left: Pairs, spill: SpillConfig | None) -> dict[Any, list[Any]] | ExternalGrouper:
    """The left side's hash table, or an ExternalGrouper holding it if it outgrew memory."""
    if spill is None:
        return _table(left)
    table: dict[Any, list[Any]] = {}
    sizer = BufferSizer("list")
    schedule = CheckSchedule(spill.memory_limit)
    it = iter(left)
    step = [FIRST_CHECK]
    for first, chunk in sampled_chunks(it, lambda: step[0]):
        _fill(table, chunk)
        sizer.observe_one(first)
        used = sizer.estimate(len(table), sum(map(len, table.values())))
        if used > spill.memory_limit:
            grouper = ExternalGrouper(2, spill.memory_limit, spill.spill_dir)
            grouper.absorb(table, 0)
            del table
            grouper.insert(0, it)
            return grouper
        step[0] = schedule.next(used, sizer.per_record())
    return table


def _external_groups(grouper: ExternalGrouper, right: Pairs) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    grouper.insert(1, right)
    return grouper.groups()


def inner(left: Pairs, right: Pairs, spill: SpillConfig | None = None) -> Iterator[tuple[Any, Any]]:
    table = _build(left, spill)
    if isinstance(table, ExternalGrouper):
        for k, (vs, ws) in _external_groups(table, right):
            if vs and ws:
                for v in vs:
                    for w in ws:
                        yield k, (v, w)
        return
    get = table.get
    for k, w in right:
        vs = get(k)
        if vs is not None:
            for v in vs:
                yield k, (v, w)


def left_outer(left: Pairs, right: Pairs, spill: SpillConfig | None = None) -> Iterator[tuple[Any, Any]]:
    table = _build(left, spill)
    if isinstance(table, ExternalGrouper):
        for k, (vs, ws) in _external_groups(table, right):
            for v in vs:
                if ws:
                    for w in ws:
                        yield k, (v, w)
                else:
                    yield k, (v, None)
        return
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


def right_outer(left: Pairs, right: Pairs, spill: SpillConfig | None = None) -> Iterator[tuple[Any, Any]]:
    table = _build(left, spill)
    if isinstance(table, ExternalGrouper):
        for k, (vs, ws) in _external_groups(table, right):
            for w in ws:
                if vs:
                    for v in vs:
                        yield k, (v, w)
                else:
                    yield k, (None, w)
        return
    for k, w in right:
        vs = table.get(k)
        if vs is None:
            yield k, (None, w)
        else:
            for v in vs:
                yield k, (v, w)


def full_outer(left: Pairs, right: Pairs, spill: SpillConfig | None = None) -> Iterator[tuple[Any, Any]]:
    table = _build(left, spill)
    if isinstance(table, ExternalGrouper):
        for k, (vs, ws) in _external_groups(table, right):
            if vs and ws:
                for v in vs:
                    for w in ws:
                        yield k, (v, w)
            elif vs:
                for v in vs:
                    yield k, (v, None)
            else:
                for w in ws:
                    yield k, (None, w)
        return
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


def cogroup(sources: list[Pairs], spill: SpillConfig | None = None) -> Iterator[tuple[Any, tuple[ResultIterable, ...]]]:
    if spill is not None:
        grouper = ExternalGrouper(len(sources), spill.memory_limit, spill.spill_dir)
        for i, records in enumerate(sources):
            grouper.insert(i, records)
        for k, lists in grouper.groups():
            yield k, tuple(ResultIterable(vs) for vs in lists)
        return
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


def subtract(left: Iterable[tuple[Any, Any]], right: Iterable[tuple[Any, Any]],
             spill: SpillConfig | None = None) -> Iterator[tuple[Any, Any]]:
    """Records of ``left`` whose key never occurs in ``right`` (left duplicates are kept).

    Holds the right side's distinct keys in memory (no spill: a key set is small next to records)."""
    exclude = {k for k, _ in right}
    for kv in left:
        if kv[0] not in exclude:
            yield kv


def intersect(left: Iterable[tuple[Any, Any]], right: Iterable[tuple[Any, Any]],
              spill: SpillConfig | None = None) -> Iterator[tuple[Any, Any]]:
    """One ``(key, None)`` per key present on both sides (the left keys are held in memory)."""
    keys = {k for k, _ in left}
    for k, _ in right:
        if k in keys:
            keys.discard(k)
            yield k, None


JOINS = {"inner": inner, "left": left_outer, "right": right_outer, "full": full_outer,
         "subtract": subtract, "intersect": intersect}
