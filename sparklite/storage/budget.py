"""Memory budgets of an executor, derived from ``spark.executor.memory`` as Spark does.

``spark.executor.memory × spark.memory.fraction`` is the unified region shared
by cached blocks and by task buffers (aggregation, sorting, joins):

* storage gets ``region × spark.memory.storageFraction`` for cached blocks;
* each running task may buffer up to its share of what storage does not use
  (never less than its share of ``region × (1 - storageFraction)``), and never
  more than ``spark.python.worker.memory`` (PySpark's per-worker aggregation
  limit) before it spills to disk.

Differs from Spark: storage never grows past its fraction by borrowing idle
execution memory, and execution never evicts cached blocks to make room.
"""
from __future__ import annotations

from typing import Any

#: never plan a task buffer below this: spilling every few records helps nobody
MIN_TASK_MEMORY = 1 << 20


def unified_region(settings: Any) -> int:
    return int(settings.get("spark.executor.memory") * settings.get("spark.memory.fraction"))


def storage_capacity(settings: Any) -> int:
    """Bytes of cached blocks an executor may hold in memory."""
    return int(unified_region(settings) * settings.get("spark.memory.storageFraction"))


def task_memory(settings: Any, cores: int, storage_used: int = 0) -> int:
    """Bytes one task may buffer before spilling, given what cached blocks use now."""
    region = unified_region(settings)
    floor = region * (1.0 - settings.get("spark.memory.storageFraction"))
    execution = max(floor, region - storage_used)
    share = int(execution / max(1, cores))
    return max(MIN_TASK_MEMORY, min(share, int(settings.get("spark.python.worker.memory"))))
