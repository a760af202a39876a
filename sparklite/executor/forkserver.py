"""A template process that forks local executors: the imports are paid once, not per executor.

``python -m sparklite.executor.forkserver CONTROL_FD EVENTS_FD`` imports what an
executor and its first tasks need (gRPC, protobuf, the executor, the RDD and
shuffle modules, cloudpickle), then forks one child per request: the child runs
``sparklite.executor.__main__.main`` with the request's arguments, the same
code a spawned executor runs. Forking is safe because the template never makes
a gRPC channel or server and starts no thread: gRPC's core is initialised, and
its threads started, in each child, after the fork (gRPC and fork do not mix in
a process that has live channels). Starting local[2] then costs one
interpreter's imports instead of two, on a machine where the driver imports at
the same time (issue 15: start-up).

Protocol (lines over two pipes): the driver writes ``fork <json argv>``; the
template answers ``forked <pid>`` in request order, and ``exit <pid> <code>``
whenever a child ends (it reaps them: SIGCHLD wakes its select loop). When the
driver closes the control pipe (or dies) the template exits; children it leaves
see their parent change and exit too (the executor's parent watchdog).

The driver side is :class:`ForkServer`, whose children are
:class:`ForkedProcess` objects with the part of ``subprocess.Popen``'s interface
LocalBackend uses (``pid``, ``poll``, ``wait``, ``kill``, ``returncode``).

THREADING (driver side): ``fork`` from any thread (serialised by a lock); one
reader thread applies the template's answers.
"""
from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from typing import Any

#: what a child runs first (and the template imports before it forks)
_PRELOAD = ("grpc", "sparklite.rpc.generated.sparklite_pb2", "sparklite.executor.executor",
            "sparklite.executor.task_kill", "sparklite.executor.task_runner", "sparklite.rdd",
            "sparklite.rdd.pipelined", "sparklite.rdd.shuffled", "sparklite.rdd.sources",
            "sparklite.shuffle.writer", "sparklite.shuffle.reader", "sparklite.scheduler.task",
            "cloudpickle")


