"""MapStatus and ShuffleWriteSpec: what a map task reports, and what it is told to write."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class MapStatus:
    """Where one map task's output lives and how big each reduce partition's segment is."""

    executor_id: str
    host: str
    block_address: str      # host:port of the owning executor's BlockService
    shuffle_dir: str        # same-host readers open the files directly
    map_task_id: int        # attempt id: names the files, so a retry never clobbers a reader
    sizes: tuple[int, ...]  # bytes per reduce partition


@dataclass(frozen=True)
class ShuffleWriteSpec:
    """The map side of a ShuffleDependency, without its lineage (safe to ship)."""

    shuffle_id: int
    partitioner: Any
    aggregator: Any = None
    map_side_combine: bool = False

    @property
    def num_partitions(self) -> int:
        return self.partitioner.numPartitions
