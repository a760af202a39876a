"""BlockManagerMaster: which executor holds which cached block, and how big it is.

Executors report every block they store, move to disk or drop; the driver
uses the table for locality (run a task where its input is cached), to answer
executors looking for a block they miss or for peers to hold a replica, for
forgetting blocks of a lost executor, for ``unpersist``, and for the storage
report (``storage.report``).

State: ``_blocks`` (block id -> executor id -> BlockStatus), ``_executors``
(live executor id -> its block service address), ``_removing`` (block id ->
executors asked to drop it that have not confirmed yet; ``unpersist(blocking=True)``
waits on it).

THREADING: updated on the scheduler thread; read from user threads and from
gRPC threads (executors' location queries); one lock, with a condition for
removal waits.
"""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class BlockStatus:
    storage_level: str
    memory_size: int
    disk_size: int


class BlockManagerMaster:
    def __init__(self) -> None:
        #: block id -> executor id -> status
        self._blocks: dict[str, dict[str, BlockStatus]] = {}
        #: executor id -> block service address (host:port)
        self._executors: dict[str, str] = {}
        #: block id -> executors that were told to drop it and have not confirmed
        self._removing: dict[str, set[str]] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)

    # ------------------------------------------------------------------ executors

    def register_executor(self, executor_id: str, block_address: str) -> None:
        with self._lock:
            self._executors[executor_id] = block_address

    def remove_executor(self, executor_id: str) -> list[str]:
        """Forget a lost executor and every block it held; returns their ids."""
        removed = []
        with self._lock:
            self._executors.pop(executor_id, None)
            for block_id in list(self._blocks):
                holders = self._blocks[block_id]
                if holders.pop(executor_id, None) is not None:
                    removed.append(block_id)
                if not holders:
                    del self._blocks[block_id]
            for block_id in list(self._removing):
                self._discard_removing(block_id, executor_id)
            self._changed.notify_all()
        return removed

    def peers(self, executor_id: str) -> list[tuple[str, str]]:
        """(executor id, block address) of every live executor but ``executor_id``, by id."""
        with self._lock:
            return sorted((e, a) for e, a in self._executors.items() if e != executor_id)

    # ------------------------------------------------------------------ blocks

    def update(self, executor_id: str, block_id: str, storage_level: str, memory_size: int,
               disk_size: int) -> None:
        with self._lock:
            if storage_level:
                self._blocks.setdefault(block_id, {})[executor_id] = BlockStatus(
                    storage_level, memory_size, disk_size)
            else:
                holders = self._blocks.get(block_id)
                if holders is not None:
                    holders.pop(executor_id, None)
                    if not holders:
                        del self._blocks[block_id]
                self._discard_removing(block_id, executor_id)
            self._changed.notify_all()

    def _discard_removing(self, block_id: str, executor_id: str) -> None:
        waiting = self._removing.get(block_id)
        if waiting is not None:
            waiting.discard(executor_id)
            if not waiting:
                del self._removing[block_id]

    def executors_with(self, block_id: str) -> list[str]:
        with self._lock:
            return sorted(self._blocks.get(block_id, {}))

    def locations(self, block_id: str) -> list[tuple[str, str]]:
        """(executor id, block address) of the live executors holding ``block_id``, memory first."""
        with self._lock:
            holders = self._blocks.get(block_id, {})
            found = [(not st.memory_size, e, self._executors[e]) for e, st in holders.items()
                     if e in self._executors]
        return [(e, a) for _, e, a in sorted(found)]

    def remove_rdd(self, rdd_id: int) -> dict[str, list[str]]:
        """Forget an RDD's blocks; returns executor id -> its block ids (to tell them).

        The executors' confirmations are awaited by ``wait_removed``.
        """
        prefix = f"rdd_{rdd_id}_"
        by_executor: dict[str, list[str]] = {}
        with self._lock:
            for block_id in [b for b in self._blocks if b.startswith(prefix)]:
                for executor_id in self._blocks.pop(block_id):
                    by_executor.setdefault(executor_id, []).append(block_id)
                    self._removing.setdefault(block_id, set()).add(executor_id)
        return by_executor

    def wait_removed(self, rdd_id: int, timeout: float) -> bool:
        """Wait until every executor told to drop ``rdd_id``'s blocks confirmed (or left)."""
        prefix = f"rdd_{rdd_id}_"
        deadline = time.monotonic() + timeout
        with self._lock:
            while any(b.startswith(prefix) for b in self._removing):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def rdd_blocks(self, rdd_id: int) -> dict[str, dict[str, BlockStatus]]:
        prefix = f"rdd_{rdd_id}_"
        with self._lock:
            return {b: dict(h) for b, h in self._blocks.items() if b.startswith(prefix)}

    def all_blocks(self) -> dict[str, dict[str, BlockStatus]]:
        with self._lock:
            return {b: dict(h) for b, h in self._blocks.items()}
