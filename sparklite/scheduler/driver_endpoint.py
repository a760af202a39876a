"""DriverEndpoint: the driver's side of the executor protocol, shared by every backend.

Each executor holds one bidirectional ``Connect`` stream for its whole life.
Messages from it (task statuses, block updates, heartbeats) become scheduler
events in arrival order; messages to it go through a per-executor outbox that
the stream's response generator drains. The stream ending, from either side,
is how loss is noticed at once (a SIGKILLed executor's socket closes); a hung
executor is caught by ``expire_silent`` (heartbeats).

Stage binaries are sent to an executor the first time it gets a task of a
stage attempt, immediately before that task on the same ordered stream, in
pieces of at most ``BLOB_CHUNK`` bytes (no message may exceed
channels.MAX_MESSAGE).

THREADING: ``connect`` runs on a gRPC thread per executor plus one reader
thread; ``launch_task``/``kill_task``/``send`` are called from the scheduler
thread and only enqueue. ``_lock`` guards the executor table.
"""
from __future__ import annotations

import itertools
import logging
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

import grpc

from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.streams import CLOSE, drain
from sparklite.scheduler import events as ev
from sparklite.scheduler.task import TaskLaunch, TaskSet

log = logging.getLogger(__name__)

BLOB_CHUNK = 1 << 20
#: stage attempts whose binary counts are kept for inspection (a long-lived driver stays flat)
BINARY_COUNTS_KEPT = 1000


@dataclass
class ExecutorHandle:
    executor_id: str
    host: str
    block_address: str
    cores: int
    pid: int
    local_dir: str
    outbox: queue.Queue = field(default_factory=queue.Queue)
    sent_stage_attempts: set = field(default_factory=set)
    last_seen: float = field(default_factory=time.monotonic)
    closed: bool = False


def stage_binary_pieces(stage_id: int, stage_attempt: int, binary: bytes,
                        map_locations: bytes) -> Iterator[pb.StageBinary]:
    """A stage binary as StageBinary messages of at most BLOB_CHUNK payload bytes each."""
    pieces = [("binary", binary[i:i + BLOB_CHUNK]) for i in range(0, len(binary), BLOB_CHUNK)]
    pieces += [("map_locations", map_locations[i:i + BLOB_CHUNK])
               for i in range(0, len(map_locations), BLOB_CHUNK)]
    if not pieces:
        pieces = [("binary", b"")]
    for i, (name, data) in enumerate(pieces):
        yield pb.StageBinary(stage_id=stage_id, stage_attempt=stage_attempt, more=i < len(pieces) - 1,
                             **{name: data})


