"""TaskContext and BarrierTaskContext: what a running task can learn about itself (PySpark's API).

One TaskContext exists per running task attempt on an executor, reachable
from user code through ``TaskContext.get()`` (thread-local: an executor may
run several tasks at once). It also carries the task's private state that the
engine needs while user code runs: accumulator updates and the executor env.

Tasks of a barrier stage (``rdd.barrier()``) get a :class:`BarrierTaskContext`,
whose ``barrier()``/``allGather()`` block until every task of the stage
attempt makes the same call; the driver's BarrierCoordinator answers them
(``scheduler/barrier.py``) over the authenticated ``BarrierSync`` RPC.
"""
from __future__ import annotations

import threading
from typing import Any, ClassVar

_current = threading.local()


class TaskContext:
    """Contextual information about a task, available inside a running task.

    On the driver ``TaskContext.get()`` returns ``None``. Inside a task, ``TaskContext()``
    and ``TaskContext.get()`` are the same object: the running task's context.

    >>> TaskContext.get() is None
    True
    >>> sc.parallelize([0], 1).map(lambda _: TaskContext() is TaskContext.get()).collect()
    [True]

    Notes
    -----
    Differs from PySpark: ``TaskContext()`` on the driver returns a blank context and does
    not make ``TaskContext.get()`` return it afterwards.
    """

    _taskContext: ClassVar[TaskContext | None] = None  # PySpark compatibility attribute

    def __new__(cls) -> TaskContext:
        """Inside a task, ``TaskContext()`` is the running task's context (as PySpark's)."""
        running = TaskContext.get()
        if isinstance(running, cls):
            return running
        return super().__new__(cls)

    def __init__(self) -> None:
        if "_stage_id" not in self.__dict__:  # not the running task's context (see __new__)
            self._init_fields()

    @classmethod
    def _create(cls, **fields: Any) -> TaskContext:
        """Internal: the context of a task attempt the executor is about to run."""
        context = object.__new__(cls)
        context._init_fields(**fields)
        return context

    def _init_fields(self, stage_id: int = 0, stage_attempt: int = 0, partition_id: int = 0,
                     attempt_number: int = 0, task_attempt_id: int = 0,
                     local_properties: dict[str, str] | None = None, cpus: int = 1,
                     resources: dict[str, Any] | None = None, env: Any = None,
                     map_locations: dict[int, list] | None = None) -> None:
        self._stage_id = stage_id
        self._stage_attempt = stage_attempt
        self._partition_id = partition_id
        self._attempt_number = attempt_number
        self._task_attempt_id = task_attempt_id
        self._local_properties = dict(local_properties or {})
        self._cpus = cpus
        self._resources = dict(resources or {})
        #: the executor's environment (block manager, blob fetcher, config); internal
        self.env = env
        #: shuffle id -> map statuses, for the shuffles this task's stage reads; internal
        self.map_locations = map_locations or {}
        #: accumulator id -> this attempt's partial value; internal
        self.accumulator_updates: dict[int, Any] = {}

    @classmethod
    def get(cls) -> TaskContext | None:
        """The TaskContext of the task running in this thread, or None on the driver."""
        return getattr(_current, "context", None)

    @classmethod
    def _set(cls, context: TaskContext | None) -> None:
        _current.context = context

    def stageId(self) -> int:
        """The ID of the stage that this task belong to."""
        return self._stage_id

    def partitionId(self) -> int:
        """The ID of the RDD partition that is computed by this task.

        >>> sc.parallelize(range(3), 3).map(lambda _: TaskContext.get().partitionId()).collect()
        [0, 1, 2]
        """
        return self._partition_id

    def attemptNumber(self) -> int:
        """How many times this task has been attempted before (0 for the first attempt)."""
        return self._attempt_number

    def taskAttemptId(self) -> int:
        """An id unique among all task attempts of this SparkContext."""
        return self._task_attempt_id

    def getLocalProperty(self, key: str) -> str | None:
        """Get a local property set upstream in the driver, or None if it is missing."""
        return self._local_properties.get(key)

    def cpus(self) -> int:
        """CPUs allocated to the task (a ResourceProfile's task cpus, else ``spark.task.cpus``)."""
        return self._cpus

    def resources(self) -> dict[str, Any]:
        """Resources (name -> :class:`sparklite.resource.ResourceInformation`) allocated to the
        task; sparklite schedules only CPUs so far, so this is empty."""
        return dict(self._resources)

    def __repr__(self) -> str:
        return (f"TaskContext(stage={self._stage_id}.{self._stage_attempt}, "
                f"partition={self._partition_id}, attempt={self._attempt_number}, "
                f"tid={self._task_attempt_id})")


