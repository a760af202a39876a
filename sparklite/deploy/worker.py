"""The standalone worker process: offers its cores and memory to a master, runs executors.

The worker keeps one ``WorkerConnect`` stream to the master (reconnecting
after any loss, with the executors it still runs, so a restarted master
re-learns them) and needs no listening port of its own. It launches executor
processes as the master orders (``python -m sparklite.executor``, which then
connect to their application's driver with the cluster's secret), reports
every exit, and kills them when told to. Executors watch the worker's pid and
exit when it dies, so losing a worker loses its executors.

Each executor writes ``<work dir>/<app id>/<executor id>/stdout`` and ``stderr``,
served by the worker's log pages (``worker_ui.py``) and linked from the
application's UI and the master's page. They outlive the executor: an
application's directory is removed ``spark.worker.cleanup.appDataTtl`` after
its last executor ended (checked every ``spark.worker.cleanup.interval``), while
an executor's scratch space (shuffle files, spilled blocks) goes when it exits.

THREADING: the main thread runs the connect loop; a monitor thread reaps
executor processes (and cleans up old application directories); a heartbeat
thread feeds the current outbox; the log pages have their own server threads.
"""
from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any

import grpc

from sparklite.rpc.channels import RpcSecurity, make_channel
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.executor.launch import executor_env
from sparklite.rpc.security import security_env
from sparklite.rpc.services import MASTER, Stub
from sparklite.rpc.streams import CLOSE, drain

log = logging.getLogger(__name__)


def _addresses_pb(resources: dict[str, list[str]]) -> dict[str, pb.ResourceAddresses]:
    return {name: pb.ResourceAddresses(addresses=a) for name, a in resources.items()}


@dataclass
class _Running:
    app_id: str
    executor_id: str
    cores: int
    memory: int
    proc: subprocess.Popen
    work_dir: str
    resources: dict[str, list[str]]


@dataclass(frozen=True)
class Cleanup:
    """spark.worker.cleanup.*: whether, how often and after how long finished apps' dirs go."""

    enabled: bool = True
    interval: float = 1800.0
    ttl: float = 7 * 86400.0


