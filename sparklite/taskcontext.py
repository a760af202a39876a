"""TaskContext: what a running task can learn about itself (PySpark's API).

One TaskContext exists per running task attempt on an executor, reachable
from user code through ``TaskContext.get()`` (thread-local: an executor may
run several tasks at once). It also carries the task's private state that the
engine needs while user code runs: accumulator updates and the executor env.
"""
from __future__ import annotations

import threading
from typing import Any, ClassVar

_current = threading.local()


class TaskContext:
    """Contextual information about a task, available inside a running task.

    On the driver ``TaskContext.get()`` returns ``None``.

    >>> TaskContext.get() is None
    True
    """

    _taskContext: ClassVar[TaskContext | None] = None  # PySpark compatibility attribute

    def __init__(self, stage_id: int = 0, stage_attempt: int = 0, partition_id: int = 0,
                 attempt_number: int = 0, task_attempt_id: int = 0,
                 local_properties: dict[str, str] | None = None, cpus: int = 1,
                 resources: dict[str, Any] | None = None, env: Any = None,
                 map_locations: dict[int, list] | None = None):
        self._stage_id = stage_id
        self._stage_attempt = stage_attempt
        self._partition_id = partition_id
        self._attempt_number = attempt_number
        self._task_attempt_id = task_attempt_id
        self._local_properties = dict(local_properties or {})
        self._cpus = cpus
        self._resources = dict(resources or {})
        #: the executor's environment (block manager, blob fetcher, config); internal
        self.env = env
        #: shuffle id -> map statuses, for the shuffles this task's stage reads; internal
        self.map_locations = map_locations or {}
        #: accumulator id -> this attempt's partial value; internal
        self.accumulator_updates: dict[int, Any] = {}

    @classmethod
    def get(cls) -> TaskContext | None:
        """The TaskContext of the task running in this thread, or None on the driver."""
        return getattr(_current, "context", None)

    @classmethod
    def _set(cls, context: TaskContext | None) -> None:
        _current.context = context

    def stageId(self) -> int:
        return self._stage_id

    def partitionId(self) -> int:
        return self._partition_id

    def attemptNumber(self) -> int:
        """How many times this task has been attempted before (0 for the first attempt)."""
        return self._attempt_number

    def taskAttemptId(self) -> int:
        """An id unique among all task attempts of this SparkContext."""
        return self._task_attempt_id

    def getLocalProperty(self, key: str) -> str | None:
        return self._local_properties.get(key)

    def cpus(self) -> int:
        return self._cpus

    def resources(self) -> dict[str, Any]:
        return dict(self._resources)

    def __repr__(self) -> str:
        return (f"TaskContext(stage={self._stage_id}.{self._stage_attempt}, "
                f"partition={self._partition_id}, attempt={self._attempt_number}, "
                f"tid={self._task_attempt_id})")


__all__ = ["TaskContext"]
