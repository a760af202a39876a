"""SchedulerBackend: how executors are obtained; the only thing local and cluster modes differ in.

Both ``local[N]`` and ``sparklite://`` backends speak the same executor
protocol through the shared DriverEndpoint, so the code path tested on one
machine is the one a cluster runs. A backend adds only *where executors come
from* and *what happens when one is lost* (local mode starts a replacement; a
standalone worker relaunches its own).
"""
from __future__ import annotations

from typing import Any, Callable, Protocol

from sparklite.scheduler.driver_endpoint import DriverEndpoint
from sparklite.scheduler.task import TaskLaunch, TaskSet


class SchedulerBackend(Protocol):
    endpoint: DriverEndpoint

    def start(self, driver_address: str) -> None: ...

    def stop(self) -> None: ...

    def launch_task(self, executor_id: str, task_set: TaskSet, launch: TaskLaunch) -> None: ...

    def kill_task(self, executor_id: str, task_id: int, reason: str) -> None: ...

    def default_parallelism(self) -> int: ...

    def executor_lost(self, executor_id: str, reason: str) -> None: ...

    def remove_executor(self, executor_id: str, reason: str) -> None: ...

    def executor_pids(self) -> dict[str, int]: ...

    def queued_for_resources(self) -> bool:
        """True while a cluster manager has accepted the application and will grant executors
        once resources free up (a job then waits instead of timing out)."""
        ...


class EndpointBackend:
    """Shared part: task launch and kill go through the endpoint."""

    def __init__(self, endpoint: DriverEndpoint, fail_app: Callable[[str], None]):
        self.endpoint = endpoint
        self._fail_app = fail_app

    def launch_task(self, executor_id: str, task_set: TaskSet, launch: TaskLaunch) -> None:
        self.endpoint.launch_task(executor_id, task_set, launch)

    def kill_task(self, executor_id: str, task_id: int, reason: str) -> None:
        self.endpoint.kill_task(executor_id, task_id, reason)

    def executor_pids(self) -> dict[str, int]:
        return self.endpoint.executor_pids()

    def remove_executor(self, executor_id: str, reason: str) -> None:
        self.endpoint.remove_executor(executor_id, reason)

    def describe(self) -> dict[str, Any]:
        return {"executors": sorted(self.endpoint.executors)}

    def queued_for_resources(self) -> bool:
        return False
