"""Stage-level scheduling: resource requests for the tasks and executors of an RDD (PySpark's API).

``rdd.withResources(profile)`` attaches a :class:`ResourceProfile`; every stage
that computes the RDD then runs its tasks with the profile's task requests.
What sparklite honours today:

* ``TaskResourceRequests.cpus(n)``: each task of the stage occupies ``n`` task
  slots of its executor (``spark.task.cpus`` is the default). A stage whose
  tasks need more CPUs than any executor can ever have fails at once with a
  message, instead of waiting forever. ``local[N]`` starts N executors with
  ``spark.executor.cores`` slots each (default 1).
* Other task resources (``gpu``...): each task is given addresses of its
  executor's resources (see resource_discovery.py and
  scheduler/resource_slots.py); a stage asking for more than any executor
  has fails at once naming the resource.
* A profile with executor requests runs its stages only on executors started
  for it (local[N] and ray start them when needed and stop them when idle); a
  profile with task requests only runs on the default executors (Spark 3.4+).

>>> from sparklite.resource import ResourceProfileBuilder, TaskResourceRequests
>>> profile = ResourceProfileBuilder().require(TaskResourceRequests().cpus(2)).build
>>> profile.taskResources["cpus"].amount
2.0
"""
from __future__ import annotations

from typing import Any

from sparklite.config import parse_size


class TaskResourceRequest:
    """A task resource request: ``amount`` of ``resourceName`` per task (fractions allowed for
    resources shared between tasks, e.g. 0.5 GPU).

    >>> TaskResourceRequest("gpu", 0.5).amount
    0.5
    """

    def __init__(self, resourceName: str, amount: float):
        if amount <= 0:
            raise ValueError(f"task resource {resourceName!r}: amount must be positive, got {amount}")
        self._name = str(resourceName)
        self._amount = float(amount)

    @property
    def resourceName(self) -> str:
        return self._name

    @property
    def amount(self) -> float:
        return self._amount

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TaskResourceRequest) and other._name == self._name
                and other._amount == self._amount)

    def __hash__(self) -> int:
        return hash((self._name, self._amount))

    def __repr__(self) -> str:
        return f"TaskResourceRequest({self._name!r}, {self._amount})"


class TaskResourceRequests:
    """A set of task resource requests, built with chained calls.

    >>> TaskResourceRequests().cpus(2).resource("gpu", 1).requests["gpu"].amount
    1.0
    """

    _CPUS = "cpus"

    def __init__(self, _jvm: Any = None, _requests: dict[str, TaskResourceRequest] | None = None):
        self._requests: dict[str, TaskResourceRequest] = dict(_requests or {})

    def cpus(self, amount: int) -> TaskResourceRequests:
        """Number of CPU cores (task slots) each task needs."""
        if int(amount) != amount or amount < 1:
            raise ValueError(f"task cpus must be a positive integer, got {amount}")
        self._requests[self._CPUS] = TaskResourceRequest(self._CPUS, int(amount))
        return self

    def resource(self, resourceName: str, amount: float) -> TaskResourceRequests:
        """Amount of a custom resource (e.g. ``"gpu"``) each task needs."""
        self._requests[resourceName] = TaskResourceRequest(resourceName, amount)
        return self

    @property
    def requests(self) -> dict[str, TaskResourceRequest]:
        return dict(self._requests)


class ExecutorResourceRequest:
    """An executor resource request (PySpark's API); ``amount`` is MiB for memory resources."""

    def __init__(self, resourceName: str, amount: int, discoveryScript: str = "", vendor: str = ""):
        self._name = str(resourceName)
        self._amount = int(amount)
        self._discovery_script = discoveryScript
        self._vendor = vendor

    @property
    def resourceName(self) -> str:
        return self._name

    @property
    def amount(self) -> int:
        return self._amount

    @property
    def discoveryScript(self) -> str:
        return self._discovery_script

    @property
    def vendor(self) -> str:
        return self._vendor

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ExecutorResourceRequest) and (
            (other._name, other._amount, other._discovery_script, other._vendor)
            == (self._name, self._amount, self._discovery_script, self._vendor))

    def __hash__(self) -> int:
        return hash((self._name, self._amount))

    def __repr__(self) -> str:
        return f"ExecutorResourceRequest({self._name!r}, {self._amount})"


class ExecutorResourceRequests:
    """A set of executor resource requests, built with chained calls.

    >>> reqs = ExecutorResourceRequests().cores(2).memory("2g")
    >>> reqs.requests["memory"].amount, reqs.requests["cores"].amount
    (2048, 2)
    """

    _CORES = "cores"
    _MEMORY = "memory"
    _OVERHEAD_MEM = "memoryOverhead"
    _PYSPARK_MEM = "pyspark.memory"
    _OFFHEAP_MEM = "offHeap"

    def __init__(self, _jvm: Any = None, _requests: dict[str, ExecutorResourceRequest] | None = None):
        self._requests: dict[str, ExecutorResourceRequest] = dict(_requests or {})

    def _memory(self, name: str, amount: str) -> ExecutorResourceRequests:
        mib = parse_size(str(amount), "m") >> 20
        self._requests[name] = ExecutorResourceRequest(name, mib)
        return self

    def memory(self, amount: str) -> ExecutorResourceRequests:
        """Heap memory per executor, e.g. ``"4g"`` (a bare number is MiB)."""
        return self._memory(self._MEMORY, amount)

    def memoryOverhead(self, amount: str) -> ExecutorResourceRequests:
        return self._memory(self._OVERHEAD_MEM, amount)

    def pysparkMemory(self, amount: str) -> ExecutorResourceRequests:
        return self._memory(self._PYSPARK_MEM, amount)

    def offheapMemory(self, amount: str) -> ExecutorResourceRequests:
        return self._memory(self._OFFHEAP_MEM, amount)

    def cores(self, amount: int) -> ExecutorResourceRequests:
        """Cores per executor."""
        self._requests[self._CORES] = ExecutorResourceRequest(self._CORES, amount)
        return self

    def resource(self, resourceName: str, amount: int, discoveryScript: str = "",
                 vendor: str = "") -> ExecutorResourceRequests:
        self._requests[resourceName] = ExecutorResourceRequest(resourceName, amount, discoveryScript,
                                                               vendor)
        return self

    @property
    def requests(self) -> dict[str, ExecutorResourceRequest]:
        return dict(self._requests)


