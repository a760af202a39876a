"""A small HTTP server for sparklite's pages: bounded threads, idle timeouts, optional secret.

Used by the driver's live UI, ``sparklite-history``, the master's status page
and the worker's log pages. It is the standard library's ``http.server`` with
what a long-running daemon needs: requests are handled by a fixed pool of
``max_threads`` threads, at most ``max_pending`` connections wait for one (more
are answered 503 at once), a connection idle for ``idle_timeout`` seconds is
closed, and every response closes its connection (HTTP/1.0), so a slow or
stalled client holds one thread for a bounded time.

A port that is taken falls through to the next ones (``port_retries``, Spark's
``spark.port.maxRetries``); port 0 picks a free one.

When ``secret`` is given, every request must present it (HTTP basic auth with
the secret as password, ``Authorization: Bearer <token>``, or ``?token=<token>``
once, which sets a cookie), where the token is :func:`ui_token` of the secret,
so the secret itself need not appear in a URL.

THREADING: ``serve_forever`` on its own thread; handlers on the pool's threads.
"""
from __future__ import annotations

import base64
import errno
import hashlib
import hmac
import logging
import socket
import threading
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

TOKEN_COOKIE = "sparklite_ui_token"


def ui_token(secret: str) -> str:
    """The token that opens the UI of an application or cluster whose secret is ``secret``."""
    return hmac.new(secret.encode(), b"sparklite-ui", hashlib.sha256).hexdigest()


def is_loopback(host: str) -> bool:
    return host in ("localhost", "::1") or host.startswith("127.")


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: Any
    client: tuple[str, int]

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: bytes | str = b""
    content_type: str = "text/html; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)


def not_found(what: str = "") -> Response:
    return Response(404, f"<html><body><h1>404 Not Found</h1><p>{what}</p></body></html>")


def _server_class() -> type:
    """The socketserver class, made on first use: ``http.server`` and the thread pool are
    imported on the accept thread, off a SparkContext's start-up path."""
    import socketserver

    class _Server(socketserver.TCPServer):
        allow_reuse_address = True

        def __init__(self, listening: socket.socket, handler: type, owner: HttpServer):
            self.address_family = listening.family
            self.owner = owner
            super().__init__(listening.getsockname()[:2], handler, bind_and_activate=False)
            self.socket.close()
            self.socket = listening  # bound (and listening) by HttpServer on the caller's thread
            self.server_address = listening.getsockname()

        def process_request(self, request: Any, client_address: Any) -> None:
            owner = self.owner
            if not owner._slots.acquire(blocking=False):
                try:
                    request.sendall(b"HTTP/1.0 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")
                except OSError:
                    pass
                self.shutdown_request(request)
                return
            try:
                owner._pool.submit(self._handle, request, client_address)
            except RuntimeError:  # the pool is shutting down
                owner._slots.release()
                self.shutdown_request(request)

        def _handle(self, request: Any, client_address: Any) -> None:
            try:
                self.finish_request(request, client_address)
            except Exception:
                self.handle_error(request, client_address)
            finally:
                self.shutdown_request(request)
                self.owner._slots.release()

        def handle_error(self, request: Any, client_address: Any) -> None:
            log.debug("HTTP request from %s failed", client_address, exc_info=True)

    return _Server


