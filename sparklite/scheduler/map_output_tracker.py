"""MapOutputTracker: for every shuffle, which executor holds each map task's output.

The single source of truth for shuffle availability: a ShuffleMapStage is
available when every map index has a status here. Executor loss and fetch
failures remove statuses; the DAGScheduler then reruns exactly the missing map
indices.

THREADING: scheduler thread only.
"""
from __future__ import annotations

from sparklite.shuffle.map_status import MapStatus


class MapOutputTracker:
    def __init__(self) -> None:
        #: shuffle id -> status per map index (None while missing)
        self._outputs: dict[int, list[MapStatus | None]] = {}

    def register_shuffle(self, shuffle_id: int, num_maps: int) -> None:
        if shuffle_id not in self._outputs:
            self._outputs[shuffle_id] = [None] * num_maps

    def has_shuffle(self, shuffle_id: int) -> bool:
        return shuffle_id in self._outputs

    def register_map_output(self, shuffle_id: int, map_index: int, status: MapStatus) -> None:
        self._outputs[shuffle_id][map_index] = status

    def unregister_map_output(self, shuffle_id: int, map_index: int, map_task_id: int) -> bool:
        """Forget one output if it is still the one from ``map_task_id`` (-1: whichever)."""
        outputs = self._outputs.get(shuffle_id)
        if outputs is None or not 0 <= map_index < len(outputs):
            return False
        status = outputs[map_index]
        if status is not None and (map_task_id < 0 or status.map_task_id == map_task_id):
            outputs[map_index] = None
            return True
        return False

    def remove_outputs_on_executor(self, executor_id: str) -> dict[int, list[int]]:
        """Forget every output held by ``executor_id``; returns shuffle id -> lost map indices."""
        lost: dict[int, list[int]] = {}
        for shuffle_id, outputs in self._outputs.items():
            for i, status in enumerate(outputs):
                if status is not None and status.executor_id == executor_id:
                    outputs[i] = None
                    lost.setdefault(shuffle_id, []).append(i)
        return lost

    def missing(self, shuffle_id: int) -> list[int]:
        return [i for i, s in enumerate(self._outputs[shuffle_id]) if s is None]

    def is_available(self, shuffle_id: int) -> bool:
        outputs = self._outputs.get(shuffle_id)
        return outputs is not None and all(s is not None for s in outputs)

    def statuses(self, shuffle_id: int) -> list[MapStatus | None]:
        return list(self._outputs.get(shuffle_id, ()))

    def unregister_shuffle(self, shuffle_id: int) -> None:
        self._outputs.pop(shuffle_id, None)

    def shuffle_ids(self) -> list[int]:
        return list(self._outputs)
