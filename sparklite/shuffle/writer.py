"""Map side of a shuffle: route records to reduce partitions, combine, spill, commit.

With an aggregator and map-side combine (reduceByKey, combineByKey,
aggregateByKey, groupByKey) records are folded into one dict per task first,
so what crosses the shuffle is one combiner per key and map task. Buffers are
flushed to a spill file when their estimated size (``sizing``) passes the
task's memory budget (``memory_limit``: ``spark.python.worker.memory``, capped
by the executor's share, see ``storage.budget``); spills are not sorted,
because the reduce side merges whatever it reads (partial combiners merge
like any others), so the final output is the concatenation, per reduce
partition, of every spill's segment.

``reduceByKey(add)`` over ``map(lambda x: (x, C))`` with an int C (word count)
counts keys instead (``_count``): a key seen n times combines to C added n
times, which for ints is exactly n * C, and ``collections`` counts in C.

THREADING: one writer per task attempt; no shared state.
"""
from __future__ import annotations

import os
import tempfile
import time
from bisect import bisect_left
from collections import _count_elements  # type: ignore[attr-defined]
from typing import Any, Iterable, Iterator

from sparklite.hashing import NATIVE_SEED_ZERO, portable_hash
from sparklite.rdd.partitioner import Partitioner, RangePartitioner
from sparklite.shuffle import index_file
from sparklite.shuffle.combine_loops import MappedRecords
from sparklite.shuffle.external import LIST_PART
from sparklite.shuffle.external import stats as spill_stats
from sparklite.shuffle.frames import write_frames, write_list_frames
from sparklite.shuffle.map_status import MapStatus, ShuffleWriteSpec
from sparklite.shuffle.sizing import BufferSizer, CheckSchedule, sampled_chunks

#: buffer budget when none is given (PySpark's spark.python.worker.memory default)
DEFAULT_MEMORY_LIMIT = 512 << 20
#: records folded before the first size check
FIRST_CHECK = 1024


def route(records: Iterable[tuple[Any, Any]], partitioner: Any, n: int,
          buckets: list[list[Any]] | None = None) -> list[list[Any]]:
    """Append key-value records to ``n`` buckets by key (new buckets unless given)."""
    if buckets is None:
        buckets = [[] for _ in range(n)]
    if n == 1:
        buckets[0].extend(records)
        return buckets
    appends = [b.append for b in buckets]
    if type(partitioner) is Partitioner and partitioner.partitionFunc is portable_hash:
        ph = portable_hash
        if NATIVE_SEED_ZERO:  # executors: portable_hash of an int or str is its hash()
            for kv in records:
                k = kv[0]
                t = type(k)
                appends[(hash(k) if t is int or t is str else ph(k)) % n](kv)
        else:
            for kv in records:
                appends[ph(kv[0]) % n](kv)
    elif type(partitioner) is RangePartitioner and partitioner.identity_key:
        bounds, last = partitioner.bounds, n - 1
        if partitioner.ascending:
            for kv in records:
                appends[bisect_left(bounds, kv[0])](kv)
        else:
            for kv in records:
                appends[last - bisect_left(bounds, kv[0])](kv)
    else:
        for kv in records:
            appends[partitioner(kv[0])](kv)
    return buckets


class _Spill:
    def __init__(self, path: str, sizes: list[int]):
        self.path, self.sizes = path, sizes


