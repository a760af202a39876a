"""Scheduler listeners: who hears about jobs, stages and tasks (progress bar, status tracker, tests).

The DAGScheduler calls the bus on its thread; listeners must be quick and
must not call back into the scheduler. A failing listener is logged and
skipped (see DAGScheduler._notify).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class StageInfo:
    stage_id: int
    attempt: int
    name: str
    is_shuffle_map: bool
    shuffle_id: int | None
    rdd_id: int
    partitions: tuple[int, ...]
    job_ids: tuple[int, ...]


def stage_info(stage: Any, partitions: list[int]) -> StageInfo:
    from sparklite.scheduler.stage import ShuffleMapStage

    is_map = isinstance(stage, ShuffleMapStage)
    return StageInfo(stage.id, stage.latest_attempt, f"{type(stage.rdd).__name__}[{stage.rdd._rdd_id}]",
                     is_map, stage.shuffle_id if is_map else None, stage.rdd._rdd_id, tuple(partitions),
                     tuple(sorted(stage.job_ids)))


@dataclass(frozen=True)
class TaskEndInfo:
    stage_id: int
    stage_attempt: int
    partition: int
    attempt_number: int
    executor_id: str
    succeeded: bool


class ListenerBus:
    """Fans scheduler notifications out to registered listeners (any object with some of the methods)."""

    METHODS = ("job_started", "job_ended", "stage_submitted", "stage_completed", "task_started",
               "task_ended")

    def __init__(self) -> None:
        self._listeners: list[Any] = []
        self._lock = threading.Lock()

    def add(self, listener: Any) -> None:
        with self._lock:
            self._listeners.append(listener)

    def remove(self, listener: Any) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def __getattr__(self, name: str) -> Any:
        if name not in ListenerBus.METHODS:
            raise AttributeError(name)

        def fan_out(*args: Any) -> None:
            with self._lock:
                listeners = list(self._listeners)
            for listener in listeners:
                method = getattr(listener, name, None)
                if method is not None:
                    method(*args)

        return fan_out


class EventRecorder:
    """Records what the scheduler did, as plain data (tests assert recovery paths with it)."""

    def __init__(self) -> None:
        self.stages: list[StageInfo] = []
        self.tasks: list[TaskEndInfo] = []
        self.jobs: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def stage_submitted(self, stage: Any, partitions: list[int]) -> None:
        with self._lock:
            self.stages.append(stage_info(stage, partitions))

    def task_ended(self, stage: Any, launch: Any, succeeded: bool) -> None:
        with self._lock:
            self.tasks.append(TaskEndInfo(launch.stage_id, launch.stage_attempt, launch.partition,
                                          launch.attempt_number, launch.executor_id, succeeded))

    def job_ended(self, job: Any, error: Any) -> None:
        with self._lock:
            self.jobs.append((job.job_id, "failed" if error is not None else "succeeded"))

    def clear(self) -> None:
        with self._lock:
            self.stages.clear()
            self.tasks.clear()
            self.jobs.clear()
