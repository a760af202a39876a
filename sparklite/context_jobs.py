"""Local properties, job groups and job tags of SparkContext (mixin): what jobs started by a
thread carry, and cancelling them (PySpark's setJobGroup / cancelJobGroup / addJobTag /
cancelJobsWithTag / cancelAllJobs).

Everything here is per thread, as in PySpark: a thread made with
:class:`sparklite.InheritableThread` starts with a copy of its creator's properties,
job group and tags included. Tags are kept, as Spark keeps them, in the local property
``spark.job.tags`` (comma-separated), so they travel with each job to the scheduler.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sparklite.context import SparkContext

#: the local property holding a thread's job tags (Spark's SparkContext.SPARK_JOB_TAGS)
JOB_TAGS_PROPERTY = "spark.job.tags"


def job_tags_of(properties: dict[str, str]) -> set[str]:
    """The tags a job's local properties carry."""
    return {t for t in (properties.get(JOB_TAGS_PROPERTY) or "").split(",") if t}


def _check_tag(tag: str) -> None:
    if not isinstance(tag, str):
        raise TypeError(f"a job tag must be a str, got {type(tag).__name__}")
    if "," in tag:
        raise ValueError("Spark job tag cannot contain ','.")
    if not tag:
        raise ValueError("Spark job tag cannot be an empty string.")


