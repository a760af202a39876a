"""Stopping running task threads: TaskKilled, delivered as an asynchronous exception.

Why this way: tasks run on threads of the executor process, and its cached
blocks must survive a cancelled job, so killing a task cannot mean killing
the process. CPython raises an asynchronous exception
(``PyThreadState_SetAsyncExc``) in a thread the next time that thread runs
bytecode: a Python loop stops within microseconds, but a thread blocked in a
C call stops only when the call returns. The blocking call tasks make most
(polling, throttling, the classic ``map(lambda x: time.sleep(60))`` demo) is
``time.sleep``, so :func:`install_task_hooks` makes ``time.sleep``
inside a task thread a wait on the task's kill event. Other blocking calls
(a socket read, a subprocess wait) end the task when they return.

CPython delivers the exception to the first thread state carrying the target
thread id, and a thread being started carries its creator's id until it runs:
an injection at that moment would strike the new thread (a pipe's feeder, a
user's worker thread) and the task itself would run on. So
:func:`install_task_hooks` also wraps ``threading.Thread.start``: while a task
thread starts a thread, a kill is held back and delivered as soon as the start
returns. Engine code that must not be torn between two statements (starting a
pipe's process and the threads that tend it) holds kills with
:func:`kills_held` the same way.

Exactly-once accounting: the executor must report one status per launched
attempt, and a kill must never leak into the next task the pool thread runs.
A task is killable only while registered here; :meth:`TaskKills.kill`
injects at most once, under the lock, and only into a registered task; the
thread unregisters under the same lock and withdraws an injection not yet
delivered. :meth:`TaskKills.run` is written so that the exception landing at
any point between registering and unregistering is caught (see the comments
there).

THREADING: ``run`` is called on task threads, ``kill`` on the executor's
message thread, ``running_ids`` on the heartbeat thread; ``_lock`` guards
``_tasks``.
"""
from __future__ import annotations

import ctypes
import sys
import threading
import time
import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from sparklite.errors import TaskKilled

_original_sleep = time.sleep
_KILLED = object()


@dataclass
class _Running:
    ident: int
    event: threading.Event = field(default_factory=threading.Event)
    killed: bool = False
    #: open holds (thread starts, set-up sections); a kill waits for them (see the module notes)
    holds: int = 0
    deferred: bool = False


def _set_async_exc(ident: int, exc: Any) -> None:
    """Schedule ``exc`` (a type) in thread ``ident``; ``None`` withdraws a scheduled one."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident),
                                               None if exc is None else ctypes.py_object(exc))


class TaskKills:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[int, _Running] = {}
        #: thread ident -> the task it runs (read without the lock by sleep())
        self._threads: dict[int, _Running] = {}

    def run(self, task_id: int, body: Callable[[], Any], on_killed: Callable[[], Any]) -> Any:
        """``body()``'s value, or ``on_killed()`` if the task was killed before it returned one."""
        running = _Running(threading.get_ident())
        outcome: Any = _KILLED
        # 0: register, 1: run the body, 2: unregister, 3: done. TaskKilled can arrive only
        # between registering and unregistering, and at most once; wherever it lands, the
        # handler moves on without running the body (again) and the loop unregisters.
        state = 0
        while state != 3:
            try:
                if state == 0:
                    with self._lock:
                        self._tasks[task_id] = running
                        self._threads[running.ident] = running
                    state = 1
                if state == 1:
                    state = 2
                    outcome = body()
                with self._lock:
                    self._tasks.pop(task_id, None)
                    self._threads.pop(running.ident, None)
                    if running.killed:
                        _set_async_exc(running.ident, None)
                    state = 3
            except TaskKilled:
                state = max(state, 2)
        return on_killed() if outcome is _KILLED else outcome

    def kill(self, task_id: int) -> bool:
        """Stop the task if it is running here; False if it is not (finished, or never started)."""
        with self._lock:
            running = self._tasks.get(task_id)
            if running is None:
                return False
            self._inject(running)
            return True

    @staticmethod
    def _inject(running: _Running) -> None:
        """Call with ``_lock`` held."""
        if running.killed:
            return
        if running.holds:
            running.deferred = True  # delivered by release()
            return
        running.killed = True
        _set_async_exc(running.ident, TaskKilled)
        running.event.set()  # wakes an interruptible sleep; the exception follows at once

    def hold(self) -> None:
        """Hold kills of the calling task thread back until :meth:`release` (nestable)."""
        with self._lock:
            running = self._threads.get(threading.get_ident())
            if running is not None:
                running.holds += 1

    def release(self) -> None:
        """End a :meth:`hold`; a kill that came meanwhile is delivered now."""
        with self._lock:
            running = self._threads.get(threading.get_ident())
            if running is not None and running.holds:
                running.holds -= 1
                if running.deferred and not running.holds:
                    running.deferred = False
                    self._inject(running)

    def running_ids(self) -> list[int]:
        with self._lock:
            return list(self._tasks)

    def stack_of(self, task_id: int) -> str | None:
        """Where the task's thread is now (the reaper's thread dump), or None if it ended."""
        with self._lock:
            running = self._tasks.get(task_id)
        frame = None if running is None else sys._current_frames().get(running.ident)
        return None if frame is None else "".join(traceback.format_stack(frame))

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` that returns early when the calling task thread is killed."""
        running = self._threads.get(threading.get_ident())
        if running is None or not isinstance(seconds, (int, float)) or seconds < 0:
            _original_sleep(seconds)  # not a task thread, or let time.sleep report the bad value
            return
        running.event.wait(seconds)


def install_task_hooks(kills: TaskKills) -> None:
    """Make ``time.sleep`` interruptible and ``Thread.start`` kill-safe in task threads.

    Once per executor process, before any task runs.
    """
    global _installed
    _installed = kills
    time.sleep = kills.sleep
    original_start = threading.Thread.start

    def start(thread: threading.Thread) -> None:
        with kills_held():
            original_start(thread)

    threading.Thread.start = start  # type: ignore[method-assign]


_installed: TaskKills | None = None


@contextmanager
def kills_held() -> Iterator[None]:
    """Run a block that a kill must not tear in half (starting a process and the threads
    that tend it); a kill that arrives meanwhile strikes right after the block."""
    kills = _installed
    if kills is None:  # not in an executor (or before it runs tasks): nothing to hold back
        yield
        return
    kills.hold()
    try:
        yield
    finally:
        kills.release()
