"""Task slots: what local executors offer, and which task sets can never be scheduled.

An executor offers as many task slots as it has cores; a task occupies
``cpus_per_task`` of them. ``local[N]`` starts N executor processes with
``spark.executor.cores`` cores each (default 1), so ``local[4]`` offers 4
one-slot executors and ``local[2]`` with ``spark.executor.cores=2`` offers two
executors with two slots each, where a 2-CPU task runs alone in its process.

A backend whose executors all have one known shape reports it as
``executor_shape = (executors, cores)``; then a task set that no executor can
ever run fails at once with a message instead of waiting forever:

* its tasks need more CPUs than an executor has;
* it is a barrier stage with more tasks than the whole cluster has slots;
* it asks for a task resource (gpu...) its executors do not have, or more of
  it per task than one executor has (this check applies to every backend:
  executors have the spark.executor.resource.* amounts, or their profile's).
"""
from __future__ import annotations

from typing import Any

from sparklite.scheduler.task import TaskSet

BARRIER_SLOTS_MESSAGE = (
    "[SPARK-24819]: Barrier execution mode does not allow run a barrier stage that requires more "
    "slots than the total number of slots in the cluster currently. Please init a new cluster "
    "with more resources(e.g. CPU, GPU) or repartition the input RDD(s) to reduce the number of "
    "slots required to run this barrier stage.")


def unschedulable_reason(task_set: TaskSet, executor_shape: tuple[int, int] | None,
                         executor_resources: dict[str, float] | None = None,
                         starts_profile_executors: bool = False) -> str | None:
    """Why ``task_set`` can never run on this backend's executors, or None if it can.

    ``executor_resources`` is what each default executor offers (spark.executor.resource.*
    amounts); a stage with an executor profile is checked against that profile's executors,
    which only backends that start executors on demand (``starts_profile_executors``) have.
    """
    stage = f"stage {task_set.stage_id}.{task_set.stage_attempt}"
    profile = task_set.executor_profile
    if profile is not None and not starts_profile_executors:
        return (f"Tasks of {stage} need executors of ResourceProfile {profile.id} "
                f"({', '.join(sorted(profile.executorResources))}), but this backend cannot start "
                f"executors for a profile (local[N] and ray do): drop the executor requests")
    if profile is not None:
        offered = {name: float(r.amount) for name, r in profile.executorResources.items()
                   if name not in EXECUTOR_BUILTINS}
        where = f"executors of ResourceProfile {profile.id}"
    else:
        offered = dict(executor_resources or {})
        where = "executors"
    for name, amount in sorted((task_set.custom_resources or {}).items()):
        have = offered.get(name, 0)
        key = (f"its ExecutorResourceRequests().resource({name!r}, ...)" if profile is not None
               else f"spark.executor.resource.{name}.amount")
        if not have:
            return (f"Tasks of {stage} need {amount:g} {name} each, but no executor offers {name} "
                    f"resources ({key} is not set for the {where})")
        if amount > have:
            return (f"Tasks of {stage} need {amount:g} {name} each, but the {where} have only "
                    f"{have:g} ({key}={have:g}), so no executor can ever run them")
    if executor_shape is None:
        return None
    executors, cores = executor_shape
    if profile is not None and "cores" in profile.executorResources:
        cores = profile.executorResources["cores"].amount
    cpus = task_set.cpus_per_task or 1
    if cpus > cores:
        return (f"Tasks of {stage} need {cpus} CPUs each, but every executor has {cores} "
                f"(spark.executor.cores={cores}), so no executor can ever run them; lower the "
                f"task CPU amount (spark.task.cpus or the RDD's ResourceProfile) or raise "
                f"spark.executor.cores")
    if task_set.is_barrier and len(task_set) > executors * (cores // cpus):
        return (f"{BARRIER_SLOTS_MESSAGE} ({stage} has {len(task_set)} tasks of {cpus} CPUs; the "
                f"{executors} executors offer {executors * (cores // cpus)} such slots)")
    return None


#: executor requests of a ResourceProfile that are not addressable resources
EXECUTOR_BUILTINS = frozenset({"cores", "memory", "memoryOverhead", "pyspark.memory", "offHeap"})


def profile_executor_shape(profile: Any, default_cores: int) -> tuple[int, dict[str, float]]:
    """(cores, resource amounts) of an executor started for ``profile``."""
    requests = profile.executorResources
    cores = int(requests["cores"].amount) if "cores" in requests else default_cores
    return cores, {n: float(r.amount) for n, r in requests.items() if n not in EXECUTOR_BUILTINS}
