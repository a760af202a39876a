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
* it asks for task resources other than CPUs (GPU scheduling is not
  implemented yet; this check applies to every backend).
"""
from __future__ import annotations

from sparklite.scheduler.task import TaskSet

BARRIER_SLOTS_MESSAGE = (
    "[SPARK-24819]: Barrier execution mode does not allow run a barrier stage that requires more "
    "slots than the total number of slots in the cluster currently. Please init a new cluster "
    "with more resources(e.g. CPU, GPU) or repartition the input RDD(s) to reduce the number of "
    "slots required to run this barrier stage.")


def unschedulable_reason(task_set: TaskSet, executor_shape: tuple[int, int] | None) -> str | None:
    """Why ``task_set`` can never run on this backend's executors, or None if it can."""
    stage = f"stage {task_set.stage_id}.{task_set.stage_attempt}"
    if task_set.custom_resources:
        wanted = ", ".join(f"{amount:g} {name}" for name, amount in sorted(task_set.custom_resources.items()))
        return (f"Tasks of {stage} need {wanted} each, but no executor offers "
                f"{', '.join(sorted(task_set.custom_resources))} resources: sparklite schedules "
                f"only CPUs so far (GPU scheduling arrives with the cluster work)")
    if executor_shape is None:
        return None
    executors, cores = executor_shape
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
