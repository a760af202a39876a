"""master="ray": executors are Ray actors placed by an existing Ray cluster.

Ray decides only *where* executors run and *how long*: each executor is an
actor (ray_executor.py) sized from ``spark.executor.cores`` (``num_cpus``),
``spark.executor.memory`` (``memory``), ``spark.executor.resource.gpu.amount``
(``num_gpus``) and the other ``spark.executor.resource.<name>.amount`` keys
(custom Ray ``resources``), placed in one placement group named after the
application (``sparklite.ray.placementStrategy``: SPREAD, PACK, STRICT_SPREAD).
Actors and the group belong to the driver (not detached), so they die with it.
The actor runs sparklite's own executor process, which talks to the driver
over sparklite's gRPC protocol — shuffle, cache, lineage recompute and
authentication are the code path local mode tests.

Loss: a watcher thread waits on every actor's ``wait()`` call; it returns
when the executor process exits and raises when the actor or its node dies.
Either way the executor is lost (the driver recomputes from lineage) and a
replacement actor is asked for, in the same bundle of the placement group
(Ray re-places a lost node's bundles), up to ``spark.executor.maxNumFailures``
losses; then the application fails with that message.

Connecting: if this process is not connected to Ray yet, the backend calls
``ray.init(address=sparklite.ray.address)`` ("auto" by default) and shuts Ray
down at ``sc.stop()``; a connection the user made is left as it was. Ray's
usage reporting is switched off (``RAY_USAGE_STATS_ENABLED=0``) unless set.
"""
from __future__ import annotations

import logging
import os
import threading
from typing import Any, Callable

from sparklite.config import Settings
from sparklite.resource_discovery import resource_requests
from sparklite.scheduler.backend import EndpointBackend
from sparklite.scheduler.driver_endpoint import DriverEndpoint
from sparklite.scheduler.master_url import RayMaster

log = logging.getLogger(__name__)

#: seconds between the watcher's checks for executors that ended
WATCH_INTERVAL = 0.5
#: True while the Ray connection of this process is one sparklite made (sc.stop() ends it)
_connected_by_sparklite = False


def connect(settings: Settings, master: RayMaster) -> None:
    """Make sure this process is connected to Ray."""
    global _connected_by_sparklite
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        import ray
    except ImportError:
        raise RuntimeError("master=\"ray\" needs Ray: pip install 'sparklite[ray]'") from None
    if ray.is_initialized():
        return
    address = master.address or settings.get("sparklite.ray.address")
    try:
        ray.init(address=address, log_to_driver=False)
    except ConnectionError as exc:
        raise RuntimeError(f"master=\"ray\": no Ray cluster to attach to at "
                           f"sparklite.ray.address={address} ({exc}); start one with `ray start "
                           f"--head`, or call ray.init() before creating the SparkContext") from None
    _connected_by_sparklite = True


def driver_host(settings: Settings, master: RayMaster) -> str:
    """The address executors reach the driver at: this process's address in the Ray cluster."""
    connect(settings, master)
    from sparklite.scheduler.ray_executor import node_address

    return settings.get("spark.driver.host") or node_address()


