"""Stopping running task threads: TaskKilled, delivered as an asynchronous exception.

Why this way: tasks run on threads of the executor process, and its cached
blocks must survive a cancelled job, so killing a task cannot mean killing
the process. CPython raises an asynchronous exception
(``PyThreadState_SetAsyncExc``) in a thread the next time that thread runs
bytecode: a Python loop stops within microseconds, but a thread blocked in a
C call stops only when the call returns. The blocking call tasks make most
(polling, throttling, the classic ``map(lambda x: time.sleep(60))`` demo) is
``time.sleep``, so :func:`install_interruptible_sleep` makes ``time.sleep``
inside a task thread a wait on the task's kill event. Other blocking calls
(a socket read, a subprocess wait) end the task when they return.

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
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from sparklite.errors import TaskKilled

_original_sleep = time.sleep
_KILLED = object()


@dataclass
class _Running:
    ident: int
    event: threading.Event = field(default_factory=threading.Event)
    killed: bool = False


def _set_async_exc(ident: int, exc: Any) -> None:
    """Schedule ``exc`` (a type) in thread ``ident``; ``None`` withdraws a scheduled one."""
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident),
                                               None if exc is None else ctypes.py_object(exc))


class TaskKills:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tasks: dict[int, _Running] = {}
        #: thread ident -> kill event of the task it runs (read without the lock by sleep())
        self._events: dict[int, threading.Event] = {}

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
                        self._events[running.ident] = running.event
                    state = 1
                if state == 1:
                    state = 2
                    outcome = body()
                with self._lock:
                    self._tasks.pop(task_id, None)
                    self._events.pop(running.ident, None)
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
        if not running.killed:
            running.killed = True
            _set_async_exc(running.ident, TaskKilled)
            running.event.set()  # wakes an interruptible sleep; the exception follows at once

    def running_ids(self) -> list[int]:
        with self._lock:
            return list(self._tasks)

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` that returns early when the calling task thread is killed."""
        event = self._events.get(threading.get_ident())
        if event is None or not isinstance(seconds, (int, float)) or seconds < 0:
            _original_sleep(seconds)  # not a task thread, or let time.sleep report the bad value
            return
        event.wait(seconds)


def install_interruptible_sleep(kills: TaskKills) -> None:
    """Route ``time.sleep`` through ``kills`` (once per executor process, before any task runs)."""
    time.sleep = kills.sleep
