"""The master's status page: workers, running and completed applications, executors; ``/json``.

``/`` is for people: human sizes and durations, each application's state as its
record has it (RUNNING, FINISHED, FAILED...), start time and duration, links to
the application's web UI and to each executor's stdout/stderr on its worker.
``/json`` has Spark's master JSON fields (``url``, ``workers``, ``aliveworkers``,
``cores``, ``activeapps``, ``completedapps``, ``status``...), memory in MiB as
Spark writes it; ``/json/raw`` every field of the master's records. Any other
path is 404.

It shows no secrets and accepts no input; it binds the master's host
(``--webui-port``, 8080, or if taken one of the next ports). Anyone who can
reach the port may connect, so it is built not to be held up: one thread
accepts connections and reads their request headers without blocking; a
request goes to a small fixed pool only once its headers are complete, so the
pool never waits on a client. A connection that has not sent its whole request
within ``IDLE_TIMEOUT`` is closed, so are headers over ``MAX_HEADER`` bytes,
and at most ``MAX_CONNECTIONS`` are open (the oldest waiting one makes room):
idle or slow clients never keep a real request waiting.

THREADING: the accept thread owns the selector and the waiting table; pool
threads answer one request each and close its connection.
"""
from __future__ import annotations

import errno
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
from urllib.parse import urlsplit

from google.protobuf.json_format import MessageToDict

from sparklite.ui.format import bytes_to_string, date_string, duration_string
from sparklite.ui.html import esc, link
from sparklite.ui.http_server import Response, not_found

#: application states that mean it has ended (the rest are active)
ENDED = ("FINISHED", "FAILED", "KILLED")

CSS = ("body{font-family:-apple-system,Helvetica,Arial,sans-serif;font-size:14px;margin:16px}"
       "table{border-collapse:collapse;margin-bottom:16px}th,td{border:1px solid #ccc;padding:4px 8px}"
       "th{background:#f4f4f4}.FAILED,.DEAD{color:#c00}.FINISHED,.ALIVE{color:#070}")


def _apps(status: Any) -> list[Any]:
    return sorted(status.applications, key=lambda a: -a.start_time)


def master_json(status: Any) -> dict[str, Any]:
    """Spark's ``JsonProtocol.writeMasterState``."""
    now = int(time.time() * 1000)
    alive = [w for w in status.workers if w.state == "ALIVE"]

    def worker(w: Any) -> dict[str, Any]:
        host, _, port = w.worker_id.rpartition("-")
        return {"id": w.worker_id, "host": w.host, "port": int(port) if port.isdigit() else 0,
                "webuiaddress": w.webui_address, "cores": w.cores, "coresused": w.cores_used,
                "coresfree": w.cores - w.cores_used, "memory": w.memory >> 20,
                "memoryused": w.memory_used >> 20, "memoryfree": (w.memory - w.memory_used) >> 20,
                "resources": {}, "resourcesused": {}, "resourcesfree": {}, "state": w.state,
                "lastheartbeat": w.last_heartbeat}

    def app(a: Any) -> dict[str, Any]:
        end = a.end_time or now
        return {"id": a.app_id, "starttime": a.start_time, "name": a.name, "cores": a.cores_granted,
                "user": a.user, "memoryperexecutor": a.executor_memory >> 20,
                "memoryperslave": a.executor_memory >> 20, "resourcesperexecutor": [],
                "resourcesperslave": [], "submitdate": time.strftime(
                    "%a %b %d %H:%M:%S %Z %Y", time.localtime(a.start_time / 1000)) if a.start_time else "",
                "state": a.state, "duration": end - a.start_time if a.start_time else 0}

    return {"url": status.url, "workers": [worker(w) for w in status.workers], "aliveworkers": len(alive),
            "cores": sum(w.cores for w in alive), "coresused": sum(w.cores_used for w in alive),
            "memory": sum(w.memory for w in alive) >> 20, "memoryused": sum(w.memory_used for w in alive) >> 20,
            "resources": [], "resourcesused": [],
            "activeapps": [app(a) for a in _apps(status) if a.state not in ENDED],
            "completedapps": [app(a) for a in _apps(status) if a.state in ENDED],
            "activedrivers": [], "completeddrivers": [], "status": "ALIVE"}


def _table(headers: list[str], rows: list[list[str]], ident: str) -> str:
    if not rows:
        return "<p>none</p>"
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table id='{ident}'><tr>{head}</tr>{body}</table>"