class Worker:
    def __init__(self, masters: list[tuple[str, int]], host: str, cores: int, memory: int, work_dir: str,
                 security: RpcSecurity, heartbeat_interval: float = 2.0, webui_port: int | None = None,
                 cleanup: Cleanup = Cleanup(), port_retries: int = 16,
                 resources: dict[str, list[str]] | None = None):
        self.masters = masters
        self.host = host
        self.cores = cores
        self.memory = memory
        self.work_dir = os.path.abspath(work_dir)
        os.makedirs(self.work_dir, exist_ok=True)
        self.security = security
        self.heartbeat_interval = heartbeat_interval
        #: resource name -> addresses this machine offers (spark.worker.resource.*, resourcesFile)
        self.resources = dict(resources or {})
        self.worker_id = f"worker-{time.strftime('%Y%m%d%H%M%S')}-{host}-{os.getpid()}"
        self._running: dict[tuple[str, str], _Running] = {}
        self._lock = threading.Lock()
        self._outbox: queue.Queue | None = None
        self._pending_reports: list[pb.WorkerMessage] = []
        self._stopping = threading.Event()
        #: why the worker gave up on its own (the master refused it), or None
        self.fatal: str | None = None
        self.connected = threading.Event()
        self.cleanup = cleanup
        self._next_cleanup = time.monotonic() + cleanup.interval
        self._master_url = ""
        #: the log pages (None with webui_port None)
        self.pages = None
        if webui_port is not None:
            from sparklite.deploy.worker_ui import WorkerPages

            self.pages = WorkerPages(host, webui_port, self.work_dir, self.describe, security.secret,
                                     port_retries)

    # ------------------------------------------------------------------ life

    def run(self) -> None:
        threading.Thread(target=self._monitor, name="worker-monitor", daemon=True).start()
        threading.Thread(target=self._heartbeat, name="worker-heartbeat", daemon=True).start()
        attempt = 0
        while not self._stopping.is_set():
            host, port = self.masters[attempt % len(self.masters)]
            attempt += 1
            try:
                self._session(f"{host}:{port}")
            except grpc.RpcError as exc:
                code = exc.code() if hasattr(exc, "code") else None
                if code == grpc.StatusCode.PERMISSION_DENIED:
                    # a wrong secret or certificate does not fix itself: stop, as Spark's worker does
                    self.fatal = f"the master at {host}:{port} refused this worker: {exc.details()}"
                    log.error("%s", self.fatal)
                    return
                else:
                    log.warning("lost the master at %s:%d (%s); reconnecting", host, port,
                                code.name if code else exc)
            self.connected.clear()
            self._stopping.wait(1.0)

    def _session(self, address: str) -> None:
        channel = make_channel(address, self.security)
        outbox: queue.Queue = queue.Queue()
        with self._lock:
            executors = [pb.ExecutorSummary(app_id=r.app_id, executor_id=r.executor_id, cores=r.cores,
                                            memory=r.memory, worker_id=self.worker_id, host=self.host,
                                            pid=r.proc.pid, resources=_addresses_pb(r.resources))
                         for r in self._running.values()]
        self._master_url = f"sparklite://{address}"
        outbox.put(pb.WorkerMessage(register=pb.RegisterWorker(
            worker_id=self.worker_id, host=self.host, cores=self.cores, memory=self.memory,
            executors=executors, webui_address=self.pages.url if self.pages is not None else "",
            resource_addresses=_addresses_pb(self.resources))))
        try:
            for msg in Stub(channel, MASTER).WorkerConnect(drain(outbox)):
                kind = msg.WhichOneof("kind")
                if kind == "registered":
                    log.info("registered with master %s as %s", msg.registered.master_id, self.worker_id)
                    with self._lock:
                        self._outbox = outbox
                        pending, self._pending_reports = self._pending_reports, []
                    for report in pending:
                        outbox.put(report)
                    self.connected.set()
                elif kind == "launch":
                    self._launch(msg.launch)
                elif kind == "kill":
                    self._kill(msg.kill.app_id, msg.kill.executor_id)
        finally:
            with self._lock:
                if self._outbox is outbox:
                    self._outbox = None
            outbox.put(CLOSE)
            channel.close()

    def _report(self, msg: pb.WorkerMessage) -> None:
        with self._lock:
            if self._outbox is not None:
                self._outbox.put(msg)
            else:
                self._pending_reports.append(msg)

    def _heartbeat(self) -> None:
        while not self._stopping.wait(self.heartbeat_interval):
            with self._lock:
                outbox = self._outbox
            if outbox is not None:
                outbox.put(pb.WorkerMessage(heartbeat=pb.WorkerHeartbeat()))

    # ------------------------------------------------------------------ executors

    def _launch(self, launch: pb.LaunchExecutor) -> None:
        from sparklite.deploy.worker_ui import app_dir_name

        given = {name: list(r.addresses) for name, r in launch.resources.items()}
        app_dir = os.path.join(self.work_dir, app_dir_name(launch.app_id))
        log_dir = os.path.join(app_dir, app_dir_name(launch.executor_id))
        env = dict(os.environ)
        env.update(launch.env)
        env.update(security_env(self.security))
        executor_env(env)  # PYTHONHASHSEED=0, malloc settings
        if self.pages is not None:  # Spark's names: the executor reports them with its registration
            env["SPARK_LOG_URL_STDOUT"] = self.pages.log_url(launch.app_id, launch.executor_id, "stdout")
            env["SPARK_LOG_URL_STDERR"] = self.pages.log_url(launch.app_id, launch.executor_id, "stderr")
        cmd = [sys.executable, "-m", "sparklite.executor", "--driver", launch.driver_address,
               "--executor-id", launch.executor_id, "--cores", str(launch.cores), "--app-id", launch.app_id,
               "--local-dir", app_dir, "--host", self.host, "--parent-pid", str(os.getpid()),
               "--resources", json.dumps(given)]
        try:
            # under the lock: the clean-up must not remove the app's directory between its
            # creation here and this executor being recorded
            with self._lock:
                os.makedirs(log_dir, exist_ok=True)
                with open(os.path.join(log_dir, "stdout"), "ab") as out, \
                        open(os.path.join(log_dir, "stderr"), "ab") as err:
                    proc = subprocess.Popen(cmd, env=env, cwd=log_dir, stdin=subprocess.DEVNULL, stdout=out,
                                            stderr=err, close_fds=True)
                self._running[(launch.app_id, launch.executor_id)] = _Running(
                    launch.app_id, launch.executor_id, launch.cores, launch.memory, proc, app_dir, given)
        except OSError as exc:  # a full disk, a bad work dir: this executor fails, the worker stays
            log.error("could not launch executor %s of %s: %s", launch.executor_id, launch.app_id, exc)
            self._report(pb.WorkerMessage(executor_state=pb.ExecutorStateChanged(
                app_id=launch.app_id, executor_id=launch.executor_id, state="FAILED", exit_code=-1,
                message=f"could not start: {exc}")))
            return
        log.info("launched executor %s of %s (pid %d)", launch.executor_id, launch.app_id, proc.pid)
        self._report(pb.WorkerMessage(executor_state=pb.ExecutorStateChanged(
            app_id=launch.app_id, executor_id=launch.executor_id, state="RUNNING", pid=proc.pid)))

    def _kill(self, app_id: str, executor_id: str) -> None:
        with self._lock:
            targets = [r for (a, e), r in self._running.items()
                       if a == app_id and (not executor_id or e == executor_id)]
        for running in targets:
            if running.proc.poll() is None:
                running.proc.send_signal(signal.SIGTERM)

    def _monitor(self) -> None:
        while not self._stopping.wait(0.2):
            if self.cleanup.enabled and time.monotonic() >= self._next_cleanup:
                self._next_cleanup = time.monotonic() + self.cleanup.interval
                self.clean_old_apps()
            with self._lock:
                exited = [(k, r) for k, r in self._running.items() if r.proc.poll() is not None]
                for key, _ in exited:
                    del self._running[key]
            for (app_id, executor_id), running in exited:
                code = running.proc.returncode
                log.info("executor %s of %s exited with code %s", executor_id, app_id, code)
                self._report(pb.WorkerMessage(executor_state=pb.ExecutorStateChanged(
                    app_id=app_id, executor_id=executor_id, state="EXITED" if code == 0 else "FAILED",
                    exit_code=code if code is not None else -1, message=f"exit code {code}")))
                # its scratch space goes now (a killed executor could not remove it); its logs stay
                shutil.rmtree(os.path.join(running.work_dir, f"executor-{executor_id}"), ignore_errors=True)
                try:
                    os.utime(running.work_dir)  # the app's TTL counts from its last executor's end
                except OSError:
                    pass

    def clean_old_apps(self, now: float | None = None) -> list[str]:
        """Remove the directories of applications with no running executor whose last change is
        older than spark.worker.cleanup.appDataTtl; returns the app ids removed."""
        now = time.time() if now is None else now
        from sparklite.deploy.worker_ui import app_dir_name

        with self._lock:
            running = {app_dir_name(r.app_id) for r in self._running.values()}
        removed = []
        for app_id in os.listdir(self.work_dir):
            path = os.path.join(self.work_dir, app_id)
            try:
                if app_id in running or not os.path.isdir(path) or now - os.path.getmtime(path) < self.cleanup.ttl:
                    continue
            except OSError:
                continue
            shutil.rmtree(path, ignore_errors=True)
            removed.append(app_id)
            log.info("removed the work directory of finished application %s", app_id)
        return removed

    def describe(self) -> dict[str, Any]:
        """Spark's worker /json fields."""
        with self._lock:
            running = list(self._running.values())
        return {"id": self.worker_id, "masterurl": self._master_url, "masterwebuiurl": "",
                "cores": self.cores, "coresused": sum(r.cores for r in running),
                "memory": self.memory >> 20, "memoryused": sum(r.memory for r in running) >> 20,
                "executors": [{"appid": r.app_id, "id": r.executor_id, "cores": r.cores,
                               "memory": r.memory >> 20, "state": "RUNNING"} for r in running],
                "finishedexecutors": []}

    def executor_pids(self) -> dict[tuple[str, str], int]:
        with self._lock:
            return {k: r.proc.pid for k, r in self._running.items()}

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            running = list(self._running.values())
        for r in running:
            if r.proc.poll() is None:
                r.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for r in running:
            try:
                r.proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                r.proc.kill()
                r.proc.wait(5)
        with self._lock:
            outbox = self._outbox
        if outbox is not None:
            outbox.put(CLOSE)
        if self.pages is not None:
            self.pages.stop()
