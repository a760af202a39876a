"""BlockManager (executor side): cached RDD partitions in memory and on disk, reported to the driver.

It is a facade over a MemoryStore (Arrow batches under a byte budget, LRU)
and a DiskStore (Arrow IPC files, memory-mapped on read), with the encoding
in ``arrow_codec``. ``get_or_compute`` is what ``RDD.iterator`` calls for a
persisted RDD:

1. serve the block from this executor's memory, else from its disk;
2. else fetch it from another executor that holds it (the driver says who);
3. else compute the partition and store it *while it streams to the task*:
   records are encoded chunk by chunk; memory is reserved chunk by chunk, so
   a partition that cannot fit is abandoned (MEMORY_ONLY: not cached, with a
   warning; MEMORY_AND_DISK: its chunks go on to disk) instead of exhausting
   memory. A consumer that stops early (``take``) leaves nothing cached.

Storage levels: ``useMemory`` blocks go to memory first; evicted
MEMORY_AND_DISK blocks move to disk, evicted MEMORY_ONLY blocks are dropped
(and recomputed from lineage when read next); DISK_ONLY blocks stream straight
to disk. ``replication > 1`` pushes copies to other executors after the block
is stored. Every change (stored, moved to disk, dropped) is reported to the
driver's BlockManagerMaster with the block's memory and disk sizes.

Differs from Spark: a block read from disk is not promoted back to memory,
and two tasks computing the same block at once both compute it (the last one
stored wins) instead of one waiting on a block lock.

THREADING: task threads call ``get_or_compute`` concurrently; gRPC threads
call ``block_bytes``/``put_replica``; the executor's main thread calls
``remove``. The stores lock themselves; ``_lock`` guards ``_levels``.

Checklist when changing this module: every path that stores or drops a block
reports it; a reservation is released on every path that abandons a block;
a temporary disk file is committed or aborted on every path.
"""
from __future__ import annotations

import itertools
import logging
import os
import threading
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Iterator

from sparklite.shuffle.sizing import MeanSize, approx_size
from sparklite.storage.memory_store import Evicted, MemoryEntry, MemoryStore
from sparklite.storagelevel import StorageLevel

if TYPE_CHECKING:
    import pyarrow as pa

    from sparklite.storage.arrow_codec import ChunkEncoder
    from sparklite.storage.disk_store import DiskBlockWriter, DiskStore

# pyarrow (~25 MB of a process) and the Arrow modules are imported when a block is first
# stored or read, not when an executor starts: most jobs cache nothing.

log = logging.getLogger(__name__)

#: records per encoded chunk (one Arrow record batch), at most
DEFAULT_CHUNK_RECORDS = 16_384
#: a chunk holds about this many bytes of Python objects (estimated from samples): the
#: records of one chunk are alive together while it is encoded, and a high-water mark of
#: many megabytes of small objects leaves the interpreter's heap fragmented, resident
#: after they are freed (issue 15: cached W5 links cost 5x their Arrow bytes)
CHUNK_BYTES = 1 << 20
#: records of the first chunk (their sizes set the next chunk's length)
FIRST_CHUNK = 256

Report = Callable[[str, str, int, int], None]


def rdd_block_id(rdd_id: int, partition: int) -> str:
    return f"rdd_{rdd_id}_{partition}"


def ipc_bytes(schema: pa.Schema, batches: list[pa.RecordBatch]) -> pa.Buffer:
    """A block as one Arrow IPC stream (what goes to disk and to other executors)."""
    import pyarrow as pa

    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, schema) as writer:
        for batch in batches:
            writer.write_batch(batch)
    return sink.getvalue()


