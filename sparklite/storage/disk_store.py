"""DiskStore: cached blocks as Arrow IPC stream files in the executor's local dir.

``<local_dir>/blocks/<block id>.arrows`` holds one block in the Arrow IPC
stream format (schema, with the block's shape in its metadata, then record
batches). A block is written under a temporary name and renamed into place,
so a reader never sees half a block. Reads memory-map the file: the batches
point into the page cache, nothing is copied until records are decoded. The
same bytes are what the block service sends to another executor.

THREADING: ``_sizes`` (block id -> file size) is guarded by ``_lock``; file
writes happen outside it (one writer per block id at a time, by the block
manager's design), and unlinking a file that a reader has mapped is safe on
POSIX (the mapping stays valid).
"""
from __future__ import annotations

import os
import tempfile
import threading
from typing import Callable, Iterable, Iterator

import pyarrow as pa


class DiskBlockWriter:
    """Streams record batches of one block into a temporary file; ``commit`` puts it in place."""

    def __init__(self, store: DiskStore, block_id: str, schema: pa.Schema):
        self._store = store
        self.block_id = block_id
        fd, self._tmp = tempfile.mkstemp(prefix=f"{block_id}.", suffix=".tmp", dir=store.directory)
        os.close(fd)
        self._sink = pa.OSFile(self._tmp, "wb")
        self._writer = pa.ipc.new_stream(self._sink, schema)
        self.schema = schema
        self.closed = False

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)

    def _close(self) -> None:
        if not self.closed:
            self.closed = True
            try:
                self._writer.close()
            finally:
                self._sink.close()

    def commit(self) -> int:
        """Move the file into place; returns its size."""
        self._close()
        return self._store._adopt(self.block_id, self._tmp)

    def abort(self) -> None:
        try:
            self._close()
        finally:
            _unlink(self._tmp)

    def rewrite(self, schema: pa.Schema, convert: Callable[[pa.RecordBatch], pa.RecordBatch]) -> DiskBlockWriter:
        """A new writer holding this one's batches converted by ``convert`` to ``schema``."""
        self._close()
        fresh = DiskBlockWriter(self._store, self.block_id, schema)
        try:
            with pa.memory_map(self._tmp) as source:
                for batch in pa.ipc.open_stream(source):
                    fresh.write(convert(batch))
        except BaseException:
            fresh.abort()
            raise
        finally:
            _unlink(self._tmp)
        return fresh


class DiskStore:
    def __init__(self, directory: str):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        self._sizes: dict[str, int] = {}
        self._lock = threading.Lock()

    def path(self, block_id: str) -> str:
        if "/" in block_id or block_id.startswith("."):
            raise ValueError(f"bad block id {block_id!r}")
        return os.path.join(self.directory, block_id + ".arrows")

    # ------------------------------------------------------------------ writes

    def writer(self, block_id: str, schema: pa.Schema) -> DiskBlockWriter:
        return DiskBlockWriter(self, block_id, schema)

    def put_batches(self, block_id: str, schema: pa.Schema, batches: Iterable[pa.RecordBatch]) -> int:
        writer = self.writer(block_id, schema)
        try:
            for batch in batches:
                writer.write(batch)
        except BaseException:
            writer.abort()
            raise
        return writer.commit()

    def put_bytes(self, block_id: str, data: bytes | memoryview) -> int:
        """Store a block already in IPC stream form (a replica from another executor)."""
        fd, tmp = tempfile.mkstemp(prefix=f"{block_id}.", suffix=".tmp", dir=self.directory)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
        except BaseException:
            _unlink(tmp)
            raise
        return self._adopt(block_id, tmp)

    def _adopt(self, block_id: str, tmp: str) -> int:
        final = self.path(block_id)
        os.replace(tmp, final)
        size = os.path.getsize(final)
        with self._lock:
            self._sizes[block_id] = size
        return size

    def remove(self, block_id: str) -> bool:
        with self._lock:
            known = self._sizes.pop(block_id, None) is not None
        if known:
            _unlink(self.path(block_id))
        return known

    # ------------------------------------------------------------------ reads

    def contains(self, block_id: str) -> bool:
        with self._lock:
            return block_id in self._sizes

    def size(self, block_id: str) -> int:
        with self._lock:
            return self._sizes.get(block_id, 0)

    @property
    def used(self) -> int:
        with self._lock:
            return sum(self._sizes.values())

    def block_ids(self) -> list[str]:
        with self._lock:
            return list(self._sizes)

    def read(self, block_id: str) -> tuple[pa.Schema, Iterator[pa.RecordBatch]] | None:
        """The block's schema and its batches, memory-mapped; None if not on disk."""
        if not self.contains(block_id):
            return None
        try:
            source = pa.memory_map(self.path(block_id))
        except FileNotFoundError:  # removed since the check
            return None
        reader = pa.ipc.open_stream(source)
        return reader.schema, _batches(reader, source)

    def read_bytes(self, block_id: str) -> bytes | None:
        if not self.contains(block_id):
            return None
        try:
            with open(self.path(block_id), "rb") as f:
                return f.read()
        except FileNotFoundError:
            return None


def _batches(reader: pa.ipc.RecordBatchStreamReader, source: pa.MemoryMappedFile) -> Iterator[pa.RecordBatch]:
    try:
        yield from reader
    finally:
        source.close()


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