class DriverEndpoint:
    def __init__(self, post: Callable[[Any], None], app_id: str, conf_payload: bytes,
                 blob_store: Any, on_registered: Callable[[ExecutorHandle], None] | None = None):
        self._post = post
        self.app_id = app_id
        self._conf_payload = conf_payload
        self._blob_store = blob_store
        self._on_registered = on_registered
        self.executors: dict[str, ExecutorHandle] = {}
        #: how a lost executor's process ended, if the backend can tell (local mode); may wait
        #: a moment for the process to finish dying
        self.describe_loss: Callable[[str], str | None] = lambda executor_id: None
        #: (stage id, stage attempt) -> how many executors were sent its binary (inspection)
        self.stage_binaries_sent: Counter = Counter()
        self._lock = threading.Lock()
        self._stopping = False
        #: thread dump request id -> [event, answer] (the UI's thread dump page waits on it)
        self._dumps: dict[int, list[Any]] = {}
        self._dump_ids = itertools.count()

    # ------------------------------------------------------------------ gRPC side

    def connect(self, request_iterator: Iterator[pb.ExecutorMessage],
                context: grpc.ServicerContext) -> Iterator[pb.DriverMessage]:
        try:
            first = next(request_iterator)
        except (StopIteration, grpc.RpcError):
            return
        if first.WhichOneof("kind") != "register":
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "first message must be register")
        reg = first.register
        handle = ExecutorHandle(reg.executor_id, reg.host, f"{reg.host}:{reg.block_port}", reg.cores,
                                reg.pid, reg.local_dir)
        with self._lock:
            if self._stopping or reg.executor_id in self.executors:
                context.abort(grpc.StatusCode.ALREADY_EXISTS,
                              f"executor {reg.executor_id} is already registered or the app is stopping")
            self.executors[reg.executor_id] = handle
        context.add_callback(lambda: self._disconnected(handle, "connection closed", describe=True))
        reader = threading.Thread(target=self._read, args=(handle, request_iterator),
                                  name=f"executor-{reg.executor_id}-reader", daemon=True)
        reader.start()
        if self._on_registered is not None:
            self._on_registered(handle)
        self._post(ev.ExecutorRegistered(handle.executor_id, handle.host, handle.cores,
                                         handle.block_address, tuple(sorted(reg.log_urls.items())),
                                         {n: list(r.addresses) for n, r in reg.resources.items()},
                                         reg.resource_profile_id))
        yield pb.DriverMessage(registered=pb.Registered(app_id=self.app_id, conf=self._conf_payload))
        yield from drain(handle.outbox)

    def _read(self, handle: ExecutorHandle, request_iterator: Iterator[pb.ExecutorMessage]) -> None:
        reason = "executor closed its connection"
        try:
            for msg in request_iterator:
                handle.last_seen = time.monotonic()
                kind = msg.WhichOneof("kind")
                if kind == "task_status":
                    st = msg.task_status
                    self._post(ev.StatusUpdated(handle.executor_id, st.task_id, st.state, st.result,
                                                st.accumulator_updates, st.failure,
                                                metrics=st.metrics if st.HasField("metrics") else None,
                                                stored_size=st.stored_size,
                                                result_size=st.result_size if st.stored_size or st.result_dropped
                                                else None, result_dropped=st.result_dropped))
                elif kind == "block_update":
                    bu = msg.block_update
                    self._post(ev.BlockUpdated(handle.executor_id, bu.block_id, bu.storage_level,
                                               bu.memory_size, bu.disk_size))
                elif kind == "thread_dump":
                    self._thread_dump_arrived(msg.thread_dump)
        except grpc.RpcError as exc:
            reason = f"connection lost ({exc.code().name if hasattr(exc, 'code') else exc})"
        except Exception as exc:  # a malformed message must not take the driver down
            reason = f"protocol error: {exc}"
            log.exception("executor %s sent a bad message", handle.executor_id)
        self._disconnected(handle, reason, describe=True)

    def _disconnected(self, handle: ExecutorHandle, reason: str, describe: bool = False) -> None:
        """The executor is gone; ``describe``: its stream ended by itself, so ask the backend
        how its process ended (the reason users read: "exited with code 3")."""
        with self._lock:
            if handle.closed:
                return
            handle.closed = True
            if self.executors.get(handle.executor_id) is handle:
                del self.executors[handle.executor_id]
        handle.outbox.put(CLOSE)
        if self._stopping:
            return
        if describe:
            ended = self.describe_loss(handle.executor_id)
            if ended:
                reason = f"{ended} ({reason})"
        self._post(ev.ExecutorLost(handle.executor_id, reason))

    def fetch_blob(self, request: pb.BlobRequest, context: grpc.ServicerContext) -> Iterator[pb.Chunk]:
        try:
            data = self._blob_store.get(request.key)
        except KeyError:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no blob {request.key!r} on the driver")
            return
        view = memoryview(data)
        for start in range(0, len(view), BLOB_CHUNK):
            yield pb.Chunk(data=bytes(view[start:start + BLOB_CHUNK]))
        if not data:
            yield pb.Chunk(data=b"")

    # ------------------------------------------------------------------ scheduler side

    def send(self, executor_id: str, msg: pb.DriverMessage) -> bool:
        with self._lock:
            handle = self.executors.get(executor_id)
        if handle is None or handle.closed:
            return False
        handle.outbox.put(msg)
        return True

    def send_all(self, msg: pb.DriverMessage) -> None:
        with self._lock:
            handles = list(self.executors.values())
        for handle in handles:
            if not handle.closed:
                handle.outbox.put(msg)

    def launch_task(self, executor_id: str, task_set: TaskSet, launch: TaskLaunch) -> None:
        with self._lock:
            handle = self.executors.get(executor_id)
        if handle is None or handle.closed:
            return  # its loss event is already queued; the attempt is re-pended then
        key = (task_set.stage_id, task_set.stage_attempt)
        if key not in handle.sent_stage_attempts:
            handle.sent_stage_attempts.add(key)
            if key not in self.stage_binaries_sent and len(self.stage_binaries_sent) >= BINARY_COUNTS_KEPT:
                del self.stage_binaries_sent[next(iter(self.stage_binaries_sent))]  # oldest first
            self.stage_binaries_sent[key] += 1
            for piece in stage_binary_pieces(task_set.stage_id, task_set.stage_attempt, task_set.binary,
                                             task_set.map_locations):
                handle.outbox.put(pb.DriverMessage(stage_binary=piece))
        handle.outbox.put(pb.DriverMessage(launch_task=pb.LaunchTask(
            task_id=launch.task_id, stage_id=launch.stage_id, stage_attempt=launch.stage_attempt,
            partition=launch.partition, attempt_number=launch.attempt_number, job_id=launch.job_id,
            local_properties=task_set.properties, cpus=task_set.cpus_per_task or 1,
            barrier=task_set.is_barrier,
            resources={n: pb.ResourceAddresses(addresses=a) for n, a in (launch.resources or {}).items()})))

    def drop_task_results(self, executor_id: str, task_ids: list[int]) -> None:
        """Tell an executor to delete stored task payloads the driver will not fetch (any thread)."""
        self.send(executor_id, pb.DriverMessage(drop_task_results=pb.DropTaskResults(task_ids=task_ids)))

    def kill_task(self, executor_id: str, task_id: int, reason: str) -> None:
        self.send(executor_id, pb.DriverMessage(kill_task=pb.KillTask(task_id=task_id, reason=reason)))

    def forget_stage(self, stage_id: int) -> None:
        with self._lock:
            handles = list(self.executors.values())
        for handle in handles:
            sent = {k for k in handle.sent_stage_attempts if k[0] == stage_id}
            if sent:
                handle.sent_stage_attempts -= sent
                handle.outbox.put(pb.DriverMessage(remove_stage=pb.RemoveStage(stage_id=stage_id)))

    def thread_dump(self, executor_id: str, timeout: float = 10.0) -> str | None:
        """The executor's Python threads and stacks (None if it is gone or does not answer).

        Called from a UI thread: the request rides the executor's stream, the answer
        comes back on it and is matched by id."""
        request_id = next(self._dump_ids)
        slot: list[Any] = [threading.Event(), None]
        with self._lock:
            self._dumps[request_id] = slot
        try:
            if not self.send(executor_id, pb.DriverMessage(
                    thread_dump=pb.ThreadDumpRequest(request_id=request_id))):
                return None
            slot[0].wait(timeout)
            return slot[1]
        finally:
            with self._lock:
                self._dumps.pop(request_id, None)

    def _thread_dump_arrived(self, dump: pb.ThreadDump) -> None:
        with self._lock:
            slot = self._dumps.get(dump.request_id)
        if slot is not None:
            slot[1] = dump.text
            slot[0].set()

    def remove_executor(self, executor_id: str, reason: str) -> None:
        """Drop an executor from the driver side (its stream ends, so it exits)."""
        with self._lock:
            handle = self.executors.get(executor_id)
        if handle is not None:
            handle.outbox.put(pb.DriverMessage(shutdown=pb.Shutdown(reason=reason)))
            self._disconnected(handle, reason)

    def expire_silent(self, timeout: float) -> list[str]:
        """Remove executors silent for ``timeout`` seconds; returns their ids."""
        now = time.monotonic()
        with self._lock:
            silent = [h for h in self.executors.values() if now - h.last_seen > timeout]
        for handle in silent:
            self.remove_executor(handle.executor_id, f"no heartbeat for {now - handle.last_seen:.0f} s")
        return [h.executor_id for h in silent]

    def executor_pids(self) -> dict[str, int]:
        with self._lock:
            return {eid: h.pid for eid, h in self.executors.items()}

    def stop(self) -> None:
        with self._lock:
            self._stopping = True
            handles = list(self.executors.values())
        for handle in handles:
            handle.outbox.put(pb.DriverMessage(shutdown=pb.Shutdown(reason="application stopped")))
            handle.outbox.put(CLOSE)
