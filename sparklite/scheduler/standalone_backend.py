"""sparklite://host:port: executors come from a standalone master's workers.

The driver registers the application with the master (cores, memory,
executor count wanted) over one ``ApplicationConnect`` stream; the master has
workers launch executors, which connect straight to this driver's endpoint
like local ones do. Losing the master does not stop the application: the
executors it has keep working, and this backend reconnects (trying every
master URL in turn) and re-registers with the executors it has, so a
restarted master re-learns it. Replacing lost executors is the master's and
workers' business, not the driver's.
"""
from __future__ import annotations

import getpass
import logging
import queue
import threading
import time
from typing import Any, Callable

import grpc

from sparklite.config import Settings
from sparklite.resource_discovery import resource_requests
from sparklite.rpc.channels import RpcSecurity, make_channel
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.services import MASTER, Stub
from sparklite.rpc.streams import CLOSE, drain
from sparklite.scheduler.backend import EndpointBackend
from sparklite.scheduler.driver_endpoint import DriverEndpoint
from sparklite.scheduler.master_url import StandaloneMaster

log = logging.getLogger(__name__)

#: connection attempts per master URL (about a second apart) before an application that never
#: registered gives up
REGISTRATION_ATTEMPTS = 5
#: seconds the start-up waits for a first grant before concluding the cluster is busy
NOTHING_GRANTED_WAIT = 2.0


