"""ContextCleaner: removes the shuffle files, cached blocks and broadcast copies of RDDs,
ShuffleDependencies and Broadcasts the driver program no longer references (Spark's
ContextCleaner).

Why: without it, every shuffle's files stay on the executors' disks for as long as the
context lives; a driver running small shuffle jobs in a loop fills its local dirs
(issue 11: 500 jobs, 4,000 files, ``ENOSPC`` on the 9th job of a small disk).

How: the context registers each persisted RDD, each ShuffleDependency (when it is built)
and each Broadcast (when it is created) here, as a weak reference with a callback. When the
driver program drops the last reference, the callback queues a clean-up task, and the
cleaning thread carries it out: a shuffle's map outputs are forgotten by the scheduler and
its files deleted on every executor; an RDD's blocks are dropped from every executor
(waiting for them to confirm when ``spark.cleaner.referenceTracking.blocking``); a
broadcast's bytes leave the driver and its copies the executors. Reference cycles are freed
only by the cyclic garbage collector, so a ``gc.collect()`` runs every
``spark.cleaner.periodicGC.interval`` as well.

A shuffle a live RDD still needs is never cleaned: its ShuffleDependency is held by that
RDD's lineage, and the scheduler holds stages (and through them lineages) only while a job
runs. ``spark.cleaner.referenceTracking=false`` turns all of this off.

THREADING: ``register_*`` on user threads; the weak-reference callbacks on whatever thread
drops the last reference (even inside the garbage collector), so they only put a task on a
``SimpleQueue`` (reentrant); the clean-ups run on the ``sparklite-context-cleaner`` thread.
"""
from __future__ import annotations

import gc
import logging
import queue
import threading
import time
import weakref
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

_STOP = object()


@dataclass(frozen=True)
class CleanupTask:
    #: "rdd", "shuffle" or "broadcast"
    kind: str
    id: int


class ContextCleaner:
    def __init__(self, runtime: Any, blocking: bool, periodic_gc_interval: float):
        self._runtime = runtime
        self.blocking = blocking
        self.periodic_gc_interval = periodic_gc_interval
        #: id(weak reference) -> (the reference, what to clean when it dies)
        self._references: dict[int, tuple[weakref.ref, CleanupTask]] = {}
        #: what is registered, so a second persist() of one RDD adds no second reference
        self._registered: set[tuple[str, int]] = set()
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sparklite-context-cleaner", daemon=True)
        self._stopped = False
        #: clean-ups done, by kind (inspection, tests)
        self.cleaned: dict[str, int] = {"rdd": 0, "shuffle": 0, "broadcast": 0}

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the cleaning thread; clean-ups still queued are dropped (the application's
        directories go with the application anyway)."""
        self._stopped = True
        self._tasks.put(_STOP)
        if threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    # ------------------------------------------------------------------ registration

    def register_rdd(self, rdd: Any) -> None:
        self._register(rdd, CleanupTask("rdd", rdd._rdd_id))

    def register_shuffle(self, dependency: Any) -> None:
        self._register(dependency, CleanupTask("shuffle", dependency.shuffle_id))

    def register_broadcast(self, broadcast: Any) -> None:
        self._register(broadcast, CleanupTask("broadcast", broadcast.id))

    def _register(self, obj: Any, task: CleanupTask) -> None:
        key = (task.kind, task.id)
        if key in self._registered:
            return
        self._registered.add(key)
        ref = weakref.ref(obj, self._referent_died)
        self._references[id(ref)] = (ref, task)

    def _referent_died(self, ref: weakref.ref) -> None:
        # may run inside the garbage collector on any thread: no locks, nothing that can block
        entry = self._references.pop(id(ref), None)
        if entry is not None and not self._stopped:
            self._tasks.put(entry[1])

    def pending(self) -> int:
        """Clean-up tasks queued and not yet done (approximate)."""
        return self._tasks.qsize()

    # ------------------------------------------------------------------ cleaning thread

    def _run(self) -> None:
        next_gc = time.monotonic() + self.periodic_gc_interval
        while True:
            try:
                task = self._tasks.get(timeout=max(0.0, next_gc - time.monotonic()))
            except queue.Empty:
                gc.collect()  # frees reference cycles, whose callbacks then queue their tasks
                next_gc = time.monotonic() + self.periodic_gc_interval
                continue
            if task is _STOP:
                return
            try:
                self._clean(task)
            except Exception:  # one failed clean-up must not stop the others
                log.warning("could not clean %s %d", task.kind, task.id, exc_info=True)

    def _clean(self, task: CleanupTask) -> None:
        runtime = self._runtime
        self._registered.discard((task.kind, task.id))
        if task.kind == "shuffle":
            runtime.remove_shuffles([task.id])
        elif task.kind == "rdd":
            runtime.remove_rdd_blocks(task.id, self.blocking)
        elif task.kind == "broadcast":
            runtime.remove_broadcast(task.id, from_driver=True)
        self.cleaned[task.kind] += 1
        log.debug("cleaned %s %d", task.kind, task.id)


def cleaner_of(obj: Any) -> ContextCleaner | None:
    """The cleaner of the context an RDD (or anything with ``_ctx``) belongs to, if it has one."""
    return getattr(getattr(obj, "_ctx", None), "_cleaner", None)