class RayBackend(EndpointBackend):
    def __init__(self, endpoint: DriverEndpoint, fail_app: Callable[[str], None], master: RayMaster,
                 settings: Settings, app_id: str, secret: str):
        super().__init__(endpoint, fail_app)
        self.settings = settings
        self.app_id = app_id
        self._secret = secret
        connect(settings, master)
        self.instances = settings.get("spark.executor.instances") or 2
        self.cores = settings.get("spark.executor.cores")
        self.memory = settings.get("spark.executor.memory")
        requests = resource_requests(settings.raw(), "executor")
        self.resource_amounts = {n: r.amount for n, r in requests.items()}
        self._scripts = {n: r.discovery_script for n, r in requests.items() if r.discovery_script}
        self.max_failures = settings.get("spark.executor.maxNumFailures") or max(3, 2 * self.instances)
        self.strategy = settings.get("sparklite.ray.placementStrategy")
        self._env = {k[len("spark.executorEnv."):]: v for k, v in settings.raw().items()
                     if k.startswith("spark.executorEnv.")}
        self._driver_address = ""
        self._lock = threading.Lock()
        #: executor id -> (actor, ObjectRef of its wait(), bundle index)
        self._actors: dict[str, tuple[Any, Any, int]] = {}
        self._info: dict[str, Any] = {}  # executor id -> ObjectRef/dict of the actor's info()
        self._next_id = 0
        self.failures = 0
        self._failed = False
        self._pg: Any = None
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="ray-backend-watcher", daemon=True)

    def default_parallelism(self) -> int:
        return self.instances * self.cores

    @property
    def executor_shape(self) -> tuple[int, int]:
        return self.instances, self.cores

    def bundle(self) -> dict[str, float]:
        """What one executor asks Ray for."""
        shape: dict[str, float] = {"CPU": float(self.cores), "memory": float(self.memory)}
        for name, amount in self.resource_amounts.items():
            shape["GPU" if name == "gpu" else name] = float(amount)
        return shape

    # ------------------------------------------------------------------ life

    def start(self, driver_address: str) -> None:
        self._driver_address = driver_address
        from ray.util.placement_group import placement_group

        self._pg = placement_group([self.bundle()] * self.instances, strategy=self.strategy,
                                   name=f"sparklite-{self.app_id}")
        self._watcher.start()

    def _place(self) -> bool:
        """Wait (bounded) for the placement group; start the executors in it."""
        import ray

        timeout = self.settings.get("sparklite.executor.startTimeout")
        ready, _ = ray.wait([self._pg.ready()], timeout=timeout)
        if not ready:
            self._give_up(f"Ray could not place {self.instances} executors of {self.bundle()} "
                          f"({self.strategy}) within {timeout:.0f} s (sparklite.executor.startTimeout); "
                          f"the cluster has {ray.available_resources()} available")
            return False
        for index in range(self.instances):
            self._spawn(index)
        return True

    def _spawn(self, index: int) -> None:
        import ray
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        from sparklite.scheduler.ray_executor import ExecutorHost

        with self._lock:
            executor_id = str(self._next_id)
            self._next_id += 1
        custom = {n: float(a) for n, a in self.resource_amounts.items() if n != "gpu"}
        actor = ray.remote(ExecutorHost).options(
            name=f"sparklite-{self.app_id}-executor-{executor_id}", num_cpus=self.cores,
            num_gpus=self.resource_amounts.get("gpu", 0), memory=self.memory, resources=custom,
            max_concurrency=4, max_restarts=0,
            scheduling_strategy=PlacementGroupSchedulingStrategy(
                self._pg, placement_group_bundle_index=index),
        ).remote(executor_id, self._driver_address, self.app_id, self.cores, self._secret, self._env,
                 self.resource_amounts, self._scripts)
        with self._lock:
            self._actors[executor_id] = (actor, actor.wait.remote(), index)
            self._info[executor_id] = actor.info.remote()
        log.debug("asked Ray for executor %s (bundle %d)", executor_id, index)

    def _watch(self) -> None:
        import ray

        if not self._place():
            return
        while not self._stopping.is_set():
            with self._lock:
                waits = {ref: eid for eid, (_, ref, _) in self._actors.items()}
            if not waits:
                self._stopping.wait(WATCH_INTERVAL)
                continue
            done, _ = ray.wait(list(waits), num_returns=1, timeout=WATCH_INTERVAL)
            for ref in done:
                try:
                    reason = f"its process exited with code {ray.get(ref)}"
                except Exception as exc:  # the actor or its node died
                    reason = f"its Ray actor died ({type(exc).__name__}: {str(exc).splitlines()[0][:200]})"
                self._lost(waits[ref], reason)

    def _lost(self, executor_id: str, reason: str) -> None:
        import ray

        with self._lock:
            entry = self._actors.pop(executor_id, None)
            self._info.pop(executor_id, None)
        if entry is None or self._stopping.is_set():
            return
        actor, _, index = entry
        ray.kill(actor, no_restart=True)
        self.endpoint.remove_executor(executor_id, reason)
        self.failures += 1
        if self.failures > self.max_failures:
            self._give_up(f"{self.failures} executors were lost, more than spark.executor.maxNumFailures="
                          f"{self.max_failures} (last: executor {executor_id}, {reason})")
            return
        log.warning("executor %s lost: %s; asking Ray for a replacement", executor_id, reason)
        self._spawn(index)

    def _give_up(self, message: str) -> None:
        if not self._failed:
            self._failed = True
            log.error("%s", message)
            self._fail_app(message)

    def executor_lost(self, executor_id: str, reason: str) -> None:
        """The driver gave up on this executor: end its actor (the watcher replaces it)."""
        import ray

        with self._lock:
            entry = self._actors.get(executor_id)
        if entry is not None:
            ray.kill(entry[0], no_restart=True)

    def actor_info(self, timeout: float = 30.0) -> dict[str, dict[str, Any]]:
        """Executor id -> its actor's info(): pid, actor_pid, node_ip, resources (inspection)."""
        import ray

        with self._lock:
            pending = dict(self._info)
        out: dict[str, dict[str, Any]] = {}
        for executor_id, ref in pending.items():
            try:
                out[executor_id] = ref if isinstance(ref, dict) else ray.get(ref, timeout=timeout)
            except Exception:
                continue  # not placed yet, or gone
            with self._lock:
                if executor_id in self._info:
                    self._info[executor_id] = out[executor_id]
        return out

    def process_ids(self) -> dict[str, int]:
        return {eid: info["pid"] for eid, info in self.actor_info(timeout=5.0).items()}

    def stop(self) -> None:
        import ray
        from ray.util.placement_group import remove_placement_group

        self._stopping.set()
        if self._watcher.is_alive():
            self._watcher.join(10.0)
        self.endpoint.stop()
        with self._lock:
            actors = [actor for actor, _, _ in self._actors.values()]
            self._actors.clear()
        stops = [actor.stop.remote() for actor in actors]
        if stops:
            ray.wait(stops, num_returns=len(stops), timeout=10.0)
        for actor in actors:
            ray.kill(actor, no_restart=True)
        if self._pg is not None:
            remove_placement_group(self._pg)
        global _connected_by_sparklite
        if _connected_by_sparklite:
            _connected_by_sparklite = False
            ray.shutdown()

    def describe(self) -> dict[str, Any]:
        return {"executors": sorted(self.endpoint.executors), "placement_group": f"sparklite-{self.app_id}",
                "failures": self.failures}
