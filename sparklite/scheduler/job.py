"""ActiveJob (scheduler side) and JobWaiter (what the action's thread blocks on)."""
from __future__ import annotations

import threading
from typing import Any


class ActiveJob:
    def __init__(self, job_id: int, final_stage: Any, waiter: JobWaiter, properties: dict[str, str]):
        self.job_id = job_id
        self.final_stage = final_stage
        self.waiter = waiter
        self.properties = properties
        self.num_partitions = len(final_stage.partitions)
        self.finished = [False] * self.num_partitions
        self.num_finished = 0

    @property
    def group_id(self) -> str | None:
        return self.properties.get("spark.jobGroup.id")


class JobWaiter:
    """Collects a job's per-partition results (pickled bytes, or SpilledResult files for the
    big ones: task_results.py) and wakes the caller.

    ``task_succeeded``/``job_failed`` are called on the scheduler thread; the
    caller unpickles results on its own thread, so a big ``collect`` does not
    stall scheduling.
    """

    def __init__(self, num_tasks: int):
        self.num_tasks = num_tasks
        self.results: list[bytes | None] = [None] * num_tasks
        self._finished = 0
        self._done = threading.Event()
        self.error: BaseException | None = None
        if num_tasks == 0:
            self._done.set()

    def task_succeeded(self, index: int, result: bytes) -> None:
        if self.results[index] is None:
            self.results[index] = result
            self._finished += 1
            if self._finished == self.num_tasks:
                self._done.set()

    def job_failed(self, error: BaseException) -> None:
        if not self._done.is_set():
            self.error = error
            self._done.set()

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    def raise_if_failed(self) -> None:
        if self.error is not None:
            raise self.error