class JobsMixin:
    def _local_properties(self: SparkContext) -> dict[str, str]:
        props = getattr(self._local, "properties", None)
        if props is None:
            props = self._local.properties = {}
        return props

    def setLocalProperty(self: SparkContext, key: str, value: str | None) -> None:
        """Set a local property that affects jobs submitted from this thread, such as the
        Spark fair scheduler pool. None removes the property.

        >>> from sparklite import TaskContext
        >>> sc.setLocalProperty("mykey", "myvalue")
        >>> sc.parallelize([0]).map(lambda _: TaskContext.get().getLocalProperty("mykey")).collect()
        ['myvalue']
        >>> sc.setLocalProperty("mykey", None)
        """
        props = self._local_properties()
        if value is None:
            props.pop(key, None)
        else:
            props[key] = str(value)

    def getLocalProperty(self: SparkContext, key: str) -> str | None:
        """Get a local property set in this thread, or None if it is missing. See
        :meth:`setLocalProperty`.

        >>> sc.getLocalProperty("missing") is None
        True
        """
        return self._local_properties().get(key)

    def setJobGroup(self: SparkContext, groupId: str, description: str, interruptOnCancel: bool = False) -> None:
        """Assigns a group ID to all the jobs started by this thread until the group ID is set to a
        different value or cleared.

        Often, a unit of execution in an application consists of multiple Spark actions or jobs.
        Application programmers can use this method to group all those jobs together and give a
        group description. The application can use :meth:`SparkContext.cancelJobGroup` to cancel
        all running jobs in this group.

        Parameters
        ----------
        groupId : str
            The group ID to assign.
        description : str
            The description to set for the job group.
        interruptOnCancel : bool, optional, default False
            whether to interrupt jobs on job cancellation (sparklite always stops the
            running tasks of a cancelled job; the flag is recorded for compatibility).

        Examples
        --------
        >>> sc.setJobGroup("my-group", "an example")
        >>> sc.getLocalProperty("spark.jobGroup.id")
        'my-group'
        >>> for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
        ...     sc.setLocalProperty(key, None)
        """
        self.setLocalProperty("spark.jobGroup.id", groupId)
        self.setLocalProperty("spark.job.description", description)
        self.setLocalProperty("spark.job.interruptOnCancel", str(bool(interruptOnCancel)).lower())

    def setJobDescription(self: SparkContext, value: str) -> None:
        """Set a human readable description of the current job.

        >>> sc.setJobDescription("counting")
        >>> sc.getLocalProperty("spark.job.description")
        'counting'
        >>> sc.setJobDescription(None)
        """
        self.setLocalProperty("spark.job.description", value)

    def setInterruptOnCancel(self: SparkContext, interruptOnCancel: bool) -> None:
        """Set the behavior of job cancellation from jobs started in this thread (recorded;
        sparklite always stops running tasks of a cancelled job).

        >>> sc.setInterruptOnCancel(False)
        """
        self.setLocalProperty("spark.job.interruptOnCancel", str(bool(interruptOnCancel)).lower())

    def addJobTag(self: SparkContext, tag: str) -> None:
        """Add a tag to be assigned to all the jobs started by this thread.

        Parameters
        ----------
        tag : str
            The tag to be added. Cannot contain ',' (comma) character.

        See Also
        --------
        :meth:`SparkContext.removeJobTag`
        :meth:`SparkContext.getJobTags`
        :meth:`SparkContext.clearJobTags`
        :meth:`SparkContext.cancelJobsWithTag`

        Examples
        --------
        >>> sc.addJobTag("job_to_cancel")
        >>> sorted(sc.getJobTags())
        ['job_to_cancel']
        >>> sc.clearJobTags()
        """
        _check_tag(tag)
        tags = self.getJobTags() | {tag}
        self.setLocalProperty(JOB_TAGS_PROPERTY, ",".join(sorted(tags)))

    def removeJobTag(self: SparkContext, tag: str) -> None:
        """Remove a tag previously added to be assigned to all the jobs started by this thread.
        Noop if such a tag was not added earlier.

        Parameters
        ----------
        tag : str
            The tag to be removed. Cannot contain ',' (comma) character.

        Examples
        --------
        >>> sc.addJobTag("job_to_cancel1")
        >>> sc.addJobTag("job_to_cancel2")
        >>> sc.removeJobTag("job_to_cancel1")
        >>> sorted(sc.getJobTags())
        ['job_to_cancel2']
        >>> sc.clearJobTags()
        """
        _check_tag(tag)
        tags = self.getJobTags() - {tag}
        self.setLocalProperty(JOB_TAGS_PROPERTY, ",".join(sorted(tags)) if tags else None)

    def getJobTags(self: SparkContext) -> set[str]:
        """Get the tags that are currently set to be assigned to all the jobs started by this
        thread.

        Returns
        -------
        set of str
            the tags that are currently set to be assigned to all the jobs started by this thread.

        Examples
        --------
        >>> sc.getJobTags()
        set()
        """
        return job_tags_of(self._local_properties())

    def clearJobTags(self: SparkContext) -> None:
        """Clear the current thread's job tags.

        Examples
        --------
        >>> sc.addJobTag("job_to_cancel")
        >>> sc.clearJobTags()
        >>> sc.getJobTags()
        set()
        """
        self.setLocalProperty(JOB_TAGS_PROPERTY, None)

    def cancelJobsWithTag(self: SparkContext, tag: str) -> None:
        """Cancel active jobs that have the specified tag. See
        :meth:`SparkContext.addJobTag`.

        Parameters
        ----------
        tag : str
            The tag to be cancelled. Cannot contain ',' (comma) character.

        Examples
        --------
        >>> sc.cancelJobsWithTag("no-job-has-this-tag")
        """
        _check_tag(tag)
        self._assert_alive()
        self._runtime.cancel_jobs_with_tag(tag, f"part of cancelled job tags {tag}")

    def cancelJobGroup(self: SparkContext, groupId: str) -> None:
        """Cancel active jobs for the specified group. See :meth:`SparkContext.setJobGroup`
        for more information.

        Parameters
        ----------
        groupId : str
            The group ID to cancel the job.

        Examples
        --------
        >>> sc.cancelJobGroup("no-such-group")
        """
        self._assert_alive()
        self._runtime.cancel_job_group(groupId, f"part of cancelled job group {groupId}")

    def cancelAllJobs(self: SparkContext) -> None:
        """Cancel all jobs that have been scheduled or are running.

        >>> sc.cancelAllJobs()
        """
        self._assert_alive()
        self._runtime.cancel_all_jobs("as part of cancellation of all jobs")
