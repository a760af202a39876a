"""Spill files: runs of pickled frames on local disk, their k-way merge, and ExternalList.

The building blocks of ``shuffle.external``: a *run* is a temporary file of
frames (``shuffle.frames``) written in order and read back streaming; runs
are merged with ``heapq.merge`` (stable: ties come out in run order), in
several passes above MAX_MERGE_FAN_IN runs. An ExternalList is one key's
values, in memory up to a budget and in a run past it.

Files are deleted when a merge finishes or is abandoned, and, as a backstop,
when their owner is garbage-collected (``weakref.finalize``).

THREADING: each object belongs to one task; ``stats`` is a process-wide counter.
"""
from __future__ import annotations

import heapq
import os
import tempfile
import weakref
from typing import Any, Callable, Iterable, Iterator

from sparklite.shuffle.frames import read_frames, write_frames
from sparklite.shuffle.sizing import LIST_SLOT, MeanSize, approx_size, sample_indices

#: records per frame in a run file: what each run contributes to memory while merging
RUN_FRAME_RECORDS = 1024
#: runs merged at once; more are first merged into longer runs
MAX_MERGE_FAN_IN = 64
#: values per record (and per frame) when long lists are written to a run
LIST_PART = 16_384
#: values appended to an ExternalList before it first checks its size
FIRST_CHECK = 1024


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


class RunFile:
    """A temporary file of frames; deleted by ``delete`` or when garbage-collected."""

    def __init__(self, directory: str):
        fd, self.path = tempfile.mkstemp(prefix="spill_", suffix=".run", dir=directory)
        self._out: Any = os.fdopen(fd, "wb", buffering=1 << 20)
        self._finalizer = weakref.finalize(self, _unlink, self.path)
        self.records = 0

    def write(self, records: list[Any]) -> None:
        write_frames(self._out, records, RUN_FRAME_RECORDS)
        self.records += len(records)

    def finish(self) -> RunFile:
        if self._out is not None:
            self._out.close()
            self._out = None
        return self

    def __iter__(self) -> Iterator[Any]:
        self.finish()
        with open(self.path, "rb", buffering=1 << 16) as f:
            for batch in read_frames(f):
                yield from batch

    def delete(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
        self._finalizer()


#: spill files written by this process, here and by the map side (inspection: tests and
#: benchmarks ask executors for it)
stats = {"runs": 0}


def write_run(directory: str, records: Iterable[Any],
               weight: Callable[[Any], int] | None = None) -> RunFile:
    """A run of ``records`` in frames of RUN_FRAME_RECORDS records, or, with ``weight`` (values
    a record carries), of about LIST_PART values: what a merge holds per run stays small."""
    stats["runs"] += 1
    run = RunFile(directory)
    batch: list[Any] = []
    carried = 0
    for record in records:
        batch.append(record)
        if weight is not None:
            carried += weight(record)
        if len(batch) >= RUN_FRAME_RECORDS or carried >= LIST_PART:
            run.write(batch)
            batch = []
            carried = 0
    if batch:
        run.write(batch)
    run.finish()
    _count_spill(run.path)
    return run


def _count_spill(path: str) -> None:
    """The task's Spill (disk) metric (its memory side is the map writer's: see task_metrics)."""
    from sparklite.executor.task_metrics import current

    metrics = current()
    if metrics is not None:
        metrics.add_spill(0, os.path.getsize(path))


def merge_runs(runs: list[RunFile], directory: str, key: Callable[[Any], Any] | None,
                reverse: bool = False) -> Iterator[Any]:
    """Every record of ``runs`` in order, deleting the runs when done (or abandoned).

    Ties come out in run order (``heapq.merge`` is stable), so merging runs
    written in input order is stable; with more than MAX_MERGE_FAN_IN runs,
    consecutive groups are merged first, which keeps that order.
    """
    live = list(runs)
    try:
        while len(live) > MAX_MERGE_FAN_IN:
            merged_pass: list[RunFile] = []
            for start in range(0, len(live), MAX_MERGE_FAN_IN):
                group = live[start:start + MAX_MERGE_FAN_IN]
                if len(group) == 1:
                    merged_pass.append(group[0])
                    continue
                merged_pass.append(write_run(directory, heapq.merge(*group, key=key, reverse=reverse)))
                for run in group:
                    run.delete()
            live = merged_pass
        yield from heapq.merge(*live, key=key, reverse=reverse)
    finally:
        for run in live:
            run.delete()


# ------------------------------------------------------------------ ExternalList


class ExternalList:
    """A list of values that keeps at most ``memory_limit`` bytes in memory, the rest in a run file.

    Appends and extends only; iterable any number of times (disk part first,
    then memory); ``len`` is exact. Pickles as a plain list (it is materialized
    when it leaves the task). Used for one key's grouped values.
    """

    #: ResultIterable keeps an ExternalList as is rather than copying it into a list
    _result_iterable_keeps = True

    def __init__(self, memory_limit: int, spill_dir: str):
        self._limit = memory_limit
        self._dir = spill_dir
        self._memory: list[Any] = []
        self._run: RunFile | None = None
        self._on_disk = 0
        self._item = MeanSize()
        self._until_check = FIRST_CHECK

    def append(self, value: Any) -> None:
        self._memory.append(value)
        self._until_check -= 1
        if self._until_check <= 0:
            self._check()

    def extend(self, values: Iterable[Any]) -> None:
        if not isinstance(values, list):
            values = list(values)
        self._memory.extend(values)
        self._until_check -= len(values)
        if self._until_check <= 0:
            self._check()

    def _check(self) -> None:
        memory = self._memory
        for i in sample_indices(len(memory)):
            self._item.add(approx_size(memory[i]))
        per_item = LIST_SLOT + self._item.mean
        if len(memory) * per_item > self._limit:
            if self._run is None:
                self._run = RunFile(self._dir)
            self._run.write(memory)
            self._on_disk += len(memory)
            self._memory = []
        self._until_check = max(FIRST_CHECK, int((self._limit / per_item - len(self._memory)) / 2))

    @property
    def spilled(self) -> bool:
        return self._run is not None

    def __len__(self) -> int:
        return self._on_disk + len(self._memory)

    def __bool__(self) -> bool:
        return len(self) > 0

    def __iter__(self) -> Iterator[Any]:
        if self._run is not None:
            yield from self._run
        yield from list(self._memory)

    def __reduce__(self) -> tuple:
        return (list, (list(self),))

    def __repr__(self) -> str:
        return f"ExternalList({len(self)} values, {self._on_disk} on disk)"

    def delete(self) -> None:
        if self._run is not None:
            self._run.delete()


def settled(values: ExternalList) -> ExternalList | list[Any]:
    """A plain list when nothing went to disk (what callers expect in the common case)."""
    return values if values.spilled else values._memory