class BlockManager:
    def __init__(self, executor_id: str, local_dir: str, memory_capacity: int, report: Report,
                 transfer: Any = None, chunk_records: int = DEFAULT_CHUNK_RECORDS):
        self.executor_id = executor_id
        self._report = report
        #: peer access (locations, fetch, push); None when alone (unit tests)
        self._transfer = transfer
        self.chunk_records = chunk_records
        self.memory = MemoryStore(memory_capacity)
        self._disk_dir = os.path.join(local_dir, "blocks")
        self._disk: DiskStore | None = None
        #: block id -> level of every block held here (in memory or on disk)
        self._levels: dict[str, StorageLevel] = {}
        self._lock = threading.Lock()
        self._builds = itertools.count()

    @property
    def disk(self) -> DiskStore:
        if self._disk is None:
            from sparklite.storage.disk_store import DiskStore

            with self._lock:
                if self._disk is None:
                    self._disk = DiskStore(self._disk_dir)
        return self._disk

    # ================================================================= reads

    def get_or_compute(self, rdd: Any, split: Any, context: Any) -> Iterator[Any]:
        block_id = rdd_block_id(rdd._rdd_id, split.index)
        local = self.get(block_id)
        if local is not None:
            self._count_input(block_id)
            return local
        remote = self._get_remote(block_id)
        if remote is not None:
            return remote
        return self._compute_and_store(block_id, rdd._storage_level, rdd.compute(split, context))

    def _count_input(self, block_id: str) -> None:
        """A cached partition read is the task's input (Spark's Input column), per block."""
        from sparklite.executor.task_metrics import current

        metrics = current()
        if metrics is None:
            return
        entry = self.memory.get(block_id)
        if entry is not None:
            metrics.input_bytes += entry.size
            metrics.input_records += entry.num_records
        elif self._disk is not None:
            metrics.input_bytes += self._disk.size(block_id)

    def get(self, block_id: str) -> Iterator[Any] | None:
        """The block's records if this executor holds it (memory first, then disk)."""
        entry = self.memory.get(block_id)
        if entry is None and self._disk is None:
            return None
        from sparklite.storage.arrow_codec import iter_records

        if entry is not None:
            return iter_records(entry.batches)
        found = self.disk.read(block_id)
        if found is None:
            return None
        return iter_records(found[1])

    def contains(self, block_id: str) -> bool:
        return self.memory.contains(block_id) or (self._disk is not None and self._disk.contains(block_id))

    def _get_remote(self, block_id: str) -> Iterator[Any] | None:
        if self._transfer is None:
            return None
        for executor_id, address in self._transfer.locations(block_id):
            if executor_id == self.executor_id:
                continue
            data = self._transfer.fetch(address, block_id)
            if data is not None:
                import pyarrow as pa

                from sparklite.storage.arrow_codec import iter_records

                log.debug("block %s fetched from executor %s", block_id, executor_id)
                return iter_records(pa.ipc.open_stream(pa.py_buffer(data)))
        return None

    def block_bytes(self, block_id: str) -> bytes | pa.Buffer | None:
        """The block as an Arrow IPC stream (served to other executors)."""
        entry = self.memory.get(block_id)
        if entry is not None:
            return ipc_bytes(entry.schema, entry.batches)
        return self._disk.read_bytes(block_id) if self._disk is not None else None

    def status(self, block_id: str) -> tuple[int, int]:
        """(bytes in memory, bytes on disk) of a block held here."""
        entry = self.memory.get(block_id)
        return (entry.size if entry is not None else 0), (self._disk.size(block_id) if self._disk else 0)

    def block_ids(self) -> list[str]:
        with self._lock:
            return list(self._levels)

    # ================================================================= compute and store

    def _compute_and_store(self, block_id: str, level: StorageLevel, records: Iterator[Any]) -> Iterator[Any]:
        """Yield ``records`` while encoding and storing them; the block is stored once they run out."""
        from sparklite.storage.arrow_codec import ChunkEncoder

        keep = _same_rdd(block_id)
        owner = f"{block_id}@{next(self._builds)}"  # this attempt's memory reservation
        encoder = ChunkEncoder()
        in_memory: list[pa.RecordBatch] | None = [] if (level.useMemory or level.useOffHeap) else None
        memory_bytes = 0
        writer: DiskBlockWriter | None = None
        num_records = 0
        complete = False
        it = iter(records)
        sizes = MeanSize()
        step = min(FIRST_CHUNK, self.chunk_records)
        try:
            while True:
                chunk = list(islice(it, step))
                if not chunk:
                    break
                num_records += len(chunk)
                sizes.add(approx_size(chunk[0]))
                step = max(1, min(self.chunk_records, int(CHUNK_BYTES / max(1.0, sizes.mean))))
                batch, changed = encoder.encode(chunk)
                if changed:
                    if in_memory is not None:
                        in_memory = [encoder.reencode(b) for b in in_memory]
                        memory_bytes = sum(b.get_total_buffer_size() for b in in_memory)
                    if writer is not None:
                        writer = writer.rewrite(encoder.schema, encoder.reencode)
                if in_memory is not None:
                    size = batch.get_total_buffer_size()
                    granted, evicted = self.memory.reserve(owner, size, keep)
                    self._handle_evicted(evicted)
                    if granted:
                        in_memory.append(batch)
                        memory_bytes += size
                    else:
                        self.memory.release(owner)
                        log.warning("block %s does not fit in the memory store (%d bytes so far, "
                                    "%d of %d bytes in use); %s", block_id, memory_bytes + size,
                                    self.memory.used, self.memory.capacity,
                                    "writing it to disk" if level.useDisk else "not caching it")
                        if level.useDisk:
                            writer = self.disk.writer(block_id, encoder.schema)
                            for b in in_memory:
                                writer.write(b)
                            writer.write(batch)
                        in_memory = None
                        if writer is None:  # nothing more to store: just stream the rest
                            yield from chunk
                            yield from it
                            complete = True
                            return
                elif level.useDisk:
                    if writer is None:
                        writer = self.disk.writer(block_id, encoder.schema)
                    writer.write(batch)
                yield from chunk
            complete = True
        finally:
            if not complete:
                self.memory.release(owner)
                if writer is not None:
                    writer.abort()
        self._store_computed(block_id, level, encoder, in_memory, memory_bytes, writer, num_records, owner)

    def _store_computed(self, block_id: str, level: StorageLevel, encoder: ChunkEncoder,
                        in_memory: list[pa.RecordBatch] | None, memory_bytes: int,
                        writer: DiskBlockWriter | None, num_records: int, owner: str) -> None:
        stored = False
        if in_memory is not None:
            entry = MemoryEntry(in_memory, encoder.schema, memory_bytes, num_records)
            ok, evicted = self.memory.put(block_id, entry, _same_rdd(block_id), reservation=owner)
            self._handle_evicted(evicted)
            if ok:
                stored = True
                self._stored(block_id, level, memory_bytes, 0)
            elif level.useDisk:
                writer = self.disk.writer(block_id, encoder.schema)
                for b in in_memory:
                    writer.write(b)
        if not stored and writer is not None:
            size = writer.commit()
            stored = True
            self._stored(block_id, level, 0, size)
        if stored and level.replication > 1:
            self._replicate(block_id, level)

    def _stored(self, block_id: str, level: StorageLevel, memory_size: int, disk_size: int) -> None:
        with self._lock:
            self._levels[block_id] = level
        self._report(block_id, level.to_string(), memory_size, disk_size)

    def _handle_evicted(self, evicted: Evicted) -> None:
        """Move evicted MEMORY_AND_DISK blocks to disk; forget the others."""
        for block_id, entry in evicted:
            with self._lock:
                level = self._levels.get(block_id)
            if level is not None and level.useDisk:
                size = self.disk.size(block_id) or self.disk.put_batches(block_id, entry.schema, entry.batches)
                log.info("block %s evicted from memory to disk (%d bytes)", block_id, size)
                self._report(block_id, level.to_string(), 0, size)
            else:
                with self._lock:
                    self._levels.pop(block_id, None)
                log.info("block %s evicted from memory (%d bytes); it is recomputed when read next",
                         block_id, entry.size)
                self._report(block_id, "", 0, 0)

    # ================================================================= replicas

    def _replicate(self, block_id: str, level: StorageLevel) -> None:
        if self._transfer is None:
            return
        data = self.block_bytes(block_id)
        if data is None:
            return
        peers = [p for p in self._transfer.peers() if p[0] != self.executor_id]
        wanted = level.replication - 1
        if not peers:
            log.warning("block %s wants %d replicas but no other executor is registered", block_id, wanted)
            return
        # rotate by the block's partition so replicas spread over the peers
        start = (rdd_partition_of(block_id) or 0) % len(peers)
        peers = peers[start:] + peers[:start]
        replica_level = StorageLevel(level.useDisk, level.useMemory, level.useOffHeap, level.deserialized, 1)
        placed = 0
        for executor_id, address in peers:
            if placed == wanted:
                break
            if self._transfer.push(address, block_id, replica_level.to_string(), data):
                placed += 1
            else:
                log.warning("could not replicate block %s to executor %s", block_id, executor_id)
        if placed < wanted:
            log.warning("block %s has %d of %d replicas", block_id, placed + 1, level.replication)

    def put_replica(self, block_id: str, level_text: str, data: bytes) -> bool:
        """Store a copy of a block pushed by another executor; True if stored."""
        import pyarrow as pa

        level = StorageLevel.from_string(level_text)
        if level.useMemory or level.useOffHeap:
            reader = pa.ipc.open_stream(pa.py_buffer(data))
            batches = list(reader)
            size = sum(b.get_total_buffer_size() for b in batches)
            entry = MemoryEntry(batches, reader.schema, size, sum(b.num_rows for b in batches))
            with self._lock:
                self._levels[block_id] = level
            ok, evicted = self.memory.put(block_id, entry, _same_rdd(block_id))
            self._handle_evicted(evicted)
            if ok:
                self._report(block_id, level.to_string(), size, 0)
                return True
        if level.useDisk:
            size = self.disk.put_bytes(block_id, data)
            self._stored(block_id, level, 0, size)
            return True
        with self._lock:
            self._levels.pop(block_id, None)
        log.warning("replica of block %s does not fit in memory; not stored", block_id)
        return False

    # ================================================================= removal

    def remove(self, block_id: str) -> bool:
        """Drop a block from memory and disk; always reports (the driver may be waiting)."""
        with self._lock:
            self._levels.pop(block_id, None)
        in_memory = self.memory.remove(block_id) is not None
        on_disk = self._disk.remove(block_id) if self._disk is not None else False
        self._report(block_id, "", 0, 0)
        return in_memory or on_disk


def rdd_partition_of(block_id: str) -> int | None:
    parts = block_id.split("_")
    if len(parts) == 3 and parts[0] == "rdd":
        return int(parts[2])
    return None


def _same_rdd(block_id: str) -> Callable[[str], bool]:
    """Blocks that must not be evicted to make room for ``block_id``: those of the same RDD."""
    prefix = block_id.rsplit("_", 1)[0] + "_"
    return lambda other: other.startswith(prefix)