class StandaloneBackend(EndpointBackend):
    def __init__(self, endpoint: DriverEndpoint, fail_app: Callable[[str], None], master: StandaloneMaster,
                 settings: Settings, app_id: str, security: RpcSecurity,
                 failure: Callable[[], str | None] = lambda: None):
        super().__init__(endpoint, fail_app)
        #: why the application is ending with an error (None: it is not), told to the master at stop
        self._failure = failure
        self.masters = list(master.hosts)
        self.settings = settings
        self.app_id = app_id
        self.security = security
        self._driver_address = ""
        self._stopping = threading.Event()
        self._outbox: queue.Queue | None = None
        self._lock = threading.Lock()
        self.granted: dict[str, pb.ExecutorSummary] = {}
        self.registered = threading.Event()
        self._settled = threading.Event()  # registered, or given up
        self._thread = threading.Thread(target=self._run, name="standalone-backend", daemon=True)
        #: shown on the master's page (set by the Runtime before ``start``)
        self.ui_url: str | None = None
        self.start_time = 0

    def default_parallelism(self) -> int:
        """Total cores of the registered executors, at least 2 (as Spark's standalone mode)."""
        return max(2, sum(h.cores for h in list(self.endpoint.executors.values())))

    def start(self, driver_address: str) -> None:
        self._driver_address = driver_address
        self._thread.start()
        wait = self.settings.get("spark.scheduler.maxRegisteredResourcesWaitingTime")
        ratio = self.settings.get("spark.scheduler.minRegisteredResourcesRatio")
        # as Spark: wait (bounded) for a share of the granted executors before the first job
        if self._settled.wait(wait) and self.registered.is_set() and ratio > 0:
            self._wait_for_executors(ratio, wait)

    def _wait_for_executors(self, ratio: float, timeout: float) -> None:
        deadline = threading.Event()
        timer = threading.Timer(timeout, deadline.set)
        timer.daemon = True
        timer.start()
        started = time.monotonic()
        try:
            while not deadline.is_set() and not self._stopping.is_set():
                with self._lock:
                    granted = len(self.granted)
                if granted and len(self.endpoint.executors) >= ratio * granted:
                    return
                if not granted and time.monotonic() - started > NOTHING_GRANTED_WAIT:
                    return  # a busy cluster: nothing to wait for yet (jobs wait, saying so)
                deadline.wait(0.05)
        finally:
            timer.cancel()

    # ------------------------------------------------------------------ master connection

    def _registration(self) -> pb.ApplicationMessage:
        s = self.settings
        cores = s.get("spark.executor.cores")
        env = {k[len("spark.executorEnv."):]: v for k, v in s.raw().items() if k.startswith("spark.executorEnv.")}
        have = [pb.ExecutorSummary(app_id=self.app_id, executor_id=h.executor_id, cores=h.cores, host=h.host,
                                   pid=h.pid) for h in list(self.endpoint.executors.values())]
        known = [int(e) for e in list(self.endpoint.executors) if e.isdigit()]
        with self._lock:
            known += [int(e) for e in self.granted if e.isdigit()]
        return pb.ApplicationMessage(register=pb.RegisterApplication(
            app_id=self.app_id, name=s.get("spark.app.name"), driver_address=self._driver_address,
            cores_max=s.get("spark.cores.max") or 0, executor_cores=cores,
            executor_memory=s.get("spark.executor.memory"),
            executor_instances=s.get("spark.executor.instances") or 0, executor_env=env,
            user=getpass.getuser(), executors=have, next_executor_id=max(known, default=-1) + 1,
            ui_url=self.ui_url or "", start_time=self.start_time,
            executor_resources={n: int(r.amount) for n, r in resource_requests(s.raw(), "executor").items()}))

    def _run(self) -> None:
        attempt = 0
        while not self._stopping.is_set():
            host, port = self.masters[attempt % len(self.masters)]
            attempt += 1
            try:
                self._session(f"{host}:{port}")
            except grpc.RpcError as exc:
                code = exc.code() if hasattr(exc, "code") else None
                why = code.name if code else str(exc)
                if code == grpc.StatusCode.PERMISSION_DENIED:
                    # a secret mismatch does not fix itself: say so now rather than wait for executors
                    self._give_up(f"the master at {host}:{port} refused this application: {exc.details()}")
                    return
                if self._stopping.is_set():
                    return
                if not self.registered.is_set():
                    # never registered: a wrong URL or a master not up. Spark gives up after a few
                    # tries ("All masters are unresponsive"); a lost master, below, is waited for
                    if attempt >= REGISTRATION_ATTEMPTS * len(self.masters):
                        urls = ", ".join(f"{h}:{p}" for h, p in self.masters)
                        self._give_up(f"could not register with the master at {urls} ({why}) after "
                                      f"{attempt} attempts; is a sparklite-master running there?")
                        return
                    log.warning("cannot reach the master at %s:%d (%s); retrying", host, port, why)
                else:
                    log.warning("lost the master at %s:%d (%s); the application keeps its executors "
                                "and reconnects", host, port, why)
            self._stopping.wait(1.0)

    def _give_up(self, message: str) -> None:
        log.error("%s", message)
        self._fail_app(message)
        self._settled.set()

    def _session(self, address: str) -> None:
        channel = make_channel(address, self.security)
        outbox: queue.Queue = queue.Queue()
        outbox.put(self._registration())
        with self._lock:
            self._outbox = outbox
        try:
            for msg in Stub(channel, MASTER).ApplicationConnect(drain(outbox)):
                kind = msg.WhichOneof("kind")
                if kind == "registered":
                    log.info("application %s registered with master %s", self.app_id, msg.registered.master_id)
                    self.registered.set()
                    self._settled.set()
                elif kind == "executor_added":
                    with self._lock:
                        self.granted[msg.executor_added.executor_id] = msg.executor_added
                elif kind == "executor_removed":
                    with self._lock:
                        self.granted.pop(msg.executor_removed.executor_id, None)
                    # the executor's own stream tells the endpoint; this covers one that never connected
                    self.endpoint.remove_executor(msg.executor_removed.executor_id, "its worker reported it gone")
        finally:
            with self._lock:
                if self._outbox is outbox:
                    self._outbox = None
            outbox.put(CLOSE)
            channel.close()

    # ------------------------------------------------------------------ SchedulerBackend

    def executor_lost(self, executor_id: str, reason: str) -> None:
        """Nothing to do here: the worker reports the exit and the master places a replacement."""

    def process_ids(self) -> dict[str, int]:
        return {}

    def queued_for_resources(self) -> bool:
        # registered with the master: it places executors as soon as workers have room
        return self.registered.is_set() and not self._stopping.is_set()

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            outbox = self._outbox
        if outbox is not None:
            failure = self._failure()
            outbox.put(pb.ApplicationMessage(unregister=pb.UnregisterApplication(
                app_id=self.app_id, state="FAILED" if failure else "FINISHED", reason=failure or "")))
            outbox.put(CLOSE)
        self.endpoint.stop()
        self._thread.join(5.0)

    def describe(self) -> dict[str, Any]:
        with self._lock:
            granted = sorted(self.granted)
        return {"executors": sorted(self.endpoint.executors), "granted": granted}
