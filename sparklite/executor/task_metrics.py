"""TaskMetricsCollector: what one running task measures about itself, sent with its status.

The task runner times the phases (deserialize, run, result serialization; wall
and CPU time of the task's thread) and the Python garbage collector's share;
the shuffle writer and reader, the text file reader, the block manager and the
output writers add their byte and record counts at the granularity they work
at (a segment, a batch, a block, a file, a spill), never per record. Code that
wants to count finds the collector through :func:`current` (the running task's
context), and does nothing outside a task.

GC time is the process's collector time during the task (collections are
process-wide: with several task slots, a concurrent task's garbage counts too,
as the JVM's GC time does in Spark).

THREADING: one collector per task attempt, written by that task's thread.
"""
from __future__ import annotations

import gc
import time
from typing import Any

from sparklite.scheduler.listener_events import METRIC_FIELDS
from sparklite.taskcontext import TaskContext

_gc_started = 0
#: nanoseconds this process spent in the garbage collector so far
gc_time_ns = 0
_gc_installed = False


def _gc_callback(phase: str, info: dict[str, Any]) -> None:
    global _gc_started, gc_time_ns
    if phase == "start":
        _gc_started = time.perf_counter_ns()
    elif _gc_started:
        gc_time_ns += time.perf_counter_ns() - _gc_started
        _gc_started = 0


def install_gc_timer() -> None:
    """Start counting the collector's time in this process (an executor, once)."""
    global _gc_installed
    if not _gc_installed:
        gc.callbacks.append(_gc_callback)
        _gc_installed = True


class TaskMetricsCollector:
    __slots__ = METRIC_FIELDS

    def __init__(self) -> None:
        for name in METRIC_FIELDS:
            setattr(self, name, 0)

    def add_spill(self, memory_bytes: int, disk_bytes: int) -> None:
        self.memory_bytes_spilled += memory_bytes
        self.disk_bytes_spilled += disk_bytes

    def note_memory(self, used: int) -> None:
        if used > self.peak_execution_memory:
            self.peak_execution_memory = used

    def to_proto(self, message: Any) -> None:
        for name in METRIC_FIELDS:
            setattr(message, name, int(getattr(self, name)))


def current() -> TaskMetricsCollector | None:
    """The running task's collector, or None outside a task (the driver, a test)."""
    context = TaskContext.get()
    return getattr(context, "task_metrics", None) if context is not None else None
