"""LiveListenerBus: the one stream of listener events, delivered off the scheduler thread.

The scheduler posts Spark's listener events (``listener_events.py``) and goes
on: ``post`` only appends to bounded queues and never blocks or raises. Each
named queue (Spark's groups: ``appStatus`` for the UI store, status tracker,
progress bar and INFO logs; ``eventLog``; ``shared`` for everything else, user
and test listeners included) has its own dispatcher thread, so a slow event-log
file system cannot delay the UI. A full queue drops the event, counts it and
logs a warning (at most once a minute per queue), as Spark's AsyncEventQueue
does. A listener that raises is logged and keeps receiving events.

Listeners are plain objects with some of the methods named by the events'
``handler`` (``on_job_start``, ``on_task_end``...).

Read-your-writes for actions: :meth:`LiveListenerBus.wait_for_job_end` lets the
thread whose action just returned wait (bounded) until every queue but the event
log has delivered that job's end, so ``statusTracker()``, the UI and test
recorders show the job's stages and tasks when the action returns.

THREADING: ``post`` from any thread (the scheduler's mostly); listener methods
run on their queue's dispatcher thread only.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sparklite.scheduler import listener_events as le

log = logging.getLogger(__name__)

_STOP = object()
#: queues an action's thread waits for before returning (the event log may be slow: not it)
CONSISTENT_QUEUES = ("appStatus", "shared")
DROP_WARNING_EVERY = 60.0
#: job ends remembered for wait_for_job_end (jobs nobody waits for age out)
_JOB_ENDS_KEPT = 1000


class AsyncEventQueue:
    """A bounded queue of events and the thread that hands them to its listeners in order."""

    def __init__(self, name: str, capacity: int):
        self.name = name
        self._queue: queue.Queue[Any] = queue.Queue(capacity)
        self._listeners: tuple[Any, ...] = ()
        self._lock = threading.Lock()
        self._processed_cond = threading.Condition(threading.Lock())
        #: events accepted so far (the sequence number of the last one)
        self.posted = 0
        #: events handed to every listener so far
        self.processed = 0
        #: events dropped because the queue was full
        self.dropped = 0
        self._waiters = 0
        self._last_drop_warning = 0.0
        self._thread = threading.Thread(target=self._dispatch, name=f"sparklite-listener-{name}",
                                        daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ listeners

    def add(self, listener: Any) -> None:
        with self._lock:
            self._listeners = self._listeners + (listener,)

    def remove(self, listener: Any) -> bool:
        with self._lock:
            if listener not in self._listeners:
                return False
            self._listeners = tuple(x for x in self._listeners if x is not listener)
            return True

    @property
    def listeners(self) -> tuple[Any, ...]:
        return self._listeners

    # ------------------------------------------------------------------ posting (any thread)

    def post(self, event: Any) -> int | None:
        """Queue ``event``; its sequence number, or None if the queue was full (dropped)."""
        with self._lock:
            try:
                self._queue.put_nowait(event)
            except queue.Full:
                self.dropped += 1
                now = time.monotonic()
                if now - self._last_drop_warning >= DROP_WARNING_EVERY:
                    self._last_drop_warning = now
                    log.warning("Dropping event from queue %s: this likely means one of the "
                                "listeners is too slow and cannot keep up with the rate at which "
                                "tasks are being started by the scheduler (%d dropped so far; "
                                "spark.scheduler.listenerbus.eventqueue.capacity)", self.name,
                                self.dropped)
                return None
            self.posted += 1
            return self.posted

    def size(self) -> int:
        return self._queue.qsize()

    # ------------------------------------------------------------------ delivery

    def _dispatch(self) -> None:
        while True:
            event = self._queue.get()
            if event is _STOP:
                return
            for listener in self._listeners:
                method = getattr(listener, event.handler, None)
                if method is None:
                    continue
                try:
                    method(event)
                except Exception:  # a broken listener must not starve the others
                    log.exception("listener %s failed on %s", type(listener).__name__,
                                  type(event).__name__)
            with self._processed_cond:
                self.processed += 1
                if self._waiters:
                    self._processed_cond.notify_all()

    def wait_processed(self, seq: int, timeout: float) -> bool:
        """Wait until the event numbered ``seq`` (and all before it) was delivered."""
        deadline = time.monotonic() + timeout
        with self._processed_cond:
            self._waiters += 1
            try:
                while self.processed < seq:
                    remaining = deadline - time.monotonic()
                    if remaining <= 0 or not self._thread.is_alive():
                        return False
                    self._processed_cond.wait(remaining)
                return True
            finally:
                self._waiters -= 1

    def stop(self, timeout: float) -> None:
        """Deliver what is queued (within ``timeout``), then end the thread."""
        try:
            self._queue.put(_STOP, timeout=timeout)
        except queue.Full:
            return
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)


@dataclass
class _JobMarks:
    started: set[int]
    ended: OrderedDict[int, dict[str, tuple[AsyncEventQueue, int]]]


class LiveListenerBus:
    """Named AsyncEventQueues; every posted event goes to every queue."""

    def __init__(self, capacity: int = 10000):
        self._capacity = capacity
        self._queues: dict[str, AsyncEventQueue] = {}
        self._lock = threading.Lock()
        self._jobs = _JobMarks(set(), OrderedDict())
        self._jobs_cond = threading.Condition(threading.Lock())
        self._stopped = False
        #: events posted since the bus started
        self.num_events_posted = 0

    # ------------------------------------------------------------------ listeners

    def add(self, listener: Any, queue_name: str = "shared") -> None:
        """Deliver events to ``listener`` on the queue ``queue_name`` (made on first use)."""
        with self._lock:
            target = self._queues.get(queue_name)
            if target is None:
                target = self._queues[queue_name] = AsyncEventQueue(queue_name, self._capacity)
        target.add(listener)

    def remove(self, listener: Any) -> None:
        with self._lock:
            queues = list(self._queues.values())
        for target in queues:
            target.remove(listener)

    def queues(self) -> dict[str, AsyncEventQueue]:
        with self._lock:
            return dict(self._queues)

    # ------------------------------------------------------------------ posting

    def post(self, event: Any) -> None:
        """Hand ``event`` to every queue; never blocks, never raises."""
        if self._stopped:
            return
        with self._lock:
            queues = list(self._queues.values())
            self.num_events_posted += 1
        if isinstance(event, le.JobStart):
            with self._jobs_cond:
                self._jobs.started.add(event.job_id)
        seqs = {q.name: (q, q.post(event)) for q in queues}
        if isinstance(event, le.JobEnd):
            with self._jobs_cond:
                self._jobs.started.discard(event.job_id)
                ended = self._jobs.ended
                ended[event.job_id] = {n: (q, s) for n, (q, s) in seqs.items() if s is not None}
                while len(ended) > _JOB_ENDS_KEPT:
                    ended.popitem(last=False)
                self._jobs_cond.notify_all()

    def wait_for_job_end(self, job_id: int, timeout: float = 10.0) -> bool:
        """After a job's action returned: wait until the consistent queues delivered its end.

        Returns at once for a job that never started (it failed while being planned).
        """
        deadline = time.monotonic() + timeout
        with self._jobs_cond:
            while job_id in self._jobs.started and job_id not in self._jobs.ended:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._jobs_cond.wait(remaining)
            marks = self._jobs.ended.pop(job_id, None)
        if marks is None:
            return True
        ok = True
        for name, (target, seq) in marks.items():
            if name in CONSISTENT_QUEUES:
                ok = target.wait_processed(seq, max(0.0, deadline - time.monotonic())) and ok
        return ok

    def wait_until_empty(self, timeout: float = 10.0) -> bool:
        """For tests: wait until every event posted so far was delivered."""
        deadline = time.monotonic() + timeout
        ok = True
        for target in self.queues().values():
            ok = target.wait_processed(target.posted, max(0.0, deadline - time.monotonic())) and ok
        return ok

    def stop(self, timeout: float = 10.0) -> None:
        """Deliver what is queued (bounded), then stop every dispatcher."""
        self._stopped = True
        deadline = time.monotonic() + timeout
        for target in self.queues().values():
            target.stop(max(0.1, deadline - time.monotonic()))


# ---------------------------------------------------------------- a recorder for tests


@dataclass(frozen=True)
class RecordedStage:
    stage_id: int
    attempt: int
    name: str
    is_shuffle_map: bool
    shuffle_id: int | None
    rdd_id: int
    partitions: tuple[int, ...]


@dataclass(frozen=True)
class RecordedTask:
    stage_id: int
    stage_attempt: int
    partition: int
    attempt_number: int
    executor_id: str
    succeeded: bool


class EventRecorder:
    """Records what the scheduler did, as plain data (tests assert recovery paths with it)."""

    def __init__(self) -> None:
        self.stages: list[RecordedStage] = []
        self.tasks: list[RecordedTask] = []
        self.jobs: list[tuple[int, str]] = []
        self._lock = threading.Lock()

    def on_stage_submitted(self, event: le.StageSubmitted) -> None:
        info = event.stage_info
        with self._lock:
            self.stages.append(RecordedStage(info.stage_id, info.attempt_id, info.name,
                                             info.is_shuffle_map, info.shuffle_id,
                                             info.rdd_infos[0].rdd_id if info.rdd_infos else -1,
                                             info.partitions))

    def on_task_end(self, event: le.TaskEnd) -> None:
        t = event.task_info
        with self._lock:
            self.tasks.append(RecordedTask(event.stage_id, event.stage_attempt_id, t.partition_id,
                                           t.attempt, t.executor_id, event.reason.succeeded))

    def on_job_end(self, event: le.JobEnd) -> None:
        with self._lock:
            self.jobs.append((event.job_id, "succeeded" if event.succeeded else "failed"))

    def clear(self) -> None:
        with self._lock:
            self.stages.clear()
            self.tasks.clear()
            self.jobs.clear()
