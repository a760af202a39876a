"""Tasks: what the scheduler hands an executor (ids only) and the stage bodies they run.

A task message carries (stage, attempt, partition, attempt number, task id).
The body it runs, the stage's lineage plus its function, is pickled once per
stage as a :class:`ShuffleMapBody` or :class:`ResultBody` and cached by each
executor, as Spark ships its task binary as a broadcast.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable


@dataclass
class TaskSet:
    """The tasks of one stage attempt."""

    stage_id: int
    stage_attempt: int
    job_id: int
    partitions: list[int]
    #: preferred executor ids (cached input) per task index
    preferred_executors: list[list[str]]
    #: preferred hosts (input data) per task index
    preferred_hosts: list[list[str]]
    binary: bytes
    map_locations: bytes
    is_shuffle_map: bool
    properties: dict[str, str] = field(default_factory=dict)
    #: scheduling order between task sets: (job id, stage id)
    priority: tuple[int, int] = (0, 0)
    #: task slots each task occupies (a ResourceProfile's cpus); None: spark.task.cpus
    cpus_per_task: int | None = None
    #: barrier stage: all tasks launch together (gang), and one failure fails the attempt
    is_barrier: bool = False
    #: task resources other than CPUs the stage's profile asks for (none can be offered yet)
    custom_resources: dict[str, float] = field(default_factory=dict)
    #: the shuffle a shuffle-map task set writes (-1 for a result stage)
    shuffle_id: int = -1

    def __len__(self) -> int:
        return len(self.partitions)


@dataclass(frozen=True)
class TaskLaunch:
    """One attempt of one task, as assigned to an executor."""

    task_id: int
    index: int
    partition: int
    attempt_number: int
    stage_id: int
    stage_attempt: int
    job_id: int
    executor_id: str


class ShuffleMapBody:
    """Compute a partition of ``rdd`` and write it as map output of ``spec``'s shuffle."""

    def __init__(self, rdd: Any, spec: Any):
        self.rdd = rdd
        self.spec = spec

    def run(self, partition: int, context: Any) -> Any:
        split = self.rdd.partitions()[partition]
        return context.env.write_shuffle(self.spec, partition, self.rdd.iterator(split, context), context)


class ResultBody:
    """Compute a partition of ``rdd`` and apply the action's function to its iterator."""

    def __init__(self, rdd: Any, func: Callable[[Any], Any]):
        self.rdd = rdd
        self.func = func

    def run(self, partition: int, context: Any) -> Any:
        split = self.rdd.partitions()[partition]
        return self.func(self.rdd.iterator(split, context))
