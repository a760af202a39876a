"""StatusTracker: low-level status of jobs and stages, as PySpark's ``pyspark.status``.

It reads the application's AppStatusStore (``ui/store.py``), the listener
that also feeds the web UI, so it never touches scheduler state. Finished jobs
and stages are retained up to ``spark.ui.retainedJobs``/``retainedStages``
(oldest dropped first). Stage names are Spark's: the call site of the stage
(``reduceByKey at wordcount.py:10``, ``count at wordcount.py:12``).

These APIs intentionally provide very weak consistency semantics; consumers
should be prepared to handle empty / missing information.
"""
from __future__ import annotations

from typing import Any, NamedTuple


class SparkJobInfo(NamedTuple):
    """Exposes information about Spark Jobs."""

    jobId: int
    stageIds: list[int]
    status: str


class SparkStageInfo(NamedTuple):
    """Exposes information about Spark Stages."""

    stageId: int
    currentAttemptId: int
    name: str
    numTasks: int
    numActiveTasks: int
    numCompletedTasks: int
    numFailedTasks: int


class StatusTracker:
    """Low-level status reporting APIs for monitoring job and stage progress.

    These APIs intentionally provide very weak consistency semantics;
    consumers of these APIs should be prepared to handle empty / missing
    information. For example, a job's stage ids may be known but the status
    API may not have any information about the details of those stages, so
    `getStageInfo` could potentially return `None` for a valid stage id.

    To limit memory usage, these APIs only provide information on recent
    jobs / stages. These APIs will provide information for the last
    `spark.ui.retainedStages` stages and `spark.ui.retainedJobs` jobs.

    >>> tracker = sc.statusTracker()
    >>> sc.setJobGroup("status-doc", "a documented job")
    >>> sc.parallelize(range(4), 2).count()
    4
    >>> for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
    ...     sc.setLocalProperty(key, None)
    >>> [job_id] = tracker.getJobIdsForGroup("status-doc")
    >>> tracker.getJobInfo(job_id).status in ("RUNNING", "SUCCEEDED")  # weakly consistent
    True
    >>> stage = tracker.getStageInfo(tracker.getJobInfo(job_id).stageIds[0])
    >>> stage.numTasks, stage.name.startswith("count at ")
    (2, True)
    """

    def __init__(self, store: Any):
        self._store = store

    def getJobIdsForGroup(self, jobGroup: str | None = None) -> list[int]:
        """Return a list of all known jobs in a particular job group.  If
        `jobGroup` is None, then returns all known jobs that are not
        associated with a job group.

        The returned list may contain running, failed, and completed jobs,
        and may vary across invocations of this method. This method does
        not guarantee the order of the elements in its result.
        """
        return self._store.job_ids_for_group(jobGroup)

    def getActiveStageIds(self) -> list[int]:
        """Returns an array containing the ids of all active stages."""
        return self._store.active_stage_ids()

    def getActiveJobsIds(self) -> list[int]:
        """Returns an array containing the ids of all active jobs."""
        return self._store.active_job_ids()

    def getJobInfo(self, jobId: int) -> SparkJobInfo | None:
        """Returns a :class:`SparkJobInfo` object, or None if the job info
        could not be found or was garbage collected.
        """
        found = self._store.job_info(jobId)
        return None if found is None else SparkJobInfo(jobId, *found)

    def getStageInfo(self, stageId: int) -> SparkStageInfo | None:
        """Returns a :class:`SparkStageInfo` object, or None if the stage
        info could not be found or was garbage collected.
        """
        found = self._store.stage_progress(stageId)
        return None if found is None else SparkStageInfo(stageId, *found)


__all__ = ["StatusTracker", "SparkJobInfo", "SparkStageInfo"]
