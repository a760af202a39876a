"""The standalone master process: a gRPC face and a web status page over MasterState.

Workers and applications each hold one ``Connect`` stream to the master (the
same pattern as executors to a driver): their first message registers them,
later messages become events on the master's single event loop, and commands
from MasterState go out through per-connection outboxes. A stream that ends
means its worker is lost (its process died: its socket closed) or its
application disconnected; a worker that hangs or is cut off is caught by
``spark.worker.timeout``.

THREADING: gRPC threads only read streams and post events; every state change
happens on the master thread (EventLoop).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Any, Callable, Iterator

import grpc

from sparklite.deploy.master_state import Command, MasterState
from sparklite.rpc.channels import RpcSecurity, make_server
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.services import MASTER, generic_handler
from sparklite.rpc.streams import CLOSE, drain
from sparklite.scheduler.event_loop import EventLoop

log = logging.getLogger(__name__)



@dataclass(frozen=True)
class _Event:
    kind: str
    key: str = ""
    payload: Any = None
    outbox: Any = None


class Master:
    def __init__(self, host: str, port: int, security: RpcSecurity, worker_timeout: float = 60.0,
                 webui_port: int | None = None, retained_apps: int = 200):
        self.master_id = f"master-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        self.state = MasterState(self.master_id, retained_apps)
        self.worker_timeout = worker_timeout
        self._outboxes: dict[tuple[str, str], queue.Queue] = {}
        self.loop = EventLoop("sparklite-master", self._handle)
        self.loop.start()
        self.server, self.port = make_server([generic_handler(MASTER, _MasterServicer(self))], host, port,
                                             security, max_workers=256, name="the master")
        self.host = host
        self.web = None
        if webui_port is not None:
            from sparklite.deploy.web_ui import StatusPage

            self.web = StatusPage(host, webui_port, self.status)
        self._expire_every = max(0.1, worker_timeout / 4)
        self.loop.post_delayed(self._expire_every, _Event("expire"))
        log.info("master %s listening on %s:%d", self.master_id, host, self.port)

    @property
    def url(self) -> str:
        return f"sparklite://{self.host}:{self.port}"

    # ------------------------------------------------------------------ master thread

    def _handle(self, event: _Event) -> None:
        now = time.monotonic()
        state = self.state
        commands: list[Command] = []
        if event.kind == "worker_registered":
            self._outboxes[("worker", event.key)] = event.outbox
            commands = state.register_worker(event.payload, now)
        elif event.kind == "worker_message":
            msg = event.payload
            if not state.worker_heartbeat(event.key, now):
                # declared lost (e.g. cut off for a while) but still talking: end its stream so it
                # re-registers with the executors it still has
                outbox = self._outboxes.pop(("worker", event.key), None)
                if outbox is not None:
                    outbox.put(CLOSE)
                return
            if msg.WhichOneof("kind") == "executor_state":
                commands = state.executor_state_changed(event.key, msg.executor_state)
        elif event.kind == "worker_disconnected":
            if self._outboxes.get(("worker", event.key)) is event.outbox:
                del self._outboxes[("worker", event.key)]
                commands = state.worker_lost(event.key, "connection closed")
        elif event.kind == "app_registered":
            self._outboxes[("app", event.key)] = event.outbox
            commands = state.register_app(event.payload)
        elif event.kind == "app_unregistered":
            msg = event.payload
            commands = state.unregister_app(event.key, msg.state or "FINISHED", msg.reason, now)
        elif event.kind == "app_disconnected":
            if self._outboxes.get(("app", event.key)) is event.outbox:
                del self._outboxes[("app", event.key)]
                commands = state.app_disconnected(event.key, now)
        elif event.kind == "expire":
            commands = state.expire_workers(now, self.worker_timeout)
            commands += state.expire_apps(now, self.worker_timeout)
            self.loop.post_delayed(self._expire_every, _Event("expire"))
        elif event.kind == "call":
            func, reply = event.payload
            reply(func())
        for target, key, msg in commands:
            outbox = self._outboxes.get((target, key))
            if outbox is not None:
                outbox.put(msg)

    def status(self) -> pb.ClusterStatus:
        box: list[pb.ClusterStatus] = []
        done = threading.Event()

        def reply(value: pb.ClusterStatus) -> None:
            box.append(value)
            done.set()

        self.loop.post(_Event("call", payload=(lambda: self.state.status(time.monotonic()), reply)))
        if not done.wait(10):
            raise TimeoutError("master thread did not answer")
        box[0].url = self.url
        return box[0]

    # ------------------------------------------------------------------ streams

    def connect(self, request_iterator: Iterator[Any], context: grpc.ServicerContext, kind: str,
                register_field: str, key_of: Callable[[Any], str]) -> Iterator[Any]:
        try:
            first = next(request_iterator)
        except (StopIteration, grpc.RpcError):
            return
        if first.WhichOneof("kind") != register_field:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, f"first message must be {register_field}")
        reg = getattr(first, register_field)
        key = key_of(reg)
        if not key:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"{kind} id missing")
        outbox: queue.Queue = queue.Queue()
        closed = threading.Event()

        def disconnected() -> None:
            if not closed.is_set():
                closed.set()
                outbox.put(CLOSE)
                self.loop.post(_Event(f"{kind}_disconnected", key, outbox=outbox))

        context.add_callback(disconnected)
        self.loop.post(_Event(f"{kind}_registered", key, reg, outbox))
        threading.Thread(target=self._read, args=(kind, key, request_iterator, disconnected),
                         name=f"master-{kind}-{key}", daemon=True).start()
        yield from drain(outbox)

    def _read(self, kind: str, key: str, request_iterator: Iterator[Any], disconnected: Callable[[], None]) -> None:
        try:
            for msg in request_iterator:
                if kind == "app" and msg.WhichOneof("kind") == "unregister":
                    self.loop.post(_Event("app_unregistered", key, msg.unregister))
                elif kind == "worker":
                    self.loop.post(_Event("worker_message", key, msg))
        except grpc.RpcError:
            pass
        except Exception:  # a malformed message must not take the master down
            log.exception("bad message from %s %s", kind, key)
        disconnected()

    def stop(self) -> None:
        for outbox in list(self._outboxes.values()):
            outbox.put(CLOSE)
        self.server.stop(grace=1.0).wait(5.0)
        if self.web is not None:
            self.web.stop()
        self.loop.stop()


class _MasterServicer:
    def __init__(self, master: Master):
        self._master = master

    def WorkerConnect(self, request_iterator: Iterator[pb.WorkerMessage],
                      context: grpc.ServicerContext) -> Iterator[pb.MasterToWorker]:
        return self._master.connect(request_iterator, context, "worker", "register", lambda r: r.worker_id)

    def ApplicationConnect(self, request_iterator: Iterator[pb.ApplicationMessage],
                           context: grpc.ServicerContext) -> Iterator[pb.MasterToApplication]:
        return self._master.connect(request_iterator, context, "app", "register", lambda r: r.app_id)

    def Status(self, request: pb.StatusRequest, context: grpc.ServicerContext) -> pb.ClusterStatus:
        return self._master.status()
