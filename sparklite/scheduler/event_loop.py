"""The scheduler thread: one queue of events, handled one at a time.

Every mutation of DAGScheduler/TaskScheduler state happens in ``handler``
on this thread, which is what lets those classes go without locks. Timers
(resubmitting failed stages, locality waits, heartbeat checks) are delayed
events kept in a heap and fed through the same queue. ``SyncEventLoop``
handles each event inside ``post`` for tests that drive the scheduler by hand.

A handler that raises never ends the loop, and is never only logged: ``on_error`` is told
(Spark's ``DAGSchedulerEventProcessLoop.onError``), and the Runtime fails the jobs the event
concerns, so no action waits for an answer that will not come. ``error`` keeps the last
such exception and ``died`` the one that ended the thread, if any (the driver's waits check
:attr:`is_running`).
"""
from __future__ import annotations

import heapq
import itertools
import logging
import queue
import threading
import time
from typing import Any, Callable

log = logging.getLogger(__name__)

_STOP = object()


class EventLoop:
    def __init__(self, name: str, handler: Callable[[Any], None],
                 on_error: Callable[[Any, BaseException], None] | None = None):
        self._handler = handler
        self._on_error = on_error
        self._queue: queue.Queue[Any] = queue.Queue()
        self._timers: list[tuple[float, int, Any]] = []
        self._timer_seq = itertools.count()
        self._timer_lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._stopped = threading.Event()
        #: the last exception a handler raised
        self.error: BaseException | None = None
        #: what ended the thread other than stop() (a bug in the loop itself)
        self.died: BaseException | None = None

    def start(self) -> None:
        self._thread.start()

    def post(self, event: Any) -> None:
        self._queue.put(event)

    def post_delayed(self, delay: float, event: Any) -> None:
        with self._timer_lock:
            heapq.heappush(self._timers, (time.monotonic() + delay, next(self._timer_seq), event))
        self._queue.put(None)  # wake the loop so it recomputes its timeout

    def stop(self, timeout: float = 10.0) -> None:
        self._queue.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def is_running(self) -> bool:
        return self._thread.is_alive()

    def on_thread(self) -> bool:
        return threading.current_thread() is self._thread

    def _next_timeout(self) -> float | None:
        with self._timer_lock:
            if not self._timers:
                return None
            return max(0.0, self._timers[0][0] - time.monotonic())

    def _due_timers(self) -> list[Any]:
        now = time.monotonic()
        due = []
        with self._timer_lock:
            while self._timers and self._timers[0][0] <= now:
                due.append(heapq.heappop(self._timers)[2])
        return due

    def _run(self) -> None:
        try:
            self._serve()
        except BaseException as exc:  # recorded: the driver's waits see the thread is gone
            self.died = exc
            log.critical("the scheduler thread %s died", self._thread.name, exc_info=True)
        finally:
            self._stopped.set()

    def _serve(self) -> None:
        while True:
            try:
                event = self._queue.get(timeout=self._next_timeout())
            except queue.Empty:
                event = None
            if event is _STOP:
                break
            batch = self._due_timers()
            if event is not None:
                batch.append(event)
            for item in batch:
                try:
                    self._handler(item)
                except BaseException as exc:  # the loop must survive a bug in one handler
                    self.error = exc
                    log.error("scheduler event %s failed", type(item).__name__, exc_info=True)
                    self._report(item, exc)

    def _report(self, event: Any, exc: BaseException) -> None:
        if self._on_error is None:
            return
        try:
            self._on_error(event, exc)
        except BaseException:
            log.critical("handling the failure of scheduler event %s failed too",
                         type(event).__name__, exc_info=True)


class SyncEventLoop:
    """Handles events synchronously inside ``post``; timers fire on ``run_timers``."""

    def __init__(self, handler: Callable[[Any], None]):
        self._handler = handler
        self.timers: list[tuple[float, Any]] = []

    def start(self) -> None:
        pass

    def post(self, event: Any) -> None:
        self._handler(event)

    def post_delayed(self, delay: float, event: Any) -> None:
        self.timers.append((delay, event))

    def run_timers(self) -> None:
        timers, self.timers = self.timers, []
        for _, event in timers:
            self._handler(event)

    def stop(self, timeout: float = 0) -> None:
        pass

    def on_thread(self) -> bool:
        return True
