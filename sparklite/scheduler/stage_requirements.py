"""What a stage's tasks need from the scheduler: CPUs per task, other resources, gang launch.

Read from the RDDs *inside* the stage (the stage's RDD and its ancestors through
narrow dependencies, up to the shuffle boundaries):

* a ResourceProfile attached with ``withResources`` gives the task CPUs (and
  other task resources). Two different profiles in one stage are an error, as
  in Spark, unless ``spark.scheduler.resource.profileMergeConflicts`` is set:
  then each resource takes the largest amount asked for.
* an RDD made by ``RDDBarrier`` makes it a barrier stage. Spark refuses barrier
  stages whose RDD chain changes the number of partitions (``coalesce``,
  ``union``...) or that run on only some partitions (``first``/``take``); so
  does sparklite, with Spark's message.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sparklite.rdd.dependency import narrow_only, walk_lineage

BARRIER_CHAIN_MESSAGE = (
    "[SPARK-24820][SPARK-24821]: Barrier execution mode does not allow the following pattern of "
    "RDD chain within a barrier stage: 1. Ancestor RDDs that have different number of partitions "
    "from the resulting RDD (e.g. union()/coalesce()/first()/take()/PartitionPruningRDD). A "
    "workaround for first()/take() can be barrierRdd.collect()[0] (python). 2. An RDD that "
    "depends on multiple barrier RDDs (e.g. barrierRdd1.zip(barrierRdd2)).")

PROFILE_CONFLICT_MESSAGE = (
    "Multiple ResourceProfiles specified in the RDDs for this stage, either resolve the "
    "conflicting ResourceProfiles yourself or enable "
    "spark.scheduler.resource.profileMergeConflicts and understand how Spark handles the merge "
    "them.")


@dataclass(frozen=True)
class StageRequirements:
    #: task slots per task; None means spark.task.cpus
    cpus: int | None = None
    barrier: bool = False
    #: task resources other than CPUs (gpu...): name -> amount per task; None: no profile says
    #: (spark.task.resource.* apply)
    custom_resources: dict[str, float] | None = None
    #: the profile whose executors must run the stage (one with executor requests), else None:
    #: a profile with task requests only runs on the default executors, as in Spark 3.4+
    executor_profile: Any = None


def rdds_in_stage(rdd: Any) -> list[Any]:
    """``rdd`` and its ancestors through narrow dependencies."""
    return [r for r, _ in walk_lineage(rdd, narrow_only)]


def stage_requirements(rdd: Any, num_tasks: int, merge_conflicts: bool = False) -> StageRequirements:
    """The requirements of a stage computing ``num_tasks`` partitions of ``rdd``.

    Raises ValueError (the stage then fails) for conflicting profiles or a
    barrier RDD chain Spark does not allow.
    """
    members = rdds_in_stage(rdd)
    profiles: list[Any] = []
    for r in members:
        profile = getattr(r, "_resource_profile", None)
        if profile is not None and profile not in profiles:
            profiles.append(profile)
    if len(profiles) > 1 and not merge_conflicts:
        raise ValueError(PROFILE_CONFLICT_MESSAGE)
    barrier = any(getattr(r, "_from_barrier", False) for r in members)
    if barrier and any(len(r.partitions()) != num_tasks for r in members):
        raise ValueError(BARRIER_CHAIN_MESSAGE)
    cpus: int | None = None
    custom: dict[str, float] = {}
    executor_profile = next((p for p in profiles if p.executorResources), None)
    for profile in profiles:
        requested = profile.task_cpus(0)
        if requested:
            cpus = max(cpus or 0, requested)
        for name, amount in profile.custom_task_resources().items():
            custom[name] = max(custom.get(name, 0.0), amount)
    return StageRequirements(cpus, barrier, custom if profiles else None, executor_profile)
