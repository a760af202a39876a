"""Stages: the pieces of a job between shuffle boundaries.

A ShuffleMapStage computes the map side of one ShuffleDependency and is
shared by every job that needs that shuffle; its outputs live in the
MapOutputTracker, so a later job finds them there and skips the stage. A
ResultStage runs the action's function over the partitions a job asked for.
"""
from __future__ import annotations

from typing import Any, Callable


class Stage:
    def __init__(self, stage_id: int, rdd: Any, num_tasks: int, parents: list[Stage],
                 first_job_id: int, parent_shuffle_ids: list[int]):
        self.id = stage_id
        self.rdd = rdd
        self.num_tasks = num_tasks
        self.parents = parents
        self.first_job_id = first_job_id
        #: jobs that need this stage
        self.job_ids: set[int] = {first_job_id}
        #: shuffles this stage's tasks read (their locations ship with each attempt)
        self.parent_shuffle_ids = parent_shuffle_ids
        #: attempt number of the latest submission, -1 before the first
        self.latest_attempt = -1
        #: partitions of the latest attempt still running
        self.pending_partitions: set[int] = set()
        #: the pickled task body, made once
        self.binary: bytes | None = None
        #: consecutive attempts ended by a fetch failure
        self.fetch_failed_attempts: set[int] = set()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.id})"

    def __hash__(self) -> int:
        return self.id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stage) and other.id == self.id


class ShuffleMapStage(Stage):
    def __init__(self, stage_id: int, rdd: Any, num_tasks: int, parents: list[Stage],
                 first_job_id: int, parent_shuffle_ids: list[int], shuffle_dep: Any):
        super().__init__(stage_id, rdd, num_tasks, parents, first_job_id, parent_shuffle_ids)
        self.shuffle_dep = shuffle_dep

    @property
    def shuffle_id(self) -> int:
        return self.shuffle_dep.shuffle_id


class ResultStage(Stage):
    def __init__(self, stage_id: int, rdd: Any, func: Callable[[Any], Any], partitions: list[int],
                 parents: list[Stage], first_job_id: int, parent_shuffle_ids: list[int]):
        super().__init__(stage_id, rdd, len(partitions), parents, first_job_id, parent_shuffle_ids)
        self.func = func
        self.partitions = partitions
        self.output_index = {p: i for i, p in enumerate(partitions)}
        self.active_job: Any = None
