"""Starting executor processes on this machine (local mode).

SparkContext makes a :class:`LocalLauncher` first thing in its start-up, before
the driver imports gRPC and builds its RPC server, so that executor start-up
overlaps the driver's own (issue 15: start-up):

* where it can (Linux, ``sparklite.executor.forkServer``), the launcher starts
  one template process (``forkserver.py``) that imports the executor's modules
  once and forks each executor when the driver's address is known: local[N]
  pays one interpreter's imports, not N;
* otherwise it starts each executor, ``python -m sparklite.executor --driver -``,
  at once, and the executor reads the driver's address from its stdin once the
  server listens (closing the pipe first makes it exit quietly).

Executors started later (replacements for lost ones, executors of a stage's
ResourceProfile) go the same way.

Resources (``spark.executor.resource.<name>.*``): the launcher runs each
discovery script once, when it is made, and gives every executor its own
``amount`` addresses from what was found (``--resources``); the addresses of an
executor that ended go back to the pool (``release``). Too few addresses for
``local[N]`` fails at start naming the key.

The application's secret travels in the environment, never on the command line
(any local user can read argv with ps). Executors hash ``str`` with
``PYTHONHASHSEED=0``, as PySpark's workers do, and get the driver's import paths; each
keeps its stdout/stderr under the app dir (``output_tee.py``) for the web UI's log pages.

THREADING: LocalBackend serialises calls with its lock.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any, Mapping

from sparklite.errors import ConfigError
from sparklite.resource_discovery import AddressPool, discover, resource_requests

from sparklite.executor import output_tee

#: what ``--driver`` says when the address will arrive on stdin
ADDRESS_ON_STDIN = "-"

#: allocator settings for executors (the environment may override them), so that what a
#: cached block costs the process is close to what its Arrow buffers hold (issue 15):
#: - glibc raises its mmap threshold each time a large block is freed, after which cached
#:   blocks' buffers and transient fetch/frame buffers share the heap and the holes between
#:   them stay resident (a cached int cost 16 bytes instead of 8); a fixed threshold keeps
#:   large buffers in their own mappings, returned when freed;
#: - Arrow's default pool here (mimalloc) kept 2.3x the bytes of string columns it built
#:   resident; the system allocator keeps 1.2x.
ALLOCATOR_ENV = {"MALLOC_MMAP_THRESHOLD_": "65536", "MALLOC_TRIM_THRESHOLD_": "131072",
                 "ARROW_DEFAULT_MEMORY_POOL": "system"}


def executor_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` (a copy of the parent's, say) with what every executor process gets."""
    for key, value in ALLOCATOR_ENV.items():
        env.setdefault(key, value)
    env["PYTHONHASHSEED"] = "0"  # every executor hashes alike (see sparklite.hashing)
    return env


