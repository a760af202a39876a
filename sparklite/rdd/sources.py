"""RDDs that read data rather than transform a parent: collections, ranges, files, nothing.

A parallelized collection is pickled once, slice by slice, on the driver, each
slice as frames of BATCH records (pickled with the memo, as PySpark pickles its
batches of 1024): a task unpickles one batch at a time, so a slice never
exists as Python objects all at once in the executor (whose heap would keep
the memory after caching the partition, issue 15). Small collections travel
inside the partitions (so inside the stage binary); larger ones go to the
driver's blob store and each task fetches only its own slice, so a task
message stays a handful of ids.
"""
from __future__ import annotations

import io
import weakref
from itertools import chain
from typing import Any, Iterator, Sequence

from sparklite import serializers
from sparklite.shuffle.frames import decode_chunks, decode_frames, write_frames
from sparklite.rdd.base import Partition
from sparklite.rdd.rdd import RDD
from sparklite.taskcontext import TaskContext

#: above this many pickled bytes in total, slices go to the blob store
INLINE_LIMIT = 256 << 10
#: records per pickled batch of a slice (PySpark's parallelize batches)
BATCH = 1024


def slice_bounds(length: int, num_slices: int) -> list[tuple[int, int]]:
    """Spark's ParallelCollectionRDD positions: slice i is [i*n//k, (i+1)*n//k)."""
    return [((i * length) // num_slices, ((i + 1) * length) // num_slices) for i in range(num_slices)]


def collection_bounds(length: int, num_slices: int, batch_size: int = 0) -> list[tuple[int, int]]:
    """Where PySpark's ``parallelize`` of a list cuts it: whole batches per slice.

    PySpark ships a list to the JVM in batches of
    ``max(1, min(n // numSlices, batchSize or 1024))`` records and slices the
    sequence of batches, so slices are uneven once batches are (5000 records
    in 3 slices are 1024, 2048 and 1928). Cutting at the same places keeps
    ``glom``, ``zipWithIndex``, ``sample`` and everything else that sees
    partitions identical to PySpark's.
    """
    batch = max(1, min(length // num_slices, batch_size or 1024))
    batches = -(-length // batch)
    return [(min(a * batch, length), min(b * batch, length)) for a, b in slice_bounds(batches, num_slices)]


class CollectionPartition(Partition):
    __slots__ = ("data", "blob_key")

    def __init__(self, index: int, data: bytes | None, blob_key: str | None):
        super().__init__(index)
        self.data = data
        self.blob_key = blob_key


class ParallelCollectionRDD(RDD):
    """``sc.parallelize(list)``: slices of a driver-side collection."""

    def __init__(self, ctx: Any, data: Sequence[Any], num_slices: int, batch_size: int = 0):
        super().__init__(ctx)
        bounds = collection_bounds(len(data), num_slices, batch_size)
        blobs = [_pickled_slice(data[a:b]) for a, b in bounds]
        if sum(map(len, blobs)) <= INLINE_LIMIT:
            self._parts = [CollectionPartition(i, b, None) for i, b in enumerate(blobs)]
        else:
            prefix = f"rdd_{self._rdd_id}_slice_"
            for i, b in enumerate(blobs):
                ctx._blob_store.put(f"{prefix}{i}", b)
            weakref.finalize(self, ctx._blob_store.remove_prefix, prefix)
            self._parts = [CollectionPartition(i, None, f"{prefix}{i}") for i in range(len(blobs))]

    def get_partitions(self) -> list[Partition]:
        return list(self._parts)

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        assert isinstance(split, CollectionPartition)
        if split.data is not None:
            return chain.from_iterable(decode_frames(split.data))
        # decoded as it streams in: the slice never exists whole, as bytes or as objects
        return chain.from_iterable(decode_chunks(context.env.fetch_blob_chunks(split.blob_key)))


def _pickled_slice(records: Sequence[Any]) -> bytes:
    out = io.BytesIO()
    write_frames(out, list(records), BATCH, serializers.dumps)
    return out.getvalue()


class RangePartition(Partition):
    __slots__ = ("range",)

    def __init__(self, index: int, r: range):
        super().__init__(index)
        self.range = r


class RangeRDD(RDD):
    """``sc.range`` and ``sc.parallelize(range(...))``: arithmetic, no data shipped."""

    def __init__(self, ctx: Any, r: range, num_slices: int):
        super().__init__(ctx)
        self._range = r
        self._num_slices = num_slices

    def get_partitions(self) -> list[Partition]:
        r, n = self._range, len(self._range)
        return [RangePartition(i, r[a:b]) for i, (a, b) in enumerate(slice_bounds(n, self._num_slices))]

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        assert isinstance(split, RangePartition)
        return iter(split.range)


class FilePartition(Partition):
    __slots__ = ("split",)

    def __init__(self, index: int, split: Any):
        super().__init__(index)
        self.split = split


class TextFileRDD(RDD):
    """``sc.textFile``: lines of files read by byte range on the executors."""

    def __init__(self, ctx: Any, path: str, min_partitions: int, use_unicode: bool = True):
        super().__init__(ctx)
        self._path = path
        self._min_partitions = min_partitions
        self._use_unicode = use_unicode
        self._name = path

    def get_partitions(self) -> list[Partition]:
        from sparklite.rdd.files import plan_splits

        ctx = self.ctx
        counter = iter(range(1 << 62))
        prefix = f"rdd_{self._rdd_id}_file_"

        def put_blob(data: bytes) -> str:
            key = f"{prefix}{next(counter)}"
            ctx._blob_store.put(key, data)
            return key

        splits = plan_splits(self._path, self._min_partitions, put_blob)
        weakref.finalize(self, ctx._blob_store.remove_prefix, prefix)
        return [FilePartition(i, s) for i, s in enumerate(splits)]

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        from sparklite.rdd.files import read_split

        assert isinstance(split, FilePartition)
        return read_split(split.split, self._use_unicode, context.env.fetch_blob)


class EmptyRDD(RDD):
    """An RDD with no partitions."""

    def get_partitions(self) -> list[Partition]:
        return []

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        return iter(())