def render(status: Any) -> str:
    now = int(time.time() * 1000)
    webui = {w.worker_id: w.webui_address for w in status.workers}
    alive = [w for w in status.workers if w.state == "ALIVE"]
    workers = [[esc(w.worker_id), esc(w.host), f"<span class='{esc(w.state)}'>{esc(w.state)}</span>",
                f"{w.cores} ({w.cores_used} Used)",
                esc(f"{bytes_to_string(w.memory)} ({bytes_to_string(w.memory_used)} Used)"),
                esc(f"{w.last_heartbeat_age:.1f} s ago"), link(w.webui_address, "logs") if w.webui_address else ""]
               for w in status.workers]

    def app_rows(apps: list[Any]) -> list[list[str]]:
        rows = []
        for a in apps:
            name = link(a.ui_url, a.name) if a.ui_url and a.state not in ENDED else esc(a.name)
            logs = []
            for e in a.all_executors:
                base = webui.get(e.worker_id, "")
                if base:
                    logs.append(f"{esc(e.executor_id)}: "
                                + link(f"{base}/logPage/?appId={e.app_id}&executorId={e.executor_id}&logType=stdout",
                                       "stdout") + " "
                                + link(f"{base}/logPage/?appId={e.app_id}&executorId={e.executor_id}&logType=stderr",
                                       "stderr"))
            duration = (a.end_time or now) - a.start_time if a.start_time else None
            rows.append([esc(a.app_id), name, str(a.cores_granted), esc(bytes_to_string(a.executor_memory)),
                         esc(date_string(a.start_time)), esc(a.user),
                         f"<span class='{esc(a.state)}'>{esc(a.state)}</span>", esc(duration_string(duration)),
                         "<br>".join(logs)])
        return rows

    app_headers = ["Application ID", "Name", "Cores", "Memory per Executor", "Submitted Time", "User",
                   "State", "Duration", "Executor logs"]
    active = [a for a in _apps(status) if a.state not in ENDED]
    done = [a for a in _apps(status) if a.state in ENDED]
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>sparklite master</title>"
            f"<style>{CSS}</style></head><body>"
            f"<h1>sparklite master at {esc(status.url or status.master_id)}</h1>"
            f"<ul><li><b>Alive Workers:</b> {len(alive)}</li>"
            f"<li><b>Cores in use:</b> {sum(w.cores for w in alive)} Total, "
            f"{sum(w.cores_used for w in alive)} Used</li>"
            f"<li><b>Memory in use:</b> {esc(bytes_to_string(sum(w.memory for w in alive)))} Total, "
            f"{esc(bytes_to_string(sum(w.memory_used for w in alive)))} Used</li>"
            f"<li><b>Applications:</b> {len(active)} Running, {len(done)} Completed</li></ul>"
            f"<h2>Workers ({len(status.workers)})</h2>"
            + _table(["Worker Id", "Address", "State", "Cores", "Memory", "Last Heartbeat", "Logs"], workers,
                     "workers")
            + f"<h2>Running Applications ({len(active)})</h2>" + _table(app_headers, app_rows(active), "active-apps")
            + f"<h2>Completed Applications ({len(done)})</h2>" + _table(app_headers, app_rows(done), "completed-apps")
            + "</body></html>")


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
    def __init__(self, host: str, port: int, status: Callable[[], Any], port_retries: int = 16):
        page = self
        self._status = status

        class Handler(BaseHTTPRequestHandler):
            def setup(self) -> None:
                # the request arrives already read (by the accept thread); only the answer is written
                self.connection, data = self.request
                self.connection.settimeout(REQUEST_TIMEOUT)
                self.rfile = io.BytesIO(data)
                self.wfile = self.connection.makefile("wb")

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                response = page.route(urlsplit(self.path).path)
                body = response.body.encode() if isinstance(response.body, str) else response.body
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self._handler = Handler
        self._listener = _bind(host, port, port_retries)
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

    def route(self, path: str) -> Response:
        route = path.rstrip("/") or "/"
        if route == "/json":
            return Response(200, json.dumps(master_json(self._status()), indent=2), "application/json")
        if route == "/json/raw":  # every field of the master's records (tools, tests)
            data = MessageToDict(self._status(), preserving_proto_field_name=True)
            return Response(200, json.dumps(data, indent=2), "application/json")
        if route == "/":
            return Response(200, render(self._status()))
        return not_found(f"no page at {path}")

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join(5.0)
        self._listener.close()
        self._pool.shutdown(wait=True, cancel_futures=True)


def _bind(host: str, port: int, retries: int) -> socket.socket:
    """A listening socket on ``port``, or on one of the next ``retries`` ports if it is taken."""
    attempts = 1 if port == 0 else retries + 1
    for offset in range(attempts):
        try:
            return socket.create_server((host, port + offset if port else 0),
                                        family=socket.AF_INET6 if ":" in host else socket.AF_INET)
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or offset == attempts - 1:
                raise
    raise AssertionError("unreachable")