def user_paths() -> list[str]:
    """Import paths of the driver beyond the interpreter's own, so executors can import what
    the driver imports (modules next to the user's script, a test suite's packages)."""
    own = tuple(p for p in {sys.prefix, sys.base_prefix, sys.exec_prefix} if p)
    paths = [os.getcwd()] + [p for p in sys.path if p and not p.startswith(own)]
    paths += [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    return list(dict.fromkeys(os.path.abspath(p) for p in paths))


def extra_env(settings: Any) -> dict[str, str]:
    """Environment the configuration asks for: ``spark.executorEnv.*`` (and test hooks)."""
    env = {k[len("spark.executorEnv."):]: v for k, v in settings.raw().items()
           if k.startswith("spark.executorEnv.")}
    if settings.test_flag("sparklite.test.crashExecutorsOnStart") == "true":
        env["SPARKLITE_TEST_CRASH_ON_START"] = "1"
    return env


def process_env(secret: str, env_extra: dict[str, str]) -> dict[str, str]:
    """The environment of this application's local executors."""
    from sparklite.rpc.security import SECRET_ENV

    env = dict(os.environ)
    env.update(env_extra)
    env[SECRET_ENV] = secret
    executor_env(env)
    env["PYTHONPATH"] = os.pathsep.join(user_paths())
    return env


class LocalLauncher:
    """Starts one application's local executors (see the module docstring)."""

    def __init__(self, num_executors: int, cores: int, app_id: str, app_dir: str, secret: str,
                 env_extra: dict[str, str], fork_server: bool = True,
                 raw_conf: Mapping[str, str] | None = None):
        self.cores = cores
        self.app_id = app_id
        self.app_dir = app_dir
        raw = dict(raw_conf or {})
        #: spark.executor.resource.<name>.amount of the default executors
        self.resource_amounts = {n: r.amount for n, r in resource_requests(raw, "executor").items()}
        #: this machine's addresses (discovered once); each executor holds its own
        self.pool = AddressPool(discover(raw, "executor"))
        for name, amount in self.resource_amounts.items():
            have = self.pool.total.get(name, [])
            if amount * num_executors > len(have):
                raise ConfigError(
                    f"spark.executor.resource.{name}.amount={amount:g} for {num_executors} local "
                    f"executors needs {int(amount * num_executors)} distinct {name} addresses, but "
                    f"discovery found {len(have)}: {have}")
        #: executor id -> the addresses it was given
        self.given: dict[str, dict[str, list[str]]] = {}
        self._env = process_env(secret, env_extra)
        self._server: Any = None
        #: executors started before the driver's address existed (waiting on stdin)
        self._early: list[subprocess.Popen] = []
        if fork_server:
            from sparklite.executor import forkserver

            if forkserver.available():
                self._server = forkserver.ForkServer(self._env)
        if self._server is None:
            self._early = [self._spawn(str(i), None) for i in range(num_executors)]

    def start(self, driver_address: str, count: int) -> list[Any]:
        """The first ``count`` executors (ids "0", "1", ...), told where the driver listens."""
        procs: list[Any] = []
        for proc in self._early:
            send_address(proc, driver_address)
            procs.append(proc)
        self._early = []
        while len(procs) < count:
            procs.append(self.launch(str(len(procs)), driver_address))
        # the first job pickles its stage with cloudpickle: import it while the executors start
        import cloudpickle  # noqa: F401

        for proc in procs:  # the processes exist when SparkContext() returns, as spawned ones do
            pid_of(proc)
        return procs

    def launch(self, executor_id: str, driver_address: str, env_extra: dict[str, str] | None = None,
               shape: tuple[int, dict[str, float], int] | None = None) -> Any:
        """Start one executor (a Popen, or a forkserver.ForkedProcess); with ``env_extra`` (test
        hooks for one executor) a spawned interpreter, since forked ones share the template's.
        ``shape`` = (cores, resource amounts, profile id) of an executor for a ResourceProfile."""
        if self._server is not None and self._server.alive and not env_extra:
            child = self._server.fork(self._args(executor_id, driver_address, self._server.pid, shape))
            if child is not None:
                return child
            self.release(executor_id)  # _spawn takes its addresses again
        return self._spawn(executor_id, driver_address, env_extra, shape)

    def release(self, executor_id: str) -> None:
        """The executor ended: its resource addresses are free for the next one."""
        self.pool.give_back(self.given.pop(executor_id, {}))

    def _args(self, executor_id: str, driver_address: str, parent_pid: int,
              shape: tuple[int, dict[str, float], int] | None = None) -> list[str]:
        cores, amounts, profile_id = shape or (self.cores, self.resource_amounts, 0)
        given = self.pool.take(amounts) or {}  # short only for a profile: it runs with what fits
        self.given[executor_id] = given
        return ["--driver", driver_address, "--executor-id", executor_id, "--cores", str(cores),
                "--app-id", self.app_id, "--local-dir", self.app_dir, "--host", "127.0.0.1",
                "--parent-pid", str(parent_pid), "--resources", json.dumps(given),
                "--profile-id", str(profile_id),
                "--log-dir", output_tee.log_dir_of(self.app_dir, executor_id)]

    def _spawn(self, executor_id: str, driver_address: str | None,
               env_extra: dict[str, str] | None = None,
               shape: tuple[int, dict[str, float], int] | None = None) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "sparklite.executor",
               *self._args(executor_id, driver_address or ADDRESS_ON_STDIN, os.getpid(), shape)]
        stdin = subprocess.DEVNULL if driver_address else subprocess.PIPE
        env = {**self._env, **env_extra} if env_extra else self._env
        return subprocess.Popen(cmd, env=env, stdin=stdin, close_fds=True)

    @property
    def template_pid(self) -> int | None:
        return self._server.pid if self._server is not None else None

    def close(self) -> None:
        """After the executors are gone: end the template, and executors never told an address."""
        abandon(self._early)
        self._early = []
        if self._server is not None:
            self._server.close()
            self._server = None


def pid_of(proc: Any, timeout: float = 30.0) -> int:
    """An executor's pid; a forked one's once the template says it (bounded wait)."""
    known = getattr(proc, "known_pid", None)
    return known(timeout) if known is not None else proc.pid


def send_address(proc: subprocess.Popen, address: str) -> None:
    """Tell an executor started without an address where the driver listens."""
    if proc.stdin is None:
        return
    try:
        proc.stdin.write(f"{address}\n".encode())
        proc.stdin.close()
    except (BrokenPipeError, ValueError, OSError):
        pass  # it died already; the backend's monitor reaps it


def abandon(procs: list[subprocess.Popen]) -> None:
    """End executors started early whose driver failed to start (closing stdin ends them)."""
    for proc in procs:
        try:
            if proc.stdin is not None:
                proc.stdin.close()
        except OSError:
            pass
    for proc in procs:
        try:
            proc.wait(5.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5.0)
