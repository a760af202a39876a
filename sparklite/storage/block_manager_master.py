"""BlockManagerMaster: which executor holds which cached block, and how big it is.

Executors report every block they store or drop; the driver uses the table
for locality (run a task where its input is cached), for forgetting blocks of
a lost executor, for ``unpersist``, and for the storage report.

THREADING: updated on the scheduler thread, read from user threads; one lock.
"""
from __future__ import annotations

import threading
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
        self._lock = threading.Lock()

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

    def executors_with(self, block_id: str) -> list[str]:
        with self._lock:
            return sorted(self._blocks.get(block_id, {}))

    def remove_executor(self, executor_id: str) -> list[str]:
        """Forget every block of a lost executor; returns their ids."""
        removed = []
        with self._lock:
            for block_id in list(self._blocks):
                holders = self._blocks[block_id]
                if holders.pop(executor_id, None) is not None:
                    removed.append(block_id)
                if not holders:
                    del self._blocks[block_id]
        return removed

    def remove_rdd(self, rdd_id: int) -> dict[str, list[str]]:
        """Forget an RDD's blocks; returns executor id -> its block ids (to tell them)."""
        prefix = f"rdd_{rdd_id}_"
        by_executor: dict[str, list[str]] = {}
        with self._lock:
            for block_id in [b for b in self._blocks if b.startswith(prefix)]:
                for executor_id in self._blocks.pop(block_id):
                    by_executor.setdefault(executor_id, []).append(block_id)
        return by_executor

    def rdd_blocks(self, rdd_id: int) -> dict[str, dict[str, BlockStatus]]:
        prefix = f"rdd_{rdd_id}_"
        with self._lock:
            return {b: dict(h) for b, h in self._blocks.items() if b.startswith(prefix)}

    def all_blocks(self) -> dict[str, dict[str, BlockStatus]]:
        with self._lock:
            return {b: dict(h) for b, h in self._blocks.items()}
