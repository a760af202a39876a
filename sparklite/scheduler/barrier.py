"""BarrierCoordinator: the driver side of ``BarrierTaskContext.barrier()`` and ``allGather()``.

Every task of a barrier stage attempt calls the driver's ``BarrierSync`` RPC
once per sync, with the number of its sync (the *epoch*: 0 for its first
``barrier()``/``allGather()`` call, 1 for the next...). A sync completes when
all ``num_tasks`` tasks of the attempt have arrived for that epoch: every
caller then gets the messages of all tasks, ordered by partition.

A sync fails — every waiting caller gets an error — when

* the stage attempt is aborted (one of its tasks failed, it was cancelled:
  ``abort_attempt``, called from the scheduler thread), or a newer attempt of
  the stage starts syncing;
* tasks mix ``barrier()`` and ``allGather()`` in the same sync, or a task asks
  for an epoch other than the current one (it called them more or fewer times
  than the others);
* not every task arrives within ``spark.barrier.sync.timeout``;
* the caller's RPC is cancelled (its task was killed): only that caller leaves.

Aborted attempts are remembered (the last ``REMEMBERED_ABORTS``), so a task
that arrives after its attempt was aborted and forgotten fails at once
instead of waiting; ``close`` (the application stopping) fails every sync, so
no server thread outlives the driver.

THREADING: ``sync`` runs on gRPC server threads (one per waiting task) and
blocks on a condition variable; ``abort_attempt`` and the listener hooks run on the
scheduler thread. One lock (the condition's) guards all state.
"""
from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable

from sparklite.errors import SparkliteError


REMEMBERED_ABORTS = 4096


class BarrierSyncError(SparkliteError, RuntimeError):
    """A barrier sync could not complete; the message says why."""


@dataclass
class _Attempt:
    num_tasks: int
    epoch: int = 0
    method: str | None = None
    arrived: dict[int, str] = field(default_factory=dict)
    #: epoch -> the gathered messages, kept until every task of the epoch has read them
    results: dict[int, list[str]] = field(default_factory=dict)
    unread: dict[int, int] = field(default_factory=dict)
    error: str | None = None
    waiting: int = 0


