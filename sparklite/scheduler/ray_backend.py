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

Stage-level scheduling: a stage whose ResourceProfile has executor requests
runs on actors started for it (the profile's cores, memory, GPUs and custom
resources; scheduled by Ray outside the placement group, whose bundles are the
default executors'), up to ``spark.executor.instances`` of them, stopped after
``spark.dynamicAllocation.executorIdleTimeout`` without tasks. A profile the
cluster's total resources can never hold fails its stage at once.

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
from sparklite.rpc.security import security_env
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
                 settings: Settings, app_id: str, security: Any):
        super().__init__(endpoint, fail_app)
        self.settings = settings
        self.app_id = app_id
        #: the secret (and TLS files) executors use, handed to their actors through Ray
        self._security_env = security_env(security)
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
        # as local executors do: modules next to the driver's script import on the executors (on
        # other hosts the paths may not exist; sc.addPyFile ships code there, as in PySpark)
        from sparklite.executor.launch import user_paths

        self._env.setdefault("PYTHONPATH", os.pathsep.join(user_paths()))
        self._driver_address = ""
        self._lock = threading.Lock()
        #: executor id -> (actor, ObjectRef of its wait(), bundle index, profile or None)
        self._actors: dict[str, tuple[Any, Any, int, Any]] = {}
        #: profile executors being stopped because idle: not replaced, not counted as failures
        self._retiring: set[str] = set()
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

    def bundle(self, profile: Any = None) -> dict[str, float]:
        """What one executor (of ``profile``, else a default one) asks Ray for."""
        cores, memory, amounts = self._shape(profile)
        shape: dict[str, float] = {"CPU": float(cores), "memory": float(memory)}
        for name, amount in amounts.items():
            shape["GPU" if name == "gpu" else name] = float(amount)
        return shape

    def _shape(self, profile: Any) -> tuple[int, int, dict[str, float]]:
        """(cores, memory bytes, resource amounts) of an executor of ``profile`` (None: default)."""
        if profile is None:
            return self.cores, self.memory, dict(self.resource_amounts)
        from sparklite.scheduler.task_slots import profile_executor_shape

        cores, amounts = profile_executor_shape(profile, self.cores)
        requests = profile.executorResources
        memory = requests["memory"].amount << 20 if "memory" in requests else self.memory
        return cores, memory, amounts

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

    def _spawn(self, index: int, profile: Any = None) -> None:
        import ray
        from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

        from sparklite.scheduler.ray_executor import ExecutorHost

        with self._lock:
            executor_id = str(self._next_id)
            self._next_id += 1
        cores, memory, amounts = self._shape(profile)
        custom = {n: float(a) for n, a in amounts.items() if n != "gpu"}
        placement: dict[str, Any] = {}
        if profile is None:
            placement["scheduling_strategy"] = PlacementGroupSchedulingStrategy(
                self._pg, placement_group_bundle_index=index)
        scripts = dict(self._scripts)
        if profile is not None:
            scripts.update({n: r.discoveryScript for n, r in profile.executorResources.items()
                            if n in amounts and r.discoveryScript})
        actor = ray.remote(ExecutorHost).options(
            name=f"sparklite-{self.app_id}-executor-{executor_id}", num_cpus=cores,
            num_gpus=amounts.get("gpu", 0), memory=memory, resources=custom,
            max_concurrency=4, max_restarts=0, **placement,
        ).remote(executor_id, self._driver_address, self.app_id, cores, self._security_env, self._env,
                 amounts, scripts, profile.id if profile is not None else 0)
        with self._lock:
            self._actors[executor_id] = (actor, actor.wait.remote(), index, profile)
            self._info[executor_id] = actor.info.remote()
        log.debug("asked Ray for executor %s (bundle %d)", executor_id, index)

    def _watch(self) -> None:
        import ray

        if not self._place():
            return
        while not self._stopping.is_set():
            with self._lock:
                waits = {ref: eid for eid, (_, ref, _, _) in self._actors.items()}
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
            retired = executor_id in self._retiring
            self._retiring.discard(executor_id)
        if entry is None or self._stopping.is_set():
            return
        actor, _, index, profile = entry
        ray.kill(actor, no_restart=True)
        self.endpoint.remove_executor(executor_id, reason)
        if retired:
            return  # stopped because idle: started again when a stage wants its profile
        self.failures += 1
        if self.failures > self.max_failures:
            self._give_up(f"{self.failures} executors were lost, more than spark.executor.maxNumFailures="
                          f"{self.max_failures} (last: executor {executor_id}, {reason})")
            return
        log.warning("executor %s lost: %s; asking Ray for a replacement", executor_id, reason)
        self._spawn(index, profile)

    def _give_up(self, message: str) -> None:
        if not self._failed:
            self._failed = True
            log.error("%s", message)
            self._fail_app(message)

    # ------------------------------------------------------------------ stage-level scheduling

    def want_profile_executors(self, profile: Any, tasks: int) -> str | None:
        """A stage needs executors of ``profile``: start actors for it unless some run.
        Returns why the cluster can never hold one, or None (scheduler thread)."""
        import ray

        shape = self.bundle(profile)
        total = ray.cluster_resources()
        short = {k: v for k, v in shape.items() if v > total.get(k, 0.0)}
        if short:
            return (f"executors of ResourceProfile {profile.id} need {shape}, but the Ray cluster has "
                    f"only {({k: total.get(k, 0.0) for k in short})} in total")
        with self._lock:
            running = sum(1 for eid, (_, _, _, p) in self._actors.items()
                          if p is not None and p.id == profile.id and eid not in self._retiring)
        for _ in range(min(self.instances, max(1, tasks)) - running):
            self._spawn(-1, profile)
        return None

    def retire_executor(self, executor_id: str) -> None:
        """Stop an idle profile executor for good (it is not replaced)."""
        with self._lock:
            self._retiring.add(executor_id)
        self.endpoint.remove_executor(executor_id, "idle (spark.dynamicAllocation.executorIdleTimeout)")

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
            actors = [actor for actor, _, _, _ in self._actors.values()]
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
