"""How an RDD's tasks run (mixin of RDD): external commands, barrier stages, resource profiles."""
from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sparklite.rdd.barrier import RDDBarrier
    from sparklite.rdd.rdd import RDD
    from sparklite.resource import ResourceProfile


class ExecutionMixin:
    def pipe(self: RDD, command: str, env: dict[str, str] | None = None,
             checkCode: bool = False) -> RDD:
        """Return an RDD created by piping elements to a forked external process.

        Each partition starts one process running ``command`` (split like a shell
        would, without a shell); the partition's elements are written to its stdin
        as ``str(element)`` lines, and its stdout lines form the new partition.

        Parameters
        ----------
        command : str
            command to run.
        env : dict, optional
            environment variables to set (the process gets exactly these).
        checkCode : bool, optional
            whether to check the return value of the shell command.

        Returns
        -------
        :class:`RDD`
            a new :class:`RDD` of strings

        Examples
        --------
        >>> sc.parallelize(['1', '2', '', '3']).pipe('cat').collect()
        ['1', '2', '', '3']
        """
        from sparklite.rdd.pipe import PipeFunction

        return self.mapPartitions(PipeFunction(command, env, checkCode))

    def barrier(self: RDD) -> RDDBarrier:
        """Marks the current stage as a barrier stage, where Spark must launch all tasks together.

        In case of a task failure, instead of only restarting the failed task, Spark will
        abort the entire stage and relaunch all tasks for this stage (a result stage is
        not relaunched: its job fails). The barrier execution mode feature is
        experimental and it only handles limited scenarios. Please read the linked SPIP
        and design docs to understand the limitations and future plans.

        Returns
        -------
        :class:`RDDBarrier`
            instance that provides actions within a barrier stage.

        Notes
        -----
        For additional information see

        - `SPIP: Barrier Execution Mode <http://jira.apache.org/jira/browse/SPARK-24374>`_
        - `Design Doc <https://jira.apache.org/jira/browse/SPARK-24582>`_

        This API is experimental

        Examples
        --------
        >>> sc.parallelize([1, 2, 3], 2).barrier().mapPartitions(lambda it: [sum(it)]).collect()
        [1, 5]
        """
        from sparklite.rdd.barrier import RDDBarrier

        return RDDBarrier(self)

    def withResources(self: RDD, profile: ResourceProfile) -> RDD:
        """Specify a :class:`sparklite.resource.ResourceProfile` to use when calculating this RDD.

        This is only supported on certain cluster managers and currently requires dynamic
        allocation to be enabled in Spark; sparklite honours the profile's task ``cpus``
        amount on every master (see :mod:`sparklite.resource`). It will result in new
        executors with the resources specified being acquired to calculate the RDD in
        Spark; sparklite uses the executors it has.

        Returns
        -------
        :class:`RDD`
            the same :class:`RDD` with user specified profile

        Examples
        --------
        >>> from sparklite.resource import ResourceProfileBuilder, TaskResourceRequests
        >>> profile = ResourceProfileBuilder().require(TaskResourceRequests().cpus(1)).build
        >>> rdd = sc.parallelize(range(4), 2).withResources(profile)
        >>> rdd.getResourceProfile() is profile, rdd.sum()
        (True, 6)
        """
        from sparklite.resource import ResourceProfile

        if not isinstance(profile, ResourceProfile):
            raise TypeError(f"withResources() takes a ResourceProfile, got {type(profile).__name__}")
        if profile._id is None:
            profile._id = self.ctx._next("resource_profile") + 1  # 0 is the default profile
        self.has_resource_profile = True
        self._resource_profile = profile
        return self

    def getResourceProfile(self: RDD) -> ResourceProfile | None:
        """Get the :class:`sparklite.resource.ResourceProfile` specified with this RDD or None
        if it wasn't specified.

        Returns
        -------
        class:`sparklite.resource.ResourceProfile`
            The user specified profile or None if none were specified

        Examples
        --------
        >>> sc.parallelize([1]).getResourceProfile() is None
        True
        """
        return self._resource_profile