class BarrierTaskInfo:
    """Information about a barrier task: the address of the executor running it."""

    def __init__(self, address: str):
        self.address = address

    def __repr__(self) -> str:
        return f"BarrierTaskInfo({self.address!r})"


class BarrierTaskContext(TaskContext):
    """A :class:`TaskContext` with extra contextual info and tooling for tasks in a barrier stage.
    Use :func:`BarrierTaskContext.get` to obtain the barrier context for a running barrier task.

    >>> def f(iterator):
    ...     context = BarrierTaskContext.get()
    ...     words = context.allGather(f"hello from {context.partitionId()}")
    ...     yield context.partitionId(), words
    >>> sc.parallelize(range(2), 2).barrier().mapPartitions(f).collect()
    [(0, ['hello from 0', 'hello from 1']), (1, ['hello from 0', 'hello from 1'])]
    """

    def _init_fields(self, **fields: Any) -> None:
        super()._init_fields(**fields)
        #: how many barrier()/allGather() calls this task completed (the sync's epoch)
        self._epoch = 0

    @classmethod
    def get(cls) -> BarrierTaskContext:  # type: ignore[override]
        """Return the currently active :class:`BarrierTaskContext`.

        This can be called inside of user functions to access contextual information
        about running tasks. Raises RuntimeError outside of a barrier stage.
        """
        context = TaskContext.get()
        if not isinstance(context, BarrierTaskContext):
            raise RuntimeError("It is not in a barrier stage.")
        return context

    def _sync(self, method: str, message: str) -> list[str]:
        addresses = self._addresses()
        messages = self.env.barrier_sync(self._stage_id, self._stage_attempt, len(addresses),
                                         self._partition_id, self._epoch, method, message,
                                         self._task_attempt_id)
        self._epoch += 1
        return messages

    def barrier(self) -> None:
        """Sets a global barrier and waits until all tasks in this stage hit this barrier.
        Similar to `MPI_Barrier` function in MPI, this function blocks until all tasks
        in the same stage have reached this routine.

        Notes
        -----
        In a barrier stage, each task much have the same number of `barrier()`
        calls, in all possible code branches. Otherwise, you may get the job hanging
        or an error after timeout.
        """
        self._sync("barrier", "")

    def allGather(self, message: str = "") -> list[str]:
        """This function blocks until all tasks in the same stage have reached this routine.
        Each task passes in a message and returns with a list of all the messages
        passed in by each of those tasks.

        Notes
        -----
        In a barrier stage, each task must have the same number of `barrier()`/`allGather()`
        calls, in all possible code branches. Otherwise, you may get the job hanging
        or an error after timeout.
        """
        if not isinstance(message, str):
            raise TypeError("Argument `message` must be of type `str`")
        return self._sync("allGather", message)

    def _addresses(self) -> list[str]:
        return (self._local_properties.get("addresses") or "").split(",")

    def getTaskInfos(self) -> list[BarrierTaskInfo]:
        """Returns :class:`BarrierTaskInfo` for all tasks in this barrier stage,
        ordered by partition ID.
        """
        return [BarrierTaskInfo(address) for address in self._addresses()]


__all__ = ["TaskContext", "BarrierTaskContext", "BarrierTaskInfo"]
