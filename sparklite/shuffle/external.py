"""External sort, aggregation and grouping: shuffle work on data larger than a task's memory.

Each structure buffers in memory while its estimated size (``sizing``) stays
under the task's budget — then it behaves exactly like the plain in-memory
code, at the same speed. Past the budget it sorts what it holds into a *run*
(a temporary file of pickled frames in the executor's spill dir), empties
itself and goes on; at the end it k-way merges the runs (``heapq.merge``),
streaming, so memory stays bounded by the budget plus one frame per run.

* ``ExternalSorter`` sorts records (sortByKey's per-partition sort); stable,
  like ``sorted``.
* ``ExternalAggregator`` folds (key, value) or (key, combiner) records
  (reduceByKey, combineByKey, groupByKey). Runs are ordered by ``hash(key)``,
  so keys need no ordering; keys whose hashes collide are told apart by
  equality while merging. groupByKey's value lists may be longer than memory
  (one hot key): spilled lists are written in parts, and a merged list that
  outgrows the budget becomes an ``ExternalList`` backed by a spill file.
* ``ExternalGrouper`` groups the values of several sources by key (cogroup
  and the joins), with the same run layout.

Hashes are Python's ``hash``: runs are written and read by the same process.
Run files, their merge and ExternalList live in ``spill_files``; the executor
removes its whole local dir (spill dir included) when it exits.

THREADING: one instance per task; nothing shared but the ``stats`` counter.
"""
from __future__ import annotations

from itertools import islice
from operator import itemgetter
from typing import Any, Callable, Iterable, Iterator

from sparklite.shuffle.sizing import BufferSizer, CheckSchedule, sampled_chunks
from sparklite.shuffle.spill_files import (FIRST_CHECK, LIST_PART, RUN_FRAME_RECORDS, ExternalList, RunFile,
                                           merge_runs, settled, stats, write_run)

__all__ = ["ExternalAggregator", "ExternalGrouper", "ExternalList", "ExternalSorter", "SpillConfig",
           "combine_batches_by_key", "combine_by_key", "sort_records", "spill_config", "stats",
           "FIRST_CHECK", "LIST_PART"]


class SpillConfig:
    """Where a task spills and how many bytes it may buffer first."""

    __slots__ = ("memory_limit", "spill_dir")

    def __init__(self, memory_limit: int, spill_dir: str):
        self.memory_limit = memory_limit
        self.spill_dir = spill_dir


def spill_config() -> SpillConfig | None:
    """The running task's budget and spill dir, or None outside an executor (no spilling)."""
    from sparklite.taskcontext import TaskContext

    context = TaskContext.get()
    env = getattr(context, "env", None)
    if env is None:
        return None
    return SpillConfig(env.task_memory(), env.spill_dir)


def _key_hash(record: Any) -> int:
    return hash(record[0])


_second = itemgetter(1)


def _values_in_pair(record: tuple[Any, list[Any]]) -> int:
    return len(record[1])


def _values_in_triple(record: tuple[Any, int, list[Any]]) -> int:
    return len(record[2])


