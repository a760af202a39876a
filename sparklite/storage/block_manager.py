"""BlockManager (executor side): cached RDD partitions, reported to the driver.

``get_or_compute`` is what ``RDD.iterator`` calls for a persisted RDD: serve
the block if this executor holds it, otherwise compute the partition, store
it, tell the driver, and serve it. (Issue #4 replaces the list store with
Arrow buffers under a memory budget.)

THREADING: task threads call get_or_compute concurrently; one lock guards
the store, and a partition is computed outside the lock.
"""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable, Iterator

log = logging.getLogger(__name__)


def rdd_block_id(rdd_id: int, partition: int) -> str:
    return f"rdd_{rdd_id}_{partition}"


class BlockManager:
    def __init__(self, executor_id: str, report: Callable[[str, str, int, int], None]):
        self.executor_id = executor_id
        self._report = report
        self._blocks: dict[str, list[Any]] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, rdd: Any, split: Any, context: Any) -> Iterator[Any]:
        block_id = rdd_block_id(rdd._rdd_id, split.index)
        with self._lock:
            values = self._blocks.get(block_id)
        if values is not None:
            return iter(values)
        values = list(rdd.compute(split, context))
        with self._lock:
            self._blocks[block_id] = values
        self._report(block_id, rdd._storage_level.to_string(), 0, 0)
        return iter(values)

    def get(self, block_id: str) -> list[Any] | None:
        with self._lock:
            return self._blocks.get(block_id)

    def remove(self, block_id: str) -> None:
        with self._lock:
            removed = self._blocks.pop(block_id, None)
        if removed is not None:
            self._report(block_id, "", 0, 0)

    def block_ids(self) -> list[str]:
        with self._lock:
            return list(self._blocks)
