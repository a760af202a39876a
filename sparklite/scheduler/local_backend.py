"""local[N] / local[*]: N executor processes on this machine, ``spark.executor.cores`` slots each.

Executors are real processes (the GIL rules out threads for CPU work) started
with ``python -m sparklite.executor``; they connect back over loopback gRPC
with the application's secret, which travels in their environment, never on
the command line. A monitor thread reaps processes that exit, and reports how
each ended ("exited with code 3", "killed by signal 9 (SIGKILL) — out of
memory?"). A lost executor is replaced by a new one with a new id (stale
messages from the old id can then never be confused with the new one).

Start failures (Spark's ``spark.deploy.maxExecutorRetries`` rule): replacements
that die before registering are started again after a growing back-off (0.1 s,
doubling, at most 2 s); the application fails only when no executor is alive and
that many starts in a row have failed, never while some executor still works.

Executors ignore SIGINT: Ctrl-C in a terminal goes to the whole foreground
process group, and it must cancel the driver's job, not kill the executors.

An executor's stdout and stderr are kept under the application's scratch dir
(``logs/<executor id>/stdout|stderr``, served by the web UI) and also reach the
driver's own stdout and stderr, stderr lines prefixed ``[executor N]`` so a
warning names the process it came from.
"""
from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from typing import Any, Callable

from sparklite.scheduler.backend import EndpointBackend
from sparklite.rpc.security import SECRET_ENV
from sparklite.scheduler.driver_endpoint import DriverEndpoint
from sparklite.scheduler.observers import executor_log_path

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


def _pump(stream: Any, path: str, fd: int, prefix: bytes) -> None:
    """Copy an executor's output, line by line, to its log file and to the driver's ``fd``."""
    try:
        with open(path, "ab", buffering=0) as log_file:
            for line in iter(stream.readline, b""):
                log_file.write(line)
                try:
                    os.write(fd, prefix + line if prefix else line)
                except OSError:  # the driver's terminal went away: keep the log file
                    pass
    except (OSError, ValueError):
        pass
    finally:
        stream.close()


def _user_paths() -> list[str]:
    """Import paths of the driver beyond the interpreter's own, so executors can import what
    the driver imports (modules next to the user's script, a test suite's packages)."""
    own = tuple(p for p in {sys.prefix, sys.base_prefix, sys.exec_prefix} if p)
    paths = [os.getcwd()] + [p for p in sys.path if p and not p.startswith(own)]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return list(dict.fromkeys(os.path.abspath(p) for p in paths))


class LocalBackend(EndpointBackend):
    def __init__(self, endpoint: DriverEndpoint, fail_app: Callable[[str], None], num_executors: int,
                 app_id: str, app_dir: str, secret: str, extra_env: dict[str, str] | None = None,
                 cores: int = 1, max_start_failures: int = 10, crash_replacements: bool = False):
        super().__init__(endpoint, fail_app)
        self.num_executors = num_executors
        #: task slots per executor (spark.executor.cores)
        self.cores = cores
        self.app_id = app_id
        self.app_dir = app_dir
        self._secret = secret
        self._extra_env = dict(extra_env or {})
        self._driver_address = ""
        self._procs: dict[str, subprocess.Popen] = {}
        self._registered: set[str] = set()
        self._next_id = 0
        #: spark.deploy.maxExecutorRetries
        self.max_start_failures = max_start_failures
        #: executors that died before registering since one last registered
        self._start_failures = 0
        #: monotonic times at which to start a replacement (back-off after start failures)
        self._respawn_at: list[float] = []
        #: executor id -> how its process ended, for recently reaped executors
        self._exits: dict[str, str] = {}
        #: test hook (sparklite.test.crashReplacementExecutors): replacements crash at start
        self._crash_replacements = crash_replacements
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._monitor = threading.Thread(target=self._watch, name="local-backend-monitor", daemon=True)
        self._failed = False

    def default_parallelism(self) -> int:
        return self.num_executors * self.cores

    @property
    def executor_shape(self) -> tuple[int, int]:
        """(executors, cores each): every local executor looks the same (see task_slots.py)."""
        return self.num_executors, self.cores

    def start(self, driver_address: str) -> None:
        self._driver_address = driver_address
        for _ in range(self.num_executors):
            self._spawn()
        self._monitor.start()

    def on_registered(self, executor_id: str) -> None:
        with self._lock:
            self._registered.add(executor_id)
            self._start_failures = 0

    def _spawn(self) -> None:
        with self._lock:
            executor_id = str(self._next_id)
            self._next_id += 1
        env = dict(os.environ)
        env.update(self._extra_env)
        env[SECRET_ENV] = self._secret
        env["PYTHONHASHSEED"] = "0"
        env["PYTHONPATH"] = os.pathsep.join(_user_paths())
        if self._crash_replacements and int(executor_id) >= self.num_executors:
            env["SPARKLITE_TEST_CRASH_ON_START"] = "1"
        cmd = [sys.executable, "-m", "sparklite.executor", "--driver", self._driver_address,
               "--executor-id", executor_id, "--cores", str(self.cores), "--app-id", self.app_id,
               "--local-dir", self.app_dir, "--host", "127.0.0.1", "--parent-pid", str(os.getpid())]
        log_dir = os.path.dirname(executor_log_path(self.app_dir, executor_id, "stderr"))
        os.makedirs(log_dir, exist_ok=True)
        proc = subprocess.Popen(cmd, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, close_fds=True)
        for stream, kind, fd, prefix in ((proc.stdout, "stdout", 1, b""),
                                         (proc.stderr, "stderr", 2, f"[executor {executor_id}] ".encode())):
            threading.Thread(target=_pump, args=(stream, os.path.join(log_dir, kind), fd, prefix),
                             name=f"executor-{executor_id}-{kind}", daemon=True).start()
        with self._lock:
            self._procs[executor_id] = proc
        log.debug("started executor %s (pid %d)", executor_id, proc.pid)

    def _watch(self) -> None:
        while not self._stopping.wait(0.1):
            with self._lock:
                exited = [(eid, p) for eid, p in self._procs.items() if p.poll() is not None]
            for executor_id, proc in exited:
                self._reap(executor_id, proc, describe_exit(proc.returncode))
            now = time.monotonic()
            with self._lock:
                due = [t for t in self._respawn_at if t <= now]
                self._respawn_at = [t for t in self._respawn_at if t > now]
            for _ in due:
                if not self._stopping.is_set():
                    self._spawn()

    def _reap(self, executor_id: str, proc: subprocess.Popen, reason: str) -> None:
        with self._lock:
            if self._procs.get(executor_id) is not proc:
                return
            del self._procs[executor_id]
            self._exits[executor_id] = reason
            if len(self._exits) > 100:
                del self._exits[next(iter(self._exits))]
            registered = executor_id in self._registered
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
            self._spawn()
        else:
            log.warning("executor %s %s before it registered (%d in a row); starting a replacement "
                        "in %.1f s", executor_id, reason, self._start_failures, delay)
            with self._lock:
                self._respawn_at.append(time.monotonic() + delay)

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

    def executor_lost(self, executor_id: str, reason: str) -> None:
        """The driver gave up on this executor: make sure its process is gone (the monitor replaces it)."""
        with self._lock:
            proc = self._procs.get(executor_id)
        if proc is not None and proc.poll() is None:
            proc.kill()

    def process_ids(self) -> dict[str, int]:
        with self._lock:
            return {eid: p.pid for eid, p in self._procs.items()}

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

    def describe(self) -> dict[str, Any]:
        return {"executors": sorted(self.endpoint.executors), "processes": self.process_ids()}
