"""Fault-injection tools that work across processes: park a task, kill its executor, wait.

A task runs in another process, so "fail once" state and "where is it now"
signals live in files under a test's tmp_path. ``Parker.gate`` parks chosen
partitions (the first time only) until the test releases them or kills their
executor; ``wait_parked`` returns the executor's pid, so the kill happens at an
exact moment, never after a sleep-and-hope.
"""
from __future__ import annotations

import os
import pathlib
import signal
import time
from typing import Any, Callable, Iterable, Iterator

from tests.helpers.waiting import wait_until


class Parker:
    def __init__(self, directory: os.PathLike[str] | str):
        self.dir = str(directory)
        os.makedirs(self.dir, exist_ok=True)

    def gate(self, partitions: Iterable[int]) -> Callable[[int, Iterator[Any]], Iterator[Any]]:
        """A mapPartitionsWithIndex function that parks the given partitions once, before reading input."""
        directory, chosen = self.dir, frozenset(partitions)

        def gate(index: int, iterator: Iterator[Any]) -> Iterator[Any]:
            if index in chosen:
                marker = os.path.join(directory, f"parked-{index}")
                if not os.path.exists(marker):
                    with open(marker + ".tmp", "w") as f:
                        f.write(str(os.getpid()))
                    os.replace(marker + ".tmp", marker)
                    release = os.path.join(directory, f"release-{index}")
                    deadline = time.monotonic() + 120
                    while not os.path.exists(release) and time.monotonic() < deadline:
                        time.sleep(0.01)
            yield from iterator

        return gate

    def wait_parked(self, index: int, timeout: float = 60) -> int:
        path = pathlib.Path(self.dir) / f"parked-{index}"
        wait_until(path.exists, timeout, message=f"partition {index} to park")
        return int(path.read_text())

    def release(self, index: int) -> None:
        (pathlib.Path(self.dir) / f"release-{index}").write_text("go")


def kill(pid: int) -> None:
    os.kill(pid, signal.SIGKILL)


def executor_pids(context: Any) -> dict[str, int]:
    return context._runtime.backend.process_ids()


def wait_executor_gone(context: Any, executor_id: str, timeout: float = 30) -> None:
    wait_until(lambda: executor_id not in context._runtime.endpoint.executors, timeout,
               message=f"executor {executor_id} to be removed")


def wait_executors(context: Any, count: int, timeout: float = 30) -> None:
    wait_until(lambda: len(context._runtime.endpoint.executors) == count, timeout,
               message=f"{count} registered executors")


def executor_of_pid(context: Any, pid: int) -> str:
    for executor_id, p in executor_pids(context).items():
        if p == pid:
            return executor_id
    raise LookupError(f"no executor with pid {pid}")