class ShuffleWriter:
    """Writes one map task's output; ``write`` returns its MapStatus."""

    def __init__(self, spec: ShuffleWriteSpec, shuffle_dir: str, map_index: int, map_task_id: int,
                 executor_id: str, host: str, block_address: str, batch_size: int,
                 memory_limit: int = DEFAULT_MEMORY_LIMIT):
        self.spec = spec
        self.shuffle_dir = shuffle_dir
        self.map_index = map_index
        self.map_task_id = map_task_id
        self.executor_id, self.host, self.block_address = executor_id, host, block_address
        self.batch_size = batch_size
        self.memory_limit = memory_limit
        self._spills: list[_Spill] = []
        # task metrics, counted per spill and at commit (never per record): see executor/task_metrics
        self.records_written = 0
        self.write_time_ns = 0
        self.spilled_memory = self.spilled_disk = self.peak_memory = 0

    def write(self, records: Iterator[Any]) -> MapStatus:
        spec = self.spec
        n = spec.num_partitions
        try:
            if spec.aggregator is not None and spec.map_side_combine:
                if (spec.aggregator.op == "add" and isinstance(records, MappedRecords)
                        and records.is_pairs and type(records.pair_value) is int):
                    final = self._count(records.source, records.pair_value)
                else:
                    final = self._combine(records)
            else:
                final = self._buffer(records)
            sizes = self._commit(final, n)
        finally:
            for spill in self._spills:
                _unlink(spill.path)
        return MapStatus(self.executor_id, self.host, self.block_address, self.shuffle_dir,
                         self.map_task_id, tuple(sizes))

    # -------------------------------------------------------------- buffering

    @property
    def spills(self) -> int:
        return len(self._spills)

    def _combine(self, records: Iterator[Any]) -> list[list[Any]]:
        agg = self.spec.aggregator
        n = self.spec.num_partitions
        sizer = BufferSizer("list" if agg.kind == "list" else "combiner")
        schedule = CheckSchedule(self.memory_limit)
        lists = agg.kind == "list"
        combined: dict = {}
        step = [FIRST_CHECK]
        func = None
        if isinstance(records, MappedRecords) and not records.is_pairs:
            records, func = records.source, records.func  # called from the combine loop
        for first, chunk in sampled_chunks(iter(records), lambda: step[0]):
            agg.combine_values(chunk, into=combined, func=func)
            if func is None:
                sizer.observe_one(first, combined)
            else:  # ``first`` is the map's input: sample what it made (the last key folded)
                sizer.observe_one(next(reversed(combined.items())), combined, combiners=True)
            values = sum(map(len, combined.values())) if lists else 0
            used = sizer.estimate(len(combined), values)
            if used > self.peak_memory:
                self.peak_memory = used
            if used > self.memory_limit:
                self._spill(route(combined.items(), self.spec.partitioner, n), used)
                combined = {}
                used = 0
            step[0] = schedule.next(used, sizer.per_record())
        return route(combined.items(), self.spec.partitioner, n)

    def _count(self, keys: Iterator[Any], value: int) -> list[list[Any]]:
        """``_combine`` of the records ``(k, value)`` by ``+``: n * value per key seen n times."""
        n = self.spec.num_partitions
        sizer = BufferSizer("combiner")
        schedule = CheckSchedule(self.memory_limit)
        counts: dict = {}
        step = [FIRST_CHECK]
        for first, chunk in sampled_chunks(iter(keys), lambda: step[0]):
            _count_elements(counts, chunk)
            sizer.observe_one((first, value), counts)
            used = sizer.estimate(len(counts))
            if used > self.memory_limit:
                self._spill(route(_scaled(counts, value), self.spec.partitioner, n))
                counts = {}
                used = 0
            step[0] = schedule.next(used, sizer.per_record())
        return route(_scaled(counts, value), self.spec.partitioner, n)

    def _buffer(self, records: Iterator[Any]) -> list[list[Any]]:
        n = self.spec.num_partitions
        buckets: list[list[Any]] = [[] for _ in range(n)]
        sizer = BufferSizer("records")
        schedule = CheckSchedule(self.memory_limit)
        step = [FIRST_CHECK]
        for first, chunk in sampled_chunks(iter(records), lambda: step[0]):
            route(chunk, self.spec.partitioner, n, buckets)
            sizer.observe_one(first)
            used = sizer.estimate(sum(map(len, buckets)))
            if used > self.peak_memory:
                self.peak_memory = used
            if used > self.memory_limit:
                self._spill(buckets, used)
                buckets = [[] for _ in range(n)]
                used = 0
            step[0] = schedule.next(used, sizer.per_record())
        return buckets

    def _write_bucket(self, out: Any, bucket: list[Any]) -> int:
        spec = self.spec
        if spec.map_side_combine and spec.aggregator is not None and spec.aggregator.kind == "list":
            return write_list_frames(out, bucket, self.batch_size, LIST_PART)
        return write_frames(out, bucket, self.batch_size)

    def _spill(self, buckets: list[list[Any]], used: int = 0) -> None:
        spill_stats["runs"] += 1
        started = time.perf_counter_ns()
        fd, path = tempfile.mkstemp(prefix="spill_", suffix=".tmp", dir=self.shuffle_dir)
        sizes = []
        with os.fdopen(fd, "wb", buffering=1 << 20) as out:
            for bucket in buckets:
                sizes.append(self._write_bucket(out, bucket))
        self._spills.append(_Spill(path, sizes))
        self.records_written += sum(map(len, buckets))
        self.write_time_ns += time.perf_counter_ns() - started
        self.spilled_memory += used
        self.spilled_disk += sum(sizes)
        self.peak_memory = max(self.peak_memory, used)

    # -------------------------------------------------------------- commit

    def _commit(self, final: list[list[Any]], n: int) -> list[int]:
        started = time.perf_counter_ns()
        self.records_written += sum(map(len, final))
        fd, tmp = tempfile.mkstemp(prefix="map_", suffix=".tmp", dir=self.shuffle_dir)
        sizes = []
        try:
            with os.fdopen(fd, "wb", buffering=1 << 20) as out:
                spill_files = [open(s.path, "rb") for s in self._spills]
                try:
                    for r in range(n):
                        size = 0
                        for spill, f in zip(self._spills, spill_files):
                            size += _copy(f, out, spill.sizes[r])
                        size += self._write_bucket(out, final[r])
                        sizes.append(size)
                finally:
                    for f in spill_files:
                        f.close()
            index_file.commit(tmp, sizes, self.shuffle_dir, self.spec.shuffle_id, self.map_index,
                              self.map_task_id)
        except BaseException:
            _unlink(tmp)
            raise
        self.write_time_ns += time.perf_counter_ns() - started
        return sizes


def _scaled(counts: dict, value: int) -> Iterable[tuple[Any, int]]:
    return counts.items() if value == 1 else ((k, c * value) for k, c in counts.items())


def _copy(src: Any, dst: Any, length: int) -> int:
    remaining = length
    while remaining > 0:
        chunk = src.read(min(remaining, 4 << 20))
        if not chunk:
            raise EOFError("spill file truncated")
        dst.write(chunk)
        remaining -= len(chunk)
    return length


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