def _batches(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(records)
    while True:
        batch = list(islice(it, size))
        if not batch:
            return
        yield batch


# ------------------------------------------------------------------ sort


class ExternalSorter:
    """Sorts records with at most ``memory_limit`` bytes buffered; stable, like ``sorted``."""

    def __init__(self, memory_limit: int, spill_dir: str, key: Callable[[Any], Any] | None = None,
                 reverse: bool = False):
        self.memory_limit = memory_limit
        self.spill_dir = spill_dir
        self.key = key
        self.reverse = reverse
        #: runs written by the last ``sort`` (inspection, tests)
        self.spills = 0

    def sort(self, records: Iterable[Any]) -> Iterator[Any]:
        sizer = BufferSizer("records")
        schedule = CheckSchedule(self.memory_limit)
        buffer: list[Any] = []
        runs: list[RunFile] = []
        step = [FIRST_CHECK]
        try:
            for first, chunk in sampled_chunks(iter(records), lambda: step[0]):
                buffer.extend(chunk)
                sizer.observe_one(first)
                used = sizer.estimate(len(buffer))
                if used > self.memory_limit:
                    buffer.sort(key=self.key, reverse=self.reverse)
                    runs.append(write_run(self.spill_dir, buffer))
                    buffer = []
                    used = 0
                step[0] = schedule.next(used, sizer.per_record())
        except BaseException:
            for run in runs:
                run.delete()
            raise
        buffer.sort(key=self.key, reverse=self.reverse)
        self.spills = len(runs)
        if not runs:
            return iter(buffer)
        runs.append(write_run(self.spill_dir, buffer))
        del buffer
        return merge_runs(runs, self.spill_dir, self.key, self.reverse)


def sort_records(records: Iterable[Any], key: Callable[[Any], Any] | None = None,
                 reverse: bool = False) -> Iterator[Any]:
    """``sorted(records, key, reverse)`` within the running task's memory budget."""
    config = spill_config()
    if config is None:
        return iter(sorted(records, key=key, reverse=reverse))
    return ExternalSorter(config.memory_limit, config.spill_dir, key, reverse).sort(records)


# ------------------------------------------------------------------ aggregation


class ExternalAggregator:
    """Folds key-value records with an Aggregator, spilling runs ordered by key hash.

    ``insert(records)`` folds values (createCombiner/mergeValue),
    ``insert(records, combiners=True)`` folds combiners (mergeCombiners);
    ``items()`` yields each key once with its combiner. For groupByKey
    (``kind == "list"``) a key's merged list may be an ExternalList.
    """

    def __init__(self, aggregator: Any, memory_limit: int, spill_dir: str):
        self.aggregator = aggregator
        self.memory_limit = memory_limit
        self.spill_dir = spill_dir
        self._lists = aggregator.kind == "list"
        self._sizer = BufferSizer("list" if self._lists else "combiner")
        self._schedule = CheckSchedule(memory_limit)
        self._table: dict[Any, Any] = {}
        self._runs: list[RunFile] = []

    @property
    def spills(self) -> int:
        return len(self._runs)

    def insert(self, records: Iterable[tuple[Any, Any]], combiners: bool = False) -> None:
        agg = self.aggregator
        fold = agg.combine_combiners if combiners else agg.combine_values
        by_values = self._lists and combiners
        if by_values:  # groupByKey's combiners: a record may be a long list, so pace by values
            self.insert_batches(_batches(records, RUN_FRAME_RECORDS), combiners)
            return
        step = [FIRST_CHECK]
        folded = 0
        for first, chunk in sampled_chunks(iter(records), lambda: step[0]):
            fold(chunk, into=self._table)
            folded += step[0]
            self._sizer.observe_one(first, self._table, combiners)
            values = sum(map(len, self._table.values())) if self._lists else 0
            used = self._sizer.estimate(len(self._table), values)
            if used > self.memory_limit:
                self._spill()
                used = folded = 0
            step[0] = self._schedule.next(used, self._sizer.per_record(), folded)

    def insert_batches(self, batches: Iterable[list[tuple[Any, Any]]], combiners: bool = False) -> None:
        """``insert`` for records arriving in lists (shuffle frames): folded a list at a time."""
        agg = self.aggregator
        fold = agg.combine_combiners if combiners else agg.combine_values
        # groupByKey's combiners are lists, maybe long ones (a hot key): pace checks by values
        by_values = self._lists and combiners
        step = FIRST_CHECK
        since_check = folded = used = 0
        last: Any = None
        for batch in batches:
            if not batch:
                continue
            weight = sum(map(len, map(_second, batch))) if by_values else len(batch)
            if (by_values and self._table
                    and used + (since_check + weight) * self._sizer.per_value() > self.memory_limit):
                # folding these lists would pass the budget (one hot key's part can be as big
                # as the map side's whole budget): spill first, so they join an empty table
                self._spill()
                used = folded = since_check = 0
            fold(batch, into=self._table)
            since_check += weight
            last = batch[0]
            if since_check < step:
                continue
            folded += since_check
            since_check = 0
            used = self._check(last, combiners)
            if not used:
                folded = 0
            step = self._schedule.next(used, self._sizer.per_record(), folded)
        if since_check:
            self._check(last, combiners)

    def _check(self, sample: Any, combiners: bool) -> int:
        """Estimate the table after folding; spill if past the budget. Returns bytes held (0 after
        a spill)."""
        self._sizer.observe_one(sample, self._table, combiners)
        values = sum(map(len, self._table.values())) if self._lists else 0
        used = self._sizer.estimate(len(self._table), values)
        if used > self.memory_limit:
            self._spill()
            return 0
        return used

    def _spill(self) -> None:
        items = sorted(self._table.items(), key=_key_hash)
        self._table = {}
        if self._lists:
            self._runs.append(write_run(self.spill_dir, _split_lists(items), _values_in_pair))
        else:
            self._runs.append(write_run(self.spill_dir, items))

    def items(self) -> Iterator[tuple[Any, Any]]:
        if not self._runs:
            table, self._table = self._table, {}
            return iter(table.items())
        if self._table:
            self._spill()
        runs, self._runs = self._runs, []
        return self._merge(runs)

    def _merge(self, runs: list[RunFile]) -> Iterator[tuple[Any, Any]]:
        merge_combiners = self.aggregator.merge_combiners
        group: dict[Any, Any] = {}
        current: int | None = None
        for k, c in merge_runs(runs, self.spill_dir, _key_hash):
            h = hash(k)
            if h != current:
                yield from self._emit(group)
                group = {}
                current = h
            if self._lists:
                values = group.get(k)
                if values is None:
                    values = group[k] = ExternalList(self.memory_limit, self.spill_dir)
                values.extend(c)
            elif k in group:
                group[k] = merge_combiners(group[k], c)
            else:
                group[k] = c
        yield from self._emit(group)

    def _emit(self, group: dict[Any, Any]) -> Iterator[tuple[Any, Any]]:
        if self._lists:
            for k, values in group.items():
                yield k, settled(values)
        else:
            yield from group.items()

    def close(self) -> None:
        for run in self._runs:
            run.delete()
        self._runs = []


def _split_lists(items: Iterable[tuple[Any, list[Any]]]) -> Iterator[tuple[Any, list[Any]]]:
    """(key, list) records with long lists cut into parts of LIST_PART values (same key, in order)."""
    for k, values in items:
        if len(values) <= LIST_PART:
            yield k, values
        else:
            for start in range(0, len(values), LIST_PART):
                yield k, values[start:start + LIST_PART]


def combine_by_key(aggregator: Any, records: Iterable[tuple[Any, Any]],
                   combiners: bool = False) -> Iterator[tuple[Any, Any]]:
    """Fold ``records`` by key within the running task's budget (spilling when needed)."""
    config = spill_config()
    if config is None:
        fold = aggregator.combine_combiners if combiners else aggregator.combine_values
        return iter(fold(records).items())
    external = ExternalAggregator(aggregator, config.memory_limit, config.spill_dir)
    external.insert(records, combiners)
    return external.items()


def combine_batches_by_key(aggregator: Any, batches: Iterable[list[tuple[Any, Any]]],
                           combiners: bool = False) -> Iterator[tuple[Any, Any]]:
    """``combine_by_key`` over records arriving in lists (the reduce side of a shuffle)."""
    config = spill_config()
    if config is None:
        fold = aggregator.combine_combiners if combiners else aggregator.combine_values
        table: dict = {}
        for batch in batches:
            fold(batch, into=table)
        return iter(table.items())
    external = ExternalAggregator(aggregator, config.memory_limit, config.spill_dir)
    external.insert_batches(batches, combiners)
    return external.items()


# ------------------------------------------------------------------ grouping


class ExternalGrouper:
    """Groups the values of ``n`` sources by key: ``groups()`` yields (key, tuple of n value lists).

    A value list is a plain list, or an ExternalList when the merged values of
    one key outgrow the memory budget.
    """

    def __init__(self, n: int, memory_limit: int, spill_dir: str):
        self.n = n
        self.memory_limit = memory_limit
        self.spill_dir = spill_dir
        self._sizer = BufferSizer("list")
        self._schedule = CheckSchedule(memory_limit)
        self._table: dict[Any, tuple[list[Any], ...]] = {}
        self._runs: list[RunFile] = []

    @property
    def spills(self) -> int:
        return len(self._runs)

    def absorb(self, table: dict[Any, list[Any]], source: int) -> None:
        """Take over a {key: [values]} table of one source (a hash join that outgrew memory)."""
        n = self.n
        for k, vs in table.items():
            lists = tuple(vs if i == source else [] for i in range(n))
            self._table[k] = lists
        self._spill()

    def insert(self, source: int, records: Iterable[tuple[Any, Any]]) -> None:
        table, n = self._table, self.n
        step = [FIRST_CHECK]
        for first, chunk in sampled_chunks(iter(records), lambda: step[0]):
            for k, v in chunk:
                lists = table.get(k)
                if lists is None:
                    lists = table[k] = tuple([] for _ in range(n))
                lists[source].append(v)
            self._sizer.observe_one(first)
            values = sum(len(vs) for lists in table.values() for vs in lists)
            used = self._sizer.estimate(len(table), values) + len(table) * 56 * (n - 1)
            if used > self.memory_limit:
                self._spill()
                table = self._table
                used = 0
            step[0] = self._schedule.next(used, self._sizer.per_record())

    def _spill(self) -> None:
        items = sorted(self._table.items(), key=_key_hash)
        self._table = {}

        def records() -> Iterator[tuple[Any, int, list[Any]]]:
            for k, lists in items:
                for source, values in enumerate(lists):
                    for start in range(0, len(values), LIST_PART):
                        yield k, source, values[start:start + LIST_PART]

        self._runs.append(write_run(self.spill_dir, records(), _values_in_triple))

    def groups(self) -> Iterator[tuple[Any, tuple[Any, ...]]]:
        if not self._runs:
            table, self._table = self._table, {}
            return iter(table.items())
        if self._table:
            self._spill()
        runs, self._runs = self._runs, []
        return self._merge(runs)

    def _merge(self, runs: list[RunFile]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
        share = max(1, self.memory_limit // self.n)
        group: dict[Any, tuple[ExternalList, ...]] = {}
        current: int | None = None
        for k, source, values in merge_runs(runs, self.spill_dir, _key_hash):
            h = hash(k)
            if h != current:
                yield from _emit_groups(group)
                group = {}
                current = h
            lists = group.get(k)
            if lists is None:
                lists = group[k] = tuple(ExternalList(share, self.spill_dir) for _ in range(self.n))
            lists[source].extend(values)
        yield from _emit_groups(group)

    def close(self) -> None:
        for run in self._runs:
            run.delete()
        self._runs = []


def _emit_groups(group: dict[Any, tuple[ExternalList, ...]]) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    for k, lists in group.items():
        yield k, tuple(settled(values) for values in lists)