def available() -> bool:
    """Whether executors can be forked here (Linux: fork without the macOS caveats)."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


# ====================================================================== driver side


class ForkedProcess:
    """An executor forked by the template: what LocalBackend needs of ``subprocess.Popen``."""

    def __init__(self) -> None:
        self.pid = 0  # known once the template answers
        self.returncode: int | None = None
        self._known = threading.Event()
        self._done = threading.Event()
        self._kill_asked = False
        self.stdin = None

    def _forked(self, pid: int) -> None:
        self.pid = pid
        self._known.set()
        if self._kill_asked:
            self.kill()

    def _exited(self, code: int) -> None:
        if self.returncode is None:
            self.returncode = code
        self._known.set()
        self._done.set()

    def known_pid(self, timeout: float) -> int:
        """The pid, waiting up to ``timeout`` for the template to answer (0 if it did not)."""
        self._known.wait(timeout)
        return self.pid

    def poll(self) -> int | None:
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        if not self._done.wait(timeout):
            raise subprocess.TimeoutExpired("executor", timeout or 0.0)
        return self.returncode  # type: ignore[return-value]

    def kill(self) -> None:
        if self._done.is_set():
            return
        if not self.pid:
            self._kill_asked = True  # killed as soon as its pid is known
            return
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass

    terminate = kill


class ForkServer:
    """The driver's handle on the template process."""

    def __init__(self, env: dict[str, str]):
        control_r, control_w = os.pipe()
        events_r, events_w = os.pipe()
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "sparklite.executor.forkserver", str(control_r), str(events_w)],
                env=env, stdin=subprocess.DEVNULL, pass_fds=(control_r, events_w), close_fds=True)
        finally:
            os.close(control_r)
            os.close(events_w)
        self.pid = self._proc.pid
        self._control = os.fdopen(control_w, "wb", buffering=0)
        self._events = os.fdopen(events_r, "rb")
        self._lock = threading.Lock()
        self._pending: deque[ForkedProcess] = deque()
        self._children: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, int] = {}
        self._alive = True
        self._reader = threading.Thread(target=self._read, name="forkserver-events", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return self._alive

    def fork(self, argv: list[str]) -> ForkedProcess | None:
        """A new executor running ``argv``; None if the template is gone."""
        child = ForkedProcess()
        line = ("fork " + json.dumps(argv) + "\n").encode()
        with self._lock:
            if not self._alive:
                return None
            try:
                self._control.write(line)
            except OSError:
                self._alive = False
                return None
            self._pending.append(child)
        return child

    def _read(self) -> None:
        for raw in self._events:
            kind, _, rest = raw.decode().strip().partition(" ")
            with self._lock:
                if kind == "forked" and self._pending:
                    child = self._pending.popleft()
                    pid = int(rest)
                    self._children[pid] = child
                    code = self._early_exits.pop(pid, None)
                    child._forked(pid)
                    if code is not None:
                        child._exited(code)
                elif kind == "exit":
                    pid_text, _, code_text = rest.partition(" ")
                    pid, code = int(pid_text), int(code_text)
                    known = self._children.pop(pid, None)
                    if known is not None:
                        known._exited(code)
                    else:
                        self._early_exits[pid] = code
        # the template is gone: nobody reports exits any more; its children, orphaned, exit
        # by themselves (parent watchdog), and are watched for here
        with self._lock:
            self._alive = False
            orphans = list(self._children.values())
            pending, self._pending = list(self._pending), deque()
        for child in pending:
            child._exited(1)
        for child in orphans:
            threading.Thread(target=_watch_orphan, args=(child,), name="forkserver-orphan", daemon=True).start()

    def close(self, timeout: float = 5.0) -> None:
        """End the template (call when its children are gone or being stopped)."""
        with self._lock:
            self._alive = False
            try:
                self._control.close()
            except OSError:
                pass
        try:
            self._proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait(timeout)
        self._reader.join(timeout)
        self._events.close()


def _watch_orphan(child: ForkedProcess) -> None:
    while child.returncode is None:
        try:
            os.kill(child.pid, 0)
        except ProcessLookupError:
            child._exited(-signal.SIGKILL)
            return
        except PermissionError:
            pass
        time.sleep(0.1)


# ====================================================================== template side


def main(argv: list[str]) -> int:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    control_fd, events_fd = int(argv[0]), int(argv[1])
    import importlib

    for name in _PRELOAD:
        importlib.import_module(name)
    wake_r, wake_w = os.pipe()
    os.set_blocking(wake_w, False)
    signal.set_wakeup_fd(wake_w)
    signal.signal(signal.SIGCHLD, lambda *_: None)
    events = os.fdopen(events_fd, "wb", buffering=0)
    pending = b""
    while True:
        try:
            ready, _, _ = select.select([control_fd, wake_r], [], [])
        except InterruptedError:
            continue
        if wake_r in ready:
            os.read(wake_r, 4096)
            _reap(events)
        if control_fd in ready:
            data = os.read(control_fd, 65536)
            if not data:
                break  # the driver is done (or dead)
            pending += data
            while b"\n" in pending:
                line, _, pending = pending.partition(b"\n")
                kind, _, payload = line.decode().partition(" ")
                if kind == "fork":
                    pid = _fork(json.loads(payload), (control_fd, events_fd, wake_r, wake_w))
                    _send(events, f"forked {pid}")
        _reap(events)
    _reap(events)
    return 0


def _fork(args: list[str], close: tuple[int, ...]) -> int:
    pid = os.fork()
    if pid:
        return pid
    code = 1
    try:  # the child: an executor, as ``python -m sparklite.executor args``
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        for fd in close:
            os.close(fd)
        from sparklite.executor.__main__ import main as executor_main

        code = executor_main(args)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        import traceback

        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _reap(events: Any) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(events, f"exit {pid} {os.waitstatus_to_exitcode(status)}")


def _send(events: Any, line: str) -> None:
    try:
        events.write((line + "\n").encode())
    except OSError:
        pass  # the driver is gone; the loop ends when the control pipe closes


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)  # nothing to clean up: skip tearing down the modules it imported (~50 ms)
