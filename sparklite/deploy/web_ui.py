"""A read-only status page for the master: workers, applications, executors (HTML and /json).

It shows no secrets and accepts no input; it binds the master's host. Anyone
who can reach the port may connect, so it is built not to be held up: one
thread accepts connections and reads their request headers without blocking;
a request goes to a small fixed pool only once its headers are complete, so
the pool never waits on a client. A connection that has not sent its whole
request within ``IDLE_TIMEOUT`` is closed, so are headers over
``MAX_HEADER`` bytes, and at most ``MAX_CONNECTIONS`` are open (the oldest
waiting one makes room): idle or slow clients never keep a real request
waiting.

THREADING: the accept thread owns the selector and the waiting table; pool
threads answer one request each and close its connection.
"""
from __future__ import annotations

import html
import io
import json
import logging
import selectors
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler
from typing import Any, Callable

from google.protobuf.json_format import MessageToDict

log = logging.getLogger(__name__)

#: threads that serve requests
POOL_SIZE = 4
#: seconds a connection has to send its whole request
IDLE_TIMEOUT = 10.0
#: seconds the client has to take the answer
REQUEST_TIMEOUT = 5.0
#: open connections at most (waiting, queued and being answered)
MAX_CONNECTIONS = 256
#: request line and headers, at most (a GET has no body)
MAX_HEADER = 16 << 10


class StatusPage:
    def __init__(self, host: str, port: int, status: Callable[[], Any]):
        page = self

        class Handler(BaseHTTPRequestHandler):
            def setup(self) -> None:
                # the request arrives already read (by the accept thread); only the answer is written
                self.connection, data = self.request
                self.connection.settimeout(REQUEST_TIMEOUT)
                self.rfile = io.BytesIO(data)
                self.wfile = self.connection.makefile("wb")

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                data = MessageToDict(status(), preserving_proto_field_name=True)
                if self.path.rstrip("/") == "/json":
                    body, kind = json.dumps(data, indent=2).encode(), "application/json"
                else:
                    body, kind = page.render(data).encode(), "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._handler = Handler
        self._listener = socket.create_server((host, port))
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._listener, selectors.EVENT_READ)
        self._pool = ThreadPoolExecutor(POOL_SIZE, thread_name_prefix="master-web-ui")
        #: connections whose request is still arriving -> (when they were accepted, what came so far)
        self._idle: dict[socket.socket, tuple[float, bytearray]] = {}
        self._busy = 0  # connections handed to the pool and not closed yet
        self._lock = threading.Lock()  # guards _busy
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="master-web-ui-accept", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ accept thread

    def _serve(self) -> None:
        while not self._stopped.is_set():
            for key, _ in self._selector.select(timeout=0.5):
                if key.fileobj is self._listener:
                    self._accept()
                else:
                    self._receive(key.fileobj)  # type: ignore[arg-type]
            self._close_idle(time.monotonic() - IDLE_TIMEOUT)
        for conn in list(self._idle):
            self._drop(conn)
        self._selector.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # e.g. out of file descriptors: keep serving the others
                log.warning("status page: accept failed: %s", exc)
                return
            with self._lock:
                busy = self._busy
            if len(self._idle) + busy >= MAX_CONNECTIONS:
                if self._idle:
                    self._drop(min(self._idle, key=lambda c: self._idle[c][0]))  # the oldest waiting one
                else:
                    conn.close()
                    continue
            conn.setblocking(False)
            self._idle[conn] = (time.monotonic(), bytearray())
            self._selector.register(conn, selectors.EVENT_READ)

    def _receive(self, conn: socket.socket) -> None:
        try:
            data = conn.recv(4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        received = self._idle[conn][1]
        received += data
        if not data or len(received) > MAX_HEADER:
            self._drop(conn)
        elif b"\r\n\r\n" in received or b"\n\n" in received:
            self._selector.unregister(conn)
            del self._idle[conn]
            with self._lock:
                self._busy += 1
            self._pool.submit(self._handle, conn, bytes(received))

    def _close_idle(self, before: float) -> None:
        for conn in [c for c, (since, _) in self._idle.items() if since < before]:
            self._drop(conn)

    def _drop(self, conn: socket.socket) -> None:
        self._selector.unregister(conn)
        del self._idle[conn]
        conn.close()

    # ------------------------------------------------------------------ pool threads

    def _handle(self, conn: socket.socket, request: bytes) -> None:
        try:
            conn.setblocking(True)
            self._handler((conn, request), conn.getpeername(), self)
        except Exception as exc:  # a client that went away, a timeout: its problem only
            log.debug("status page request failed: %s", exc)
        finally:
            try:
                conn.close()
            finally:
                with self._lock:
                    self._busy -= 1

    # ------------------------------------------------------------------ page

    @staticmethod
    def render(data: dict[str, Any]) -> str:
        def table(title: str, rows: list[dict[str, Any]]) -> str:
            if not rows:
                return f"<h2>{title}</h2><p>none</p>"
            cols = sorted({k for r in rows for k in r})
            head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
            body = "".join("<tr>" + "".join(f"<td>{html.escape(str(r.get(c, '')))}</td>" for c in cols)
                           + "</tr>" for r in rows)
            return f"<h2>{title}</h2><table border=1><tr>{head}</tr>{body}</table>"

        return (f"<html><head><title>sparklite master</title></head><body>"
                f"<h1>sparklite master {html.escape(data.get('master_id', ''))}</h1>"
                + table("Workers", data.get("workers", [])) + table("Applications", data.get("applications", []))
                + table("Executors", data.get("executors", [])) + "</body></html>")

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(5.0)
        self._listener.close()
        self._pool.shutdown(wait=True, cancel_futures=True)
