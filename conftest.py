"""Shared fixtures: a session-wide local[2] context, fresh contexts, leak checks, doctest `sc`.

Markers: ``fault`` (kills processes on purpose; runs in CI), ``slow`` (soak and
scale runs; excluded by default, run with ``pytest -m slow``), ``ray`` (against a
real local Ray; its own lane: ``pytest -m ray``).
"""
from __future__ import annotations

import os
from typing import Any, Callable, Iterator

import psutil
import pytest

from sparklite import SparkConf, SparkContext

# Ray (the ray lane) must not report usage to an outside server, and must keep every address
# it binds and advertises on loopback (Ray otherwise resolves 127.0.0.1 to the host's address)
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

#: every test context may coexist with the shared one; test-only keys are honoured
BASE_CONF = {
    "sparklite.driver.allowMultipleContexts": "true",
    "sparklite.testing": "true",
    "spark.app.name": "sparklite-tests",
    "spark.ui.port": "0",  # every test context gets its own free port (tests run side by side)
}


def _start(master: str, conf: dict[str, str]) -> SparkContext:
    spark_conf = SparkConf(loadDefaults=False).setAll(BASE_CONF.items()).setAll(conf.items())
    return SparkContext(master, conf=spark_conf)


_shared: dict[str, SparkContext] = {}


def shared_context(kind: str = "local") -> SparkContext:
    """The session's shared local[2] context; kind "grpc" forces every shuffle fetch through gRPC."""
    if kind not in _shared:
        conf = {"sparklite.shuffle.forceRemoteFetch": "true"} if kind == "grpc" else {}
        _shared[kind] = _start("local[2]", conf)
    return _shared[kind]


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    for context in _shared.values():
        context.stop()
    _shared.clear()


@pytest.fixture(scope="session")
def sc() -> SparkContext:
    return shared_context("local")


@pytest.fixture(scope="session", params=["local", "grpc"])
def any_sc(request: Any) -> SparkContext:
    """The shared context, then one whose shuffles all go through the executors' gRPC block service."""
    return shared_context(request.param)


@pytest.fixture
def context_factory() -> Iterator[Callable[..., SparkContext]]:
    """Start private contexts (stopped at teardown): ``context_factory("local[2]", **{"key": "value"})``."""
    started: list[SparkContext] = []

    def start(master: str = "local[2]", conf: dict[str, str] | None = None) -> SparkContext:
        context = _start(master, dict(conf or {}))
        started.append(context)
        return context

    yield start
    for context in started:
        context.stop()


@pytest.fixture(autouse=True)
def _doctest_sc(request: Any, doctest_namespace: dict[str, Any]) -> None:
    if type(request.node).__name__ == "DoctestItem":
        doctest_namespace["sc"] = shared_context("local")


#: processes that outlive single tests on purpose (a module's browser): they and their children
#: (renderers come and go with pages) are not leaks
LONG_LIVED_ROOTS: set[int] = set()


def _shared_executor_pids() -> set[int]:
    pids: set[int] = set()
    for context in _shared.values():
        pids.update(context._runtime.backend.process_ids().values())
    return pids


def _under(proc: psutil.Process, roots: set[int]) -> bool:
    try:
        return any(parent.pid in roots for parent in proc.parents())
    except psutil.Error:
        return False


def _under_long_lived_root(proc: psutil.Process) -> bool:
    try:
        return any(p.pid in LONG_LIVED_ROOTS for p in [proc, *proc.parents()])
    except psutil.Error:
        return False


@pytest.fixture(autouse=True)
def _no_leaked_processes(request: Any) -> Iterator[None]:
    """After each test, every child process it started must be gone (executors die with their owner).

    In the ray lane, Ray's own daemons (started once per module) keep a pool of worker
    processes; those are Ray's, so processes under a daemon that predates the test are not
    counted (the ray tests check their executor processes themselves)."""
    me = psutil.Process(os.getpid())
    before = {p.pid for p in me.children(recursive=True)}
    ray_roots = before if request.node.get_closest_marker("ray") else set()
    yield
    leaked = [p for p in me.children(recursive=True)
              if p.pid not in before and p.pid not in _shared_executor_pids()
              and not _under_long_lived_root(p) and not _under(p, ray_roots)]
    gone, alive = psutil.wait_procs(leaked, timeout=10)
    if alive:
        for proc in alive:
            proc.kill()
        pytest.fail(f"test left processes running: {[p.pid for p in alive]}")
