"""MasterState: the standalone master's bookkeeping and executor placement, with no I/O.

Events go in as method calls; what to send comes back as a list of
``(target kind, target id, message)`` commands, which the master's I/O shell
(deploy/master.py) delivers. Tests drive it directly.

Policy
------
* An application gets executors of ``executor_cores`` cores and
  ``executor_memory`` bytes, up to ``min(cores_max // executor_cores,
  executor_instances)`` (each limit only when set), placed one at a time on the
  alive worker with the fewest of its executors and then the most free cores
  (Spark's "spread out"), while some worker has room.
* A lost worker takes its executors with it; the master places replacements
  on the remaining workers, and uses a worker again when it comes back.
* An executor that exits while its application still runs is replaced (a new
  id), normally on the same worker, whose cores just came free.
* A disconnected application gets nothing new; it keeps what it has (its
  executors talk to its driver, not to the master) and may re-register.
  A restarted master re-learns workers (with the executors they run) and
  applications (with theirs) as they reconnect.
* An application whose driver stays disconnected for ``app_timeout`` (its
  driver died, e.g. SIGKILLed) is marked FAILED. Its executors are not killed:
  they end by themselves when their driver's connection does (keepalives catch
  a hung one), and a driver that was only cut off from the master may still
  come back and re-register with them. One that unregisters ends FINISHED (its
  executors are killed), or FAILED when its driver says it is ending with an error. Only the last ``retained_apps`` ended applications
  are kept; older records are forgotten, so a long-lived master stays small.

THREADING: one master thread (an event loop) calls every method.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from sparklite.rpc.generated import sparklite_pb2 as pb

Command = tuple[str, str, Any]  # ("worker" | "app", id, protobuf message)


@dataclass
class ExecutorInfo:
    app_id: str
    executor_id: str
    worker_id: str
    host: str
    cores: int
    memory: int
    pid: int = 0
    #: resource name -> the worker's addresses this executor was given
    resources: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> pb.ExecutorSummary:
        return pb.ExecutorSummary(app_id=self.app_id, executor_id=self.executor_id, cores=self.cores,
                                  memory=self.memory, worker_id=self.worker_id, host=self.host,
                                  pid=self.pid, resources=_addresses_pb(self.resources))


def _addresses_pb(resources: dict[str, list[str]]) -> dict[str, pb.ResourceAddresses]:
    return {name: pb.ResourceAddresses(addresses=a) for name, a in resources.items()}


def _addresses(resources: Any) -> dict[str, list[str]]:
    return {name: list(r.addresses) for name, r in resources.items()}


@dataclass
class WorkerInfo:
    worker_id: str
    host: str
    cores: int
    memory: int
    last_seen: float
    alive: bool = True
    executors: dict[tuple[str, str], ExecutorInfo] = field(default_factory=dict)
    #: resource name -> every address the worker discovered (spark.worker.resource.*)
    resources: dict[str, list[str]] = field(default_factory=dict)

    def free_addresses(self, name: str) -> list[str]:
        """Addresses of ``name`` no executor on this worker holds: each goes to one executor."""
        held = {a for e in self.executors.values() for a in e.resources.get(name, [])}
        return [a for a in self.resources.get(name, []) if a not in held]
    #: http://host:port of its log pages ("" if it serves none)
    webui_address: str = ""

    @property
    def cores_used(self) -> int:
        return sum(e.cores for e in self.executors.values())

    @property
    def memory_used(self) -> int:
        return sum(e.memory for e in self.executors.values())


@dataclass
class AppInfo:
    app_id: str
    name: str
    driver_address: str
    cores_max: int
    executor_cores: int
    executor_memory: int
    executor_instances: int
    env: dict[str, str]
    #: spark.executor.resource.<name>.amount: addresses each executor needs
    executor_resources: dict[str, int] = field(default_factory=dict)
    next_executor_id: int = 0
    state: str = "RUNNING"
    executors: dict[str, ExecutorInfo] = field(default_factory=dict)
    #: the application's web UI, its user, and when it started and ended (epoch ms; 0 unknown)
    ui_url: str = ""
    user: str = ""
    start_time: int = 0
    end_time: int = 0
    #: every executor it was given, also ended ones (the master's page links to their logs)
    history: dict[str, ExecutorInfo] = field(default_factory=dict)
    #: when its driver's stream dropped (DISCONNECTED), and when it ended (FINISHED, FAILED)
    disconnected_at: float | None = None
    ended_at: float | None = None
    #: why it FAILED
    reason: str = ""

    @property
    def ended(self) -> bool:
        return self.state in ("FINISHED", "FAILED")

    def executor_limit(self) -> int | None:
        limits = []
        if self.cores_max > 0:
            limits.append(self.cores_max // max(1, self.executor_cores))
        if self.executor_instances > 0:
            limits.append(self.executor_instances)
        return min(limits) if limits else None


class MasterState:
    def __init__(self, master_id: str, retained_apps: int = 200):
        self.master_id = master_id
        self.workers: dict[str, WorkerInfo] = {}
        self.apps: dict[str, AppInfo] = {}
        #: ended applications kept for the status page (spark.deploy.retainedApplications)
        self.retained_apps = retained_apps

    # ------------------------------------------------------------------ workers

    def register_worker(self, reg: pb.RegisterWorker, now: float) -> list[Command]:
        worker = WorkerInfo(reg.worker_id, reg.host, reg.cores, reg.memory, now,
                            webui_address=reg.webui_address,
                            resources=_addresses(reg.resource_addresses))
        old = self.workers.get(reg.worker_id)
        commands: list[Command] = []
        if old is not None:
            # a worker coming back: executors it no longer reports are gone
            reported = {(e.app_id, e.executor_id) for e in reg.executors}
            for key in [k for k in old.executors if k not in reported]:
                info = old.executors.pop(key)
                app = self.apps.get(info.app_id)
                if app is not None and app.executors.pop(info.executor_id, None) is not None:
                    commands.append(("app", info.app_id, pb.MasterToApplication(executor_removed=info.summary())))
        self.workers[reg.worker_id] = worker
        for summary in reg.executors:  # a restarted master re-learns what is running
            info = ExecutorInfo(summary.app_id, summary.executor_id, reg.worker_id, reg.host,
                                summary.cores, summary.memory, summary.pid, _addresses(summary.resources))
            worker.executors[(info.app_id, info.executor_id)] = info
            app = self.apps.get(info.app_id)
            if app is not None:
                app.executors[info.executor_id] = info
        commands.append(("worker", reg.worker_id, pb.MasterToWorker(
            registered=pb.WorkerRegistered(master_id=self.master_id))))
        return commands + self.schedule()

    def worker_heartbeat(self, worker_id: str, now: float) -> bool:
        """Note a sign of life; False if the worker was already declared lost (it must re-register)."""
        worker = self.workers.get(worker_id)
        if worker is None or not worker.alive:
            return False
        worker.last_seen = now
        return True

    def worker_lost(self, worker_id: str, reason: str) -> list[Command]:
        worker = self.workers.get(worker_id)
        if worker is None or not worker.alive:
            return []
        worker.alive = False
        commands = self._drop_worker_executors(worker, reason)
        return commands + self.schedule()

    def _drop_worker_executors(self, worker: WorkerInfo, reason: str) -> list[Command]:
        commands: list[Command] = []
        for (app_id, executor_id), info in list(worker.executors.items()):
            del worker.executors[(app_id, executor_id)]
            app = self.apps.get(app_id)
            if app is not None and app.executors.pop(executor_id, None) is not None:
                commands.append(("app", app_id, pb.MasterToApplication(executor_removed=info.summary())))
        return commands

    def expire_workers(self, now: float, timeout: float) -> list[Command]:
        commands: list[Command] = []
        for worker in list(self.workers.values()):
            if worker.alive and now - worker.last_seen > timeout:
                commands += self.worker_lost(worker.worker_id, f"no heartbeat for {timeout:.0f} s")
        return commands

    def executor_state_changed(self, worker_id: str, change: pb.ExecutorStateChanged) -> list[Command]:
        if change.state == "RUNNING":
            worker = self.workers.get(worker_id)
            if worker is not None:
                info = worker.executors.get((change.app_id, change.executor_id))
                if info is not None:
                    info.pid = change.pid
            return []
        worker = self.workers.get(worker_id)
        info = worker.executors.pop((change.app_id, change.executor_id), None) if worker else None
        app = self.apps.get(change.app_id)
        commands: list[Command] = []
        if app is not None and app.executors.pop(change.executor_id, None) is not None:
            commands.append(("app", app.app_id, pb.MasterToApplication(
                executor_removed=(info or ExecutorInfo(change.app_id, change.executor_id, worker_id,
                                                       "", 0, 0)).summary())))
        return commands + self.schedule()

    # ------------------------------------------------------------------ applications

    def register_app(self, reg: pb.RegisterApplication) -> list[Command]:
        app = self.apps.get(reg.app_id)
        if app is None:
            app = AppInfo(reg.app_id, reg.name, reg.driver_address, reg.cores_max,
                          max(1, reg.executor_cores), reg.executor_memory, reg.executor_instances,
                          dict(reg.executor_env), dict(reg.executor_resources))
            self.apps[reg.app_id] = app
        app.state = "RUNNING"
        app.disconnected_at = app.ended_at = None
        app.reason = ""
        app.driver_address = reg.driver_address
        app.ui_url, app.user = reg.ui_url, reg.user
        app.start_time = reg.start_time or app.start_time or int(time.time() * 1000)
        app.end_time = 0
        app.next_executor_id = max(app.next_executor_id, reg.next_executor_id)
        for summary in reg.executors:  # re-registration after a master restart
            if summary.executor_id not in app.executors:
                worker = self.workers.get(summary.worker_id)
                info = ExecutorInfo(reg.app_id, summary.executor_id, summary.worker_id, summary.host,
                                    summary.cores, summary.memory, summary.pid,
                                    _addresses(summary.resources))
                app.executors[summary.executor_id] = info
                if worker is not None:
                    worker.executors.setdefault((reg.app_id, summary.executor_id), info)
        for worker in self.workers.values():  # executors workers told us about before the app came back
            for (app_id, executor_id), info in worker.executors.items():
                if app_id == reg.app_id and worker.alive:
                    app.executors.setdefault(executor_id, info)
        commands: list[Command] = [("app", reg.app_id, pb.MasterToApplication(
            registered=pb.ApplicationRegistered(master_id=self.master_id)))]
        commands += [("app", reg.app_id, pb.MasterToApplication(executor_added=e.summary()))
                     for e in app.executors.values()]
        return commands + self.schedule()

    def app_disconnected(self, app_id: str, now: float = 0.0) -> list[Command]:
        app = self.apps.get(app_id)
        if app is not None and app.state == "RUNNING":
            app.state = "DISCONNECTED"
            app.disconnected_at = now
        return []

    def unregister_app(self, app_id: str, state: str = "FINISHED", reason: str = "",
                       now: float = 0.0) -> list[Command]:
        app = self.apps.get(app_id)
        if app is None:
            return []
        return self._end_app(app, "FAILED" if state == "FAILED" else "FINISHED", reason, now)

    def _end_app(self, app: AppInfo, state: str, reason: str, now: float, kill: bool = True) -> list[Command]:
        app.state = state
        app.reason = reason if state == "FAILED" else ""
        app.ended_at = now
        app.end_time = int(time.time() * 1000)
        commands: list[Command] = []
        for info in list(app.executors.values()) if kill else []:
            worker = self.workers.get(info.worker_id)
            if worker is not None and worker.alive:
                commands.append(("worker", worker.worker_id, pb.MasterToWorker(
                    kill=pb.KillExecutor(app_id=app.app_id, executor_id=info.executor_id))))
        app.executors.clear()
        self._forget_old_apps()
        return commands

    def expire_apps(self, now: float, timeout: float) -> list[Command]:
        """Applications whose driver has been gone for ``timeout`` seconds end FAILED."""
        commands: list[Command] = []
        for app in list(self.apps.values()):
            if app.state == "DISCONNECTED" and app.disconnected_at is not None \
                    and now - app.disconnected_at > timeout:
                commands += self._end_app(app, "FAILED", f"its driver disconnected and did not come back "
                                                         f"within {timeout:.0f} s", now, kill=False)
        return commands

    def _forget_old_apps(self) -> None:
        ended = sorted((a for a in self.apps.values() if a.ended), key=lambda a: a.ended_at or 0.0)
        for app in ended[:max(0, len(ended) - self.retained_apps)]:
            del self.apps[app.app_id]
            for worker in self.workers.values():  # executors a worker still reports for it
                for key in [k for k in worker.executors if k[0] == app.app_id]:
                    del worker.executors[key]

    # ------------------------------------------------------------------ placement

    def schedule(self) -> list[Command]:
        commands: list[Command] = []
        for app in self.apps.values():
            if app.state != "RUNNING":
                continue
            limit = app.executor_limit()
            while limit is None or len(app.executors) < limit:
                worker = self._pick_worker(app)
                if worker is None:
                    break
                executor_id = str(app.next_executor_id)
                app.next_executor_id += 1
                given = {name: worker.free_addresses(name)[:amount]
                         for name, amount in app.executor_resources.items()}
                info = ExecutorInfo(app.app_id, executor_id, worker.worker_id, worker.host,
                                    app.executor_cores, app.executor_memory, resources=given)
                worker.executors[(app.app_id, executor_id)] = info
                app.executors[executor_id] = info
                app.history[executor_id] = info
                commands.append(("worker", worker.worker_id, pb.MasterToWorker(launch=pb.LaunchExecutor(
                    app_id=app.app_id, executor_id=executor_id, cores=app.executor_cores,
                    memory=app.executor_memory, driver_address=app.driver_address, env=app.env,
                    resources=_addresses_pb(given)))))
                commands.append(("app", app.app_id, pb.MasterToApplication(executor_added=info.summary())))
        return commands

    def _pick_worker(self, app: AppInfo) -> WorkerInfo | None:
        fits = [w for w in self.workers.values()
                if w.alive and w.cores - w.cores_used >= app.executor_cores
                and w.memory - w.memory_used >= app.executor_memory
                and all(len(w.free_addresses(n)) >= a for n, a in app.executor_resources.items())]
        if not fits:
            return None
        return min(fits, key=lambda w: (sum(1 for a, _ in w.executors if a == app.app_id),
                                        -(w.cores - w.cores_used), w.worker_id))

    # ------------------------------------------------------------------ status

    def status(self, now: float) -> pb.ClusterStatus:
        return pb.ClusterStatus(
            master_id=self.master_id,
            workers=[pb.WorkerStatus(worker_id=w.worker_id, host=w.host, cores=w.cores,
                                     cores_used=w.cores_used, memory=w.memory, memory_used=w.memory_used,
                                     state="ALIVE" if w.alive else "DEAD",
                                     last_heartbeat_age=now - w.last_seen, webui_address=w.webui_address,
                                     last_heartbeat=int((time.time() - (now - w.last_seen)) * 1000))
                     for w in self.workers.values()],
            applications=[pb.ApplicationStatus(app_id=a.app_id, name=a.name, driver_address=a.driver_address,
                                               state=a.state, reason=a.reason,
                                               cores_granted=sum(e.cores for e in a.executors.values()),
                                               ui_url=a.ui_url, start_time=a.start_time, end_time=a.end_time,
                                               user=a.user, executor_memory=a.executor_memory,
                                               cores_max=a.cores_max,
                                               all_executors=[e.summary() for e in
                                                              {**a.history, **a.executors}.values()])
                          for a in self.apps.values()],
            executors=[e.summary() for w in self.workers.values() if w.alive for e in w.executors.values()])