class HttpServer:
    def __init__(self, host: str, port: int, handler: Callable[[Request], Response], name: str,
                 secret: str | None = None, max_threads: int = 8, max_pending: int = 64,
                 idle_timeout: float = 10.0, port_retries: int = 16):
        self.name = name
        self._handler = handler
        self._secret = secret
        self._token = ui_token(secret) if secret else None
        self._max_threads = max_threads
        self._idle_timeout = idle_timeout
        self._slots = threading.BoundedSemaphore(max_threads + max_pending)
        self._pool: Any = None
        self._server: Any = None
        self._ready = threading.Event()
        # the port is taken here (the URL is known at once); connections wait in the backlog
        # until the accept thread serves them
        self._socket = self._bind(host, port, port_retries)
        self.host = host
        self.port = self._socket.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name=f"{name}-http-accept", daemon=True)
        self._thread.start()

    def _bind(self, host: str, port: int, retries: int) -> socket.socket:
        attempts = 1 if port == 0 else retries + 1
        last: OSError | None = None
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        for offset in range(attempts):
            listening = socket.socket(family, socket.SOCK_STREAM)
            try:
                listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                listening.bind((host, port + offset if port else 0))
                listening.listen(128)
                return listening
            except OSError as exc:
                listening.close()
                if exc.errno != errno.EADDRINUSE:
                    raise
                last = exc
                log.info("%s: port %d is taken, trying %d", self.name, port + offset, port + offset + 1)
        raise OSError(errno.EADDRINUSE, f"{self.name}: no free port in {port}..{port + retries} "
                                        f"(spark.port.maxRetries): {last}")

    def _serve(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        try:
            self._pool = ThreadPoolExecutor(max_workers=self._max_threads, thread_name_prefix=f"{self.name}-http")
            self._server = _server_class()(self._socket, self._request_handler_class(self._idle_timeout), self)
        finally:
            self._ready.set()
        # stop() waits for the loop to notice (also a shutdown asked for before it started):
        # a short poll keeps a context's stop quick
        self._server.serve_forever(poll_interval=0.02)

    def url(self, host: str | None = None) -> str:
        shown = host or self.host
        if ":" in shown:
            shown = f"[{shown}]"
        return f"http://{shown}:{self.port}"

    def stop(self) -> None:
        self._ready.wait(10)
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        else:
            self._socket.close()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ requests

    def _authorized(self, request: Request) -> tuple[bool, dict[str, str]]:
        if self._token is None:
            return True, {}
        assert self._secret is not None
        given = request.arg("token")
        if given is not None and hmac.compare_digest(given, self._token):
            return True, {"Set-Cookie": f"{TOKEN_COOKIE}={self._token}; HttpOnly; SameSite=Strict; Path=/"}
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer ") and hmac.compare_digest(header[7:].strip(), self._token):
            return True, {}
        if header.startswith("Basic "):
            try:
                password = base64.b64decode(header[6:].strip()).decode().partition(":")[2]
            except (ValueError, UnicodeDecodeError):
                password = ""
            if hmac.compare_digest(password, self._secret) or hmac.compare_digest(password, self._token):
                return True, {}
        for part in request.headers.get("Cookie", "").split(";"):
            name, _, value = part.strip().partition("=")
            if name == TOKEN_COOKIE and hmac.compare_digest(value, self._token):
                return True, {}
        return False, {}

    def _respond(self, request: Request) -> Response:
        ok, extra = self._authorized(request)
        if not ok:
            return Response(401, "<html><body><h1>401 Unauthorized</h1><p>This UI needs the "
                                 "application's secret (spark.authenticate).</p></body></html>",
                            headers={"WWW-Authenticate": 'Basic realm="sparklite"'})
        try:
            response = self._handler(request)
        except Exception as exc:  # a page bug must not kill the server
            log.exception("%s: %s %s failed", self.name, request.method, request.path)
            response = Response(500, f"<html><body><h1>500</h1><pre>{type(exc).__name__}</pre></body></html>")
        response.headers.update(extra)
        return response

    def _request_handler_class(self, idle_timeout: float) -> type:
        from http.server import BaseHTTPRequestHandler

        server = self

        class Handler(BaseHTTPRequestHandler):
            timeout = idle_timeout
            server_version = "sparklite"

            def _serve(self, head_only: bool = False) -> None:
                parts = urlsplit(self.path)
                request = Request(self.command, parts.path or "/", parse_qs(parts.query), self.headers,
                                  self.client_address)
                response = server._respond(request)
                body = response.body.encode("utf-8") if isinstance(response.body, str) else response.body
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                for key, value in response.headers.items():
                    self.send_header(key, value)
                self.end_headers()
                if not head_only:
                    self.wfile.write(body)

            def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
                self._serve()

            def do_HEAD(self) -> None:  # noqa: N802
                self._serve(head_only=True)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                log.debug("%s: " + format, server.name, *args)

        return Handler
