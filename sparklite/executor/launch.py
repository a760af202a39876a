"""Starting executor processes on this machine (local mode): ``python -m sparklite.executor``.

The driver starts its executors first thing in SparkContext start-up, before it
imports gRPC and builds its RPC server, so the executors' interpreter start and
imports run while the driver sets itself up (issue 15: start-up). Such an
executor is started with ``--driver -`` and reads the driver's address from its
stdin, which :func:`send_address` writes once the server listens; if the driver
fails before that, closing the pipe makes the executor exit quietly.

The application's secret travels in the environment, never on the command line
(any local user can read argv with ps). Executors hash ``str`` with
``PYTHONHASHSEED=0``, as PySpark's workers do, and get the driver's import paths.

THREADING: none of its own; LocalBackend serialises calls with its lock.
"""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

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


def launch(executor_id: str, cores: int, app_id: str, app_dir: str, secret: str,
           env_extra: dict[str, str], driver_address: str | None = None) -> subprocess.Popen:
    """Start one executor; without ``driver_address`` it waits for :func:`send_address`."""
    from sparklite.rpc.security import SECRET_ENV

    env = dict(os.environ)
    env.update(env_extra)
    env[SECRET_ENV] = secret
    executor_env(env)
    env["PYTHONPATH"] = os.pathsep.join(user_paths())
    cmd = [sys.executable, "-m", "sparklite.executor", "--driver", driver_address or ADDRESS_ON_STDIN,
           "--executor-id", executor_id, "--cores", str(cores), "--app-id", app_id,
           "--local-dir", app_dir, "--host", "127.0.0.1", "--parent-pid", str(os.getpid())]
    stdin = subprocess.DEVNULL if driver_address else subprocess.PIPE
    return subprocess.Popen(cmd, env=env, stdin=stdin, close_fds=True)


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
