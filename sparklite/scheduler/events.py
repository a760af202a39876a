"""Events the scheduler thread consumes, named in the past tense (what happened).

Every mutation of scheduler state is a reaction to one of these, handled one
at a time on the scheduler thread; no other thread touches that state.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass(frozen=True)
class JobSubmitted:
    job_id: int
    rdd: Any
    func: Callable[[Any], Any]
    partitions: list[int]
    waiter: Any
    properties: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class JobCancelled:
    job_id: int
    reason: str


@dataclass(frozen=True)
class JobGroupCancelled:
    group_id: str
    reason: str


@dataclass(frozen=True)
class AllJobsCancelled:
    reason: str


@dataclass(frozen=True)
class ExecutorRegistered:
    executor_id: str
    host: str
    cores: int
    block_address: str
    #: "stdout"/"stderr" -> URL of the executor's log (a standalone worker's log page)
    log_urls: tuple[tuple[str, str], ...] = ()
    #: resource name -> addresses the executor was given
    resources: dict = field(default_factory=dict)
    resource_profile_id: int = 0


@dataclass(frozen=True)
class ExecutorLost:
    executor_id: str
    reason: str


@dataclass(frozen=True)
class StatusUpdated:
    """A task attempt ended on an executor (finished, failed or killed)."""

    executor_id: str
    task_id: int
    state: int
    result: Any  # pickled bytes, or a task_results.SpilledResult once fetched
    accumulator_updates: bytes
    failure: bytes
    #: the attempt's TaskMetrics proto (listener events carry it to the UI and event log)
    metrics: Any = None
    #: > 0: the payload is still on the executor (TaskStatus.stored_size)
    stored_size: int = 0
    #: bytes of the pickled result; None: len(result)
    result_size: int | None = None
    #: the executor did not keep a result over spark.driver.maxResultSize
    result_dropped: bool = False


@dataclass(frozen=True)
class BlockUpdated:
    executor_id: str
    block_id: str
    storage_level: str
    memory_size: int
    disk_size: int


@dataclass(frozen=True)
class FailedStagesResubmitted:
    """Timer: retry the stages parked after a fetch failure."""


@dataclass(frozen=True)
class OffersRevived:
    """Timer: offer free slots again (a locality wait may have expired)."""


@dataclass(frozen=True)
class KilledTasksChecked:
    """Timer: replace executors whose killed tasks outlived spark.task.reaper.killTimeout."""


@dataclass(frozen=True)
class HeartbeatsChecked:
    """Timer: expire executors that have been silent for spark.network.timeout."""


@dataclass(frozen=True)
class CallRequested:
    """Run ``func`` on the scheduler thread and hand its result to ``reply`` (inspection, tests)."""

    func: Callable[[], Any]
    reply: Any


@dataclass(frozen=True)
class StopRequested:
    reason: str = "SparkContext was shut down"
