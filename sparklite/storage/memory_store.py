"""MemoryStore: cached blocks as Arrow record batches under a byte budget, evicted LRU.

Policy
------
* ``capacity`` bytes are shared by stored blocks and by *reservations*: a
  block being built reserves its bytes chunk by chunk as it is encoded (what
  Spark calls unroll memory), so a partition that cannot fit is abandoned
  before it is complete, never after it has used the memory.
* To make room, blocks are evicted least recently used first (``get``
  refreshes a block), skipping blocks the caller says must stay (blocks of
  the RDD being cached, as Spark does, so that caching a large RDD does not
  evict its own earlier partitions in a cycle). Nothing is evicted unless
  enough can be freed: a request that cannot be met evicts nothing.
* A block larger than the whole capacity is never stored.

Sizes are exact: Arrow buffer sizes of the block's batches.

State
-----
``_entries`` (block id -> MemoryEntry, least recently used first),
``_reserved`` (owner -> bytes; an owner is one attempt at building a block, so
two tasks building the same block never share a reservation), ``used`` =
stored + reserved bytes.

THREADING: every method takes ``_lock``; evicted entries are returned to the
caller, who writes them to disk or reports them outside the lock.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:
    import pyarrow as pa

Evicted = list[tuple[str, "MemoryEntry"]]


@dataclass
class MemoryEntry:
    batches: list[pa.RecordBatch]
    schema: pa.Schema
    #: exact bytes of the Arrow buffers
    size: int
    num_records: int


class MemoryStore:
    def __init__(self, capacity: int):
        self.capacity = max(0, int(capacity))
        self._entries: OrderedDict[str, MemoryEntry] = OrderedDict()
        self._reserved: dict[str, int] = {}
        self._stored = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ reads

    def get(self, block_id: str) -> MemoryEntry | None:
        """The entry, marked most recently used."""
        with self._lock:
            entry = self._entries.get(block_id)
            if entry is not None:
                self._entries.move_to_end(block_id)
            return entry

    def contains(self, block_id: str) -> bool:
        with self._lock:
            return block_id in self._entries

    @property
    def used(self) -> int:
        with self._lock:
            return self._stored + sum(self._reserved.values())

    @property
    def stored(self) -> int:
        with self._lock:
            return self._stored

    def block_ids(self) -> list[str]:
        """Stored blocks, least recently used first."""
        with self._lock:
            return list(self._entries)

    # ------------------------------------------------------------------ writes

    def reserve(self, owner: str, nbytes: int, keep: Callable[[str], bool]) -> tuple[bool, Evicted]:
        """Reserve ``nbytes`` more for ``owner`` (a block being built), evicting if needed.

        Returns (granted, evicted entries). ``keep(block_id)`` protects blocks
        from eviction. A refused reservation leaves earlier ones in place; the
        owner calls ``release`` when it gives up.
        """
        with self._lock:
            evicted = self._make_room(nbytes, keep)
            if evicted is None:
                return False, []
            self._reserved[owner] = self._reserved.get(owner, 0) + nbytes
            return True, evicted

    def release(self, owner: str) -> None:
        with self._lock:
            self._reserved.pop(owner, None)

    def put(self, block_id: str, entry: MemoryEntry, keep: Callable[[str], bool],
            reservation: str | None = None) -> tuple[bool, Evicted]:
        """Store ``entry``, converting the ``reservation`` (an owner of ``reserve``) into it;
        returns (stored, evicted)."""
        with self._lock:
            reserved = self._reserved.pop(reservation, 0) if reservation is not None else 0
            old = self._entries.pop(block_id, None)
            if old is not None:
                self._stored -= old.size
            if entry.size > self.capacity:
                return False, []
            evicted = self._make_room(entry.size - reserved, keep)
            if evicted is None:
                return False, []
            self._entries[block_id] = entry
            self._stored += entry.size
            return True, evicted

    def remove(self, block_id: str) -> MemoryEntry | None:
        with self._lock:
            entry = self._entries.pop(block_id, None)
            if entry is not None:
                self._stored -= entry.size
            return entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._reserved.clear()
            self._stored = 0

    def _make_room(self, nbytes: int, keep: Callable[[str], bool]) -> Evicted | None:
        """Evict LRU blocks until ``nbytes`` more fit; None (and nothing evicted) if impossible."""
        free = self.capacity - self._stored - sum(self._reserved.values())
        if nbytes <= free:
            return []
        chosen: list[str] = []
        for block_id, entry in self._entries.items():
            if keep(block_id):
                continue
            chosen.append(block_id)
            free += entry.size
            if nbytes <= free:
                break
        if nbytes > free:
            return None
        evicted = []
        for block_id in chosen:
            entry = self._entries.pop(block_id)
            self._stored -= entry.size
            evicted.append((block_id, entry))
        return evicted