class ResourceProfile:
    """Task and executor resource requests for the stages of an RDD (see ``RDD.withResources``).

    Its ``id`` is assigned by the SparkContext when the profile is first attached to an RDD.
    """

    def __init__(self, _java_resource_profile: Any = None,
                 _exec_req: dict[str, ExecutorResourceRequest] | None = None,
                 _task_req: dict[str, TaskResourceRequest] | None = None):
        self._executor_resources = dict(_exec_req or {})
        self._task_resources = dict(_task_req or {})
        self._id: int | None = None

    @property
    def id(self) -> int:
        if self._id is None:
            raise RuntimeError("SparkContext must be created to get the id, get the id after adding "
                               "the ResourceProfile to an RDD")
        return self._id

    @property
    def taskResources(self) -> dict[str, TaskResourceRequest]:
        return dict(self._task_resources)

    @property
    def executorResources(self) -> dict[str, ExecutorResourceRequest]:
        return dict(self._executor_resources)

    def task_cpus(self, default: int) -> int:
        """Internal: the slots one task of this profile occupies."""
        request = self._task_resources.get(TaskResourceRequests._CPUS)
        return int(request.amount) if request is not None else default

    def custom_task_resources(self) -> dict[str, float]:
        """Internal: task resources other than cpus (gpu...)."""
        return {name: r.amount for name, r in self._task_resources.items()
                if name != TaskResourceRequests._CPUS}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, ResourceProfile)
                and other._task_resources == self._task_resources
                and other._executor_resources == self._executor_resources)

    def __hash__(self) -> int:
        return hash((tuple(sorted(self._task_resources)), tuple(sorted(self._executor_resources))))

    def __repr__(self) -> str:
        ident = "?" if self._id is None else self._id
        return (f"ResourceProfile(id={ident}, task={list(self._task_resources.values())}, "
                f"executor={list(self._executor_resources.values())})")


class ResourceProfileBuilder:
    """Builds a :class:`ResourceProfile` (``build`` is a property, as in PySpark).

    >>> builder = ResourceProfileBuilder()
    >>> builder.require(ExecutorResourceRequests().cores(2)).require(TaskResourceRequests().cpus(2))
    <...ResourceProfileBuilder object at ...>
    >>> sorted(builder.build.executorResources), sorted(builder.build.taskResources)
    (['cores'], ['cpus'])
    """

    def __init__(self) -> None:
        self._executor_resources: dict[str, ExecutorResourceRequest] = {}
        self._task_resources: dict[str, TaskResourceRequest] = {}

    def require(self, resourceRequest: ExecutorResourceRequests | TaskResourceRequests
                ) -> ResourceProfileBuilder:
        if isinstance(resourceRequest, TaskResourceRequests):
            self._task_resources.update(resourceRequest.requests)
        elif isinstance(resourceRequest, ExecutorResourceRequests):
            self._executor_resources.update(resourceRequest.requests)
        else:
            raise TypeError(f"require() takes TaskResourceRequests or ExecutorResourceRequests, "
                            f"got {type(resourceRequest).__name__}")
        return self

    def clearExecutorResourceRequests(self) -> None:
        self._executor_resources.clear()

    def clearTaskResourceRequests(self) -> None:
        self._task_resources.clear()

    @property
    def taskResources(self) -> dict[str, TaskResourceRequest]:
        return dict(self._task_resources)

    @property
    def executorResources(self) -> dict[str, ExecutorResourceRequest]:
        return dict(self._executor_resources)

    @property
    def build(self) -> ResourceProfile:
        return ResourceProfile(_exec_req=self._executor_resources, _task_req=self._task_resources)


class ResourceInformation:
    """A resource assigned to a task: its name and addresses (``TaskContext.resources()``)."""

    def __init__(self, name: str, addresses: list[str]):
        self._name = name
        self._addresses = list(addresses)

    @property
    def name(self) -> str:
        return self._name

    @property
    def addresses(self) -> list[str]:
        return list(self._addresses)

    def __repr__(self) -> str:
        return f"ResourceInformation({self._name!r}, {self._addresses})"


__all__ = ["ResourceProfile", "ResourceProfileBuilder", "TaskResourceRequest", "TaskResourceRequests",
           "ExecutorResourceRequest", "ExecutorResourceRequests", "ResourceInformation"]
