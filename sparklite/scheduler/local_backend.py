"""local[N] / local[*]: N executor processes on this machine, ``spark.executor.cores`` slots each.

Executors are real processes (the GIL rules out threads for CPU work) running
``sparklite.executor``, started by the application's LocalLauncher
(``executor/launch.py``: forked from a template process, or spawned), which
SparkContext makes before this backend exists so that their start overlaps the
driver's; they connect back over loopback gRPC with the application's secret,
which travels in their environment, never on the command line. A monitor thread
reaps processes that exit, and reports how each ended ("exited with code 3",
"killed by signal 9 (SIGKILL) — out of memory?"). A lost executor is replaced
by a new one with a new id (stale messages from the old id can then never be
confused with the new one).

Start failures (Spark's ``spark.deploy.maxExecutorRetries`` rule): replacements
that die before registering are started again after a growing back-off (0.1 s,
doubling, at most 2 s); the application fails only when no executor is alive and
that many starts in a row have failed, never while some executor still works.

Resources (``spark.executor.resource.<name>.*``): the driver runs each
discovery script once, and every executor gets its own ``amount`` addresses
from what it found (a replacement gets those of the executor it replaces), so
two local executors never share a GPU; too few addresses for ``local[N]``
fails at start naming the key.

Stage-level scheduling: a stage whose ResourceProfile has executor requests
runs only on executors started for that profile (its cores and resources);
they are started when such a stage is submitted (up to N of them) and stopped
once idle for ``spark.dynamicAllocation.executorIdleTimeout``.

Executors ignore SIGINT: Ctrl-C in a terminal goes to the whole foreground
process group, and it must cancel the driver's job, not kill the executors.

An executor's stdout and stderr are kept under the application's scratch dir
(``logs/<executor id>/stdout|stderr``, served by the web UI) and also reach the
driver's own stdout and stderr, stderr lines prefixed ``[executor N]`` so a
warning names the process it came from (the executor tees them itself:
``executor/output_tee.py``, since forked executors share the template's fds).
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import threading
import time
from typing import Any, Callable

from sparklite.errors import ConfigError
from sparklite.executor import launch
from sparklite.resource_discovery import run_discovery_script
from sparklite.scheduler.backend import EndpointBackend
from sparklite.scheduler.driver_endpoint import DriverEndpoint
from sparklite.scheduler.task_slots import profile_executor_shape

log = logging.getLogger(__name__)

#: seconds before restarting after the first start failure in a row; doubles up to the cap
START_BACKOFF = 0.1
START_BACKOFF_MAX = 2.0


def describe_exit(returncode: int) -> str:
    """How a process ended, in words: "exited with code 3", "killed by signal 9 (SIGKILL) ..."."""
    if returncode >= 0:
        return f"exited with code {returncode}"
    number = -returncode
    try:
        name = f" ({signal.Signals(number).name})"
    except ValueError:
        name = ""
    hint = " — out of memory?" if number == signal.SIGKILL else ""
    return f"killed by signal {number}{name}{hint}"


class LocalBackend(EndpointBackend):
    def __init__(self, endpoint: DriverEndpoint, fail_app: Callable[[str], None], num_executors: int,
                 app_id: str, app_dir: str, launcher: launch.LocalLauncher, cores: int = 1,
                 max_start_failures: int = 10, crash_replacements: bool = False,
                 raw_conf: dict[str, str] | None = None):
        super().__init__(endpoint, fail_app)
        self.num_executors = num_executors
        #: task slots per executor (spark.executor.cores)
        self.cores = cores
        self.app_id = app_id
        self.app_dir = app_dir
        #: starts the processes (forked from a template, or spawned; see executor/launch.py)
        self._launcher = launcher
        self._driver_address = ""
        self._procs: dict[str, Any] = {}
        self._registered: set[str] = set()
        self._next_id = 0
        #: spark.deploy.maxExecutorRetries
        self.max_start_failures = max_start_failures
        #: executors that died before registering since one last registered
        self._start_failures = 0
        #: (monotonic time, profile or None) of replacements to start (back-off after start failures)
        self._respawn_at: list[tuple[float, Any]] = []
        #: executor id -> how its process ended, for recently reaped executors
        self._exits: dict[str, str] = {}
        #: test hook (sparklite.test.crashReplacementExecutors): replacements crash at start
        self._crash_replacements = crash_replacements
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="local-backend-monitor", daemon=True)
        self._failed = False
        #: the configuration, for discovery scripts only ResourceProfiles use
        self._raw = dict(raw_conf or {})
        #: spark.executor.resource.<name>.amount of the default executors (the launcher discovers)
        self.resource_amounts = launcher.resource_amounts
        self._pool = launcher.pool
        self._given = launcher.given
        #: executor id -> the ResourceProfile it serves (absent: a default executor)
        self._profile_of: dict[str, Any] = {}
        #: profile executors being stopped on purpose (idle): not replaced when they exit
        self._retiring: set[str] = set()

    def default_parallelism(self) -> int:
        return self.num_executors * self.cores

    @property
    def executor_shape(self) -> tuple[int, int]:
        """(executors, cores each): every local executor looks the same (see task_slots.py)."""
        return self.num_executors, self.cores

    def start(self, driver_address: str) -> None:
        self._driver_address = driver_address
        procs = self._launcher.start(driver_address, self.num_executors)
        with self._lock:
            for proc in procs:
                self._procs[str(self._next_id)] = proc
                self._next_id += 1
        self._monitor.start()

    def on_registered(self, executor_id: str) -> None:
        with self._lock:
            self._registered.add(executor_id)
            self._start_failures = 0

    def _spawn(self, profile: Any = None) -> None:
        with self._lock:
            executor_id = str(self._next_id)
            self._next_id += 1
        cores, amounts, profile_id = self.cores, self.resource_amounts, 0
        if profile is not None:
            cores, amounts = profile_executor_shape(profile, self.cores)
            profile_id = profile.id
            with self._lock:
                self._profile_of[executor_id] = profile
        crash = self._crash_replacements and int(executor_id) >= self.num_executors
        with self._lock:  # the launcher hands out resource addresses: one launch at a time
            proc = self._launcher.launch(executor_id, self._driver_address,
                                         {"SPARKLITE_TEST_CRASH_ON_START": "1"} if crash else None,
                                         (cores, amounts, profile_id) if profile is not None else None)
        with self._lock:
            self._procs[executor_id] = proc
        log.debug("started executor %s", executor_id)

    def _watch(self) -> None:
        while not self._stopping.wait(0.1):
            with self._lock:
                exited = [(eid, p) for eid, p in self._procs.items() if p.poll() is not None]
            for executor_id, proc in exited:
                self._reap(executor_id, proc, describe_exit(proc.returncode))
            now = time.monotonic()
            with self._lock:
                due = [(t, p) for t, p in self._respawn_at if t <= now]
                self._respawn_at = [(t, p) for t, p in self._respawn_at if t > now]
            for _, profile in due:
                if not self._stopping.is_set():
                    self._spawn(profile)

    def _reap(self, executor_id: str, proc: subprocess.Popen, reason: str) -> None:
        with self._lock:
            if self._procs.get(executor_id) is not proc:
                return
            del self._procs[executor_id]
            self._exits[executor_id] = reason
            if len(self._exits) > 100:
                del self._exits[next(iter(self._exits))]
            registered = executor_id in self._registered
            self._launcher.release(executor_id)
            profile = self._profile_of.pop(executor_id, None)
            retired = executor_id in self._retiring
            self._retiring.discard(executor_id)
            self._registered.discard(executor_id)
            if not registered:
                self._start_failures += 1
            give_up = (not registered and not self._registered
                       and self._start_failures >= self.max_start_failures)
            delay = 0.0 if registered else min(START_BACKOFF * 2 ** (self._start_failures - 1),
                                               START_BACKOFF_MAX)
        shutil.rmtree(os.path.join(self.app_dir, f"executor-{executor_id}"), ignore_errors=True)
        if self._stopping.is_set():
            return
        if registered:
            # the endpoint notices the closed stream too; this covers a stream that lingers
            self.endpoint.remove_executor(executor_id, reason)
        if retired:
            return  # stopped because idle: started again when a stage wants its profile
        if give_up:
            if not self._failed:
                self._failed = True
                self._fail_app(f"executors keep dying before they register: {self._start_failures} "
                               f"starts in a row failed and no executor is alive (last: executor "
                               f"{executor_id} {reason}; spark.deploy.maxExecutorRetries="
                               f"{self.max_start_failures}); see their output above")
            return
        if registered:
            log.warning("executor %s %s; starting a replacement", executor_id, reason)
            self._spawn(profile)
        else:
            log.warning("executor %s %s before it registered (%d in a row); starting a replacement "
                        "in %.1f s", executor_id, reason, self._start_failures, delay)
            with self._lock:
                self._respawn_at.append((time.monotonic() + delay, profile))

    def describe_loss(self, executor_id: str, wait: float = 1.0) -> str | None:
        """How the executor's process ended, waiting up to ``wait`` s for it to (its stream
        closing is usually the first sign of its death); None if it is still running."""
        with self._lock:
            proc = self._procs.get(executor_id)
            reaped = self._exits.get(executor_id)
        if proc is None:
            return reaped
        try:
            return describe_exit(proc.wait(wait))
        except subprocess.TimeoutExpired:
            return None

    # ------------------------------------------------------------------ stage-level scheduling

    def want_profile_executors(self, profile: Any, tasks: int) -> str | None:
        """A stage needs executors of ``profile``: start them unless some run (scheduler thread).
        Returns why they can never be started, or None."""
        cores, amounts = profile_executor_shape(profile, self.cores)
        for name in amounts:
            if name not in self._pool.total:  # first use of a resource only profiles ask for
                key = f"spark.executor.resource.{name}.discoveryScript"
                script = profile.executorResources[name].discoveryScript or self._raw.get(key, "")
                if not script:
                    return (f"executors of ResourceProfile {profile.id} need {name}, but neither the "
                            f"profile nor {key} names a discovery script")
                try:
                    found = run_discovery_script(name, script, key)
                except ConfigError as exc:
                    return str(exc)
                with self._lock:
                    self._pool.add(name, found)
        with self._lock:
            running = sum(1 for eid, p in self._profile_of.items()
                          if p.id == profile.id and eid not in self._retiring)
            default_held: dict[str, int] = {}
            for eid, given in self._given.items():
                if eid not in self._profile_of:
                    for name, addresses in given.items():
                        default_held[name] = default_held.get(name, 0) + len(addresses)
        for name, amount in amounts.items():
            usable = len(self._pool.total.get(name, [])) - default_held.get(name, 0)
            if usable < amount:
                return (f"executors of ResourceProfile {profile.id} need {amount:g} {name} each, but "
                        f"this machine has {usable} {name} address(es) not held by the default "
                        f"executors (spark.executor.resource.{name}.* and its discovery script)")
        want = min(self.num_executors, max(1, tasks)) - running
        for _ in range(max(0, want)):
            with self._lock:
                fits = self._pool.can_take(amounts)
            if not fits and running:
                break  # the ones running serve the stage; more start as addresses free up
            self._spawn(profile)
            running += 1
        return None

    def retire_executor(self, executor_id: str) -> None:
        """Stop an idle profile executor for good (it is not replaced)."""
        with self._lock:
            self._retiring.add(executor_id)
        self.endpoint.remove_executor(executor_id, "idle (spark.dynamicAllocation.executorIdleTimeout)")

    def executor_lost(self, executor_id: str, reason: str) -> None:
        """The driver gave up on this executor: make sure its process is gone (the monitor replaces it)."""
        with self._lock:
            proc = self._procs.get(executor_id)
        if proc is not None and proc.poll() is None:
            proc.kill()

    def process_ids(self) -> dict[str, int]:
        with self._lock:
            procs = list(self._procs.items())
        pids = {eid: launch.pid_of(p) for eid, p in procs}
        return {eid: pid for eid, pid in pids.items() if pid}

    def stop(self) -> None:
        self._stopping.set()
        if self._monitor.is_alive():
            # no replacement may be spawned after the process list below is taken
            self._monitor.join(5.0)
        self.endpoint.stop()
        deadline = time.monotonic() + 5.0
        with self._lock:
            procs = list(self._procs.values())
        for proc in procs:
            try:
                proc.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5.0)
        with self._lock:
            self._procs.clear()
        self._launcher.close()

    def describe(self) -> dict[str, Any]:
        return {"executors": sorted(self.endpoint.executors), "processes": self.process_ids()}