class BarrierCoordinator:
    def __init__(self, timeout: float):
        self.timeout = timeout
        self._cond = threading.Condition()
        #: (stage id, stage attempt) -> sync state
        self._attempts: dict[tuple[int, int], _Attempt] = {}
        #: recently aborted attempts -> why (late arrivals fail at once)
        self._aborted: OrderedDict[tuple[int, int], str] = OrderedDict()
        self._closed: str | None = None
        #: job id -> its result stage (the job's end frees that stage's sync state)
        self._final_stages: dict[int, int] = {}

    def sync(self, stage_id: int, stage_attempt: int, num_tasks: int, partition: int, epoch: int,
             method: str, message: str, is_active: Callable[[], bool] = lambda: True) -> list[str]:
        """Block until every task of the attempt reached sync number ``epoch``; their messages.

        ``is_active`` tells whether the caller still waits (a gRPC call's ``is_active``).
        """
        key = (stage_id, stage_attempt)
        label = f"barrier sync of stage {stage_id} (attempt {stage_attempt}), epoch {epoch}"
        deadline = time.monotonic() + self.timeout
        with self._cond:
            gone = self._closed or self._aborted.get(key)
            if gone is not None:
                raise BarrierSyncError(f"{label} failed: {gone}")
            for other in [k for k in self._attempts if k[0] == stage_id and k[1] < stage_attempt]:
                self._fail(other, f"stage {stage_id} attempt {stage_attempt} superseded it")
            state = self._attempts.get(key)
            if state is None:
                state = self._attempts[key] = _Attempt(num_tasks)
            if state.error is not None:
                raise BarrierSyncError(f"{label} failed: {state.error}")
            if num_tasks != state.num_tasks or not 0 <= partition < num_tasks:
                self._fail(key, f"task of partition {partition} expects {num_tasks} tasks, the "
                                f"stage has {state.num_tasks}")
            elif epoch != state.epoch:
                self._fail(key, f"the task of partition {partition} asked for sync number {epoch} "
                                f"while the others are at sync number {state.epoch}; every task "
                                f"must call barrier()/allGather() the same number of times")
            elif state.method is not None and method != state.method:
                self._fail(key, f"Different barrier sync types found for the sync: {state.method} "
                                f"!= {method}. Please use the same barrier sync type within a "
                                f"single sync.")
            elif partition in state.arrived:
                self._fail(key, f"the task of partition {partition} arrived twice")
            if state.error is not None:
                raise BarrierSyncError(f"{label} failed: {state.error}")
            state.method = method
            state.arrived[partition] = message
            if len(state.arrived) == num_tasks:
                state.results[epoch] = [state.arrived[p] for p in sorted(state.arrived)]
                state.unread[epoch] = num_tasks
                state.epoch += 1
                state.method = None
                state.arrived = {}
                self._cond.notify_all()
            state.waiting += 1
            try:
                while epoch not in state.results:
                    if state.error is not None:
                        raise BarrierSyncError(f"{label} failed: {state.error}")
                    if not is_active():  # the task was killed: withdraw its arrival
                        if state.epoch == epoch:
                            state.arrived.pop(partition, None)
                            if not state.arrived:
                                state.method = None
                        raise BarrierSyncError(f"{label}: the caller went away")
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        self._fail(key, f"The coordinator didn't get all barrier sync requests "
                                        f"within {self.timeout:g} s "
                                        f"(spark.barrier.sync.timeout); "
                                        f"{len(state.arrived)} of {num_tasks} tasks arrived")
                        continue
                    self._cond.wait(min(remaining, 1.0))
                result = state.results[epoch]
                state.unread[epoch] -= 1
                if state.unread[epoch] == 0:
                    del state.results[epoch], state.unread[epoch]
                return list(result)
            finally:
                state.waiting -= 1

    def _fail(self, key: tuple[int, int], reason: str) -> None:
        state = self._attempts.get(key)
        if state is not None and state.error is None:
            state.error = reason
            self._cond.notify_all()

    def abort_attempt(self, stage_id: int, stage_attempt: int, reason: str) -> None:
        """Fail the attempt's pending and future syncs (its tasks are being killed)."""
        with self._cond:
            key = (stage_id, stage_attempt)
            self._aborted[key] = reason
            while len(self._aborted) > REMEMBERED_ABORTS:
                self._aborted.popitem(last=False)
            state = self._attempts.get(key)
            if state is not None and state.error is None:
                state.error = reason
            self._cond.notify_all()

    def close(self, reason: str) -> None:
        """Fail every pending and future sync (the application is stopping)."""
        with self._cond:
            self._closed = reason
            for state in self._attempts.values():
                state.error = state.error or reason
            self._cond.notify_all()

    def _forget(self, stage_id: int | None) -> None:
        """Drop idle attempts that failed, or (all attempts) of a stage that is done."""
        with self._cond:
            for key in [k for k, s in self._attempts.items()
                        if s.waiting == 0 and (s.error is not None or k[0] == stage_id)]:
                del self._attempts[key]

    # listener events (the bus's thread): a finished stage or job needs no sync state any more
    def on_stage_completed(self, event: Any) -> None:
        self._forget(event.stage_info.stage_id)

    def on_job_start(self, event: Any) -> None:
        if event.stage_infos:
            with self._cond:
                self._final_stages[event.job_id] = event.stage_infos[-1].stage_id

    def on_job_end(self, event: Any) -> None:
        with self._cond:
            final = self._final_stages.pop(event.job_id, None)
        self._forget(final)

    def pending(self) -> dict[tuple[int, int], int]:
        """For tests: attempt -> tasks waiting in a sync."""
        with self._cond:
            return {k: s.waiting for k, s in self._attempts.items() if s.waiting}
