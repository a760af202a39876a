"""The driver's live web UI: Spark's pages and REST API for the running application.

``spark.ui.enabled`` (default true) starts it on ``spark.ui.port`` (4040, or the
next free port up to ``spark.port.maxRetries`` further; 0 picks any free port).
It binds where the driver binds: loopback in local mode. Bound off loopback with
``spark.authenticate`` on, it asks for the application's secret (or the token
derived from it, :func:`sparklite.ui.http_server.ui_token`), so a cluster's
network cannot read job details or trigger thread dumps.

In local mode it also serves the executors' stdout/stderr files at
``/logs/?executorId=N&logType=stderr`` (the Executors tab links there).
"""
from __future__ import annotations

import logging
from typing import Any, Callable

from sparklite.ui.http_server import HttpServer, Request, Response, is_loopback, ui_token
from sparklite.ui.logs import log_page
from sparklite.ui.store import AppStatusStore
from sparklite.ui.web_ui import AppPages

log = logging.getLogger(__name__)


class LiveUI:
    def __init__(self, settings: Any, store: AppStatusStore, bus: Any, bind_host: str, advertised_host: str,
                 secret: str | None, thread_dump: Callable[[str], str | None],
                 log_file: Callable[[str, str], str | None]):
        self._log_file = log_file
        needs_secret = bool(settings.get("spark.authenticate")) and not is_loopback(bind_host) and bool(secret)
        self.pages = AppPages(store, "", thread_dump=thread_dump, logs=self._logs, bus=bus,
                              prometheus_enabled=settings.get("spark.ui.prometheus.enabled"))
        self.server = HttpServer(bind_host, settings.get("spark.ui.port"), self._handle, "sparklite-ui",
                                 secret=secret if needs_secret else None,
                                 port_retries=settings.get("spark.port.maxRetries"))
        self.url = self.server.url(advertised_host)
        #: the URL with the token, for the user who holds the secret (None when none is needed)
        self.url_with_token = f"{self.url}/?token={ui_token(secret)}" if needs_secret and secret else None
        log.info("Bound SparkUI to %s, and started at %s", bind_host, self.url)

    def _handle(self, request: Request) -> Response:
        return self.pages.handle(request, request.path)

    def _logs(self, request: Request) -> Response:
        executor_id = request.arg("executorId") or ""
        log_type = request.arg("logType") or "stderr"
        return log_page(self._log_file(executor_id, log_type), request, f"executor {executor_id}")

    def log_urls(self, executor_id: str) -> dict[str, str]:
        return {kind: f"{self.url}/logs/?executorId={executor_id}&logType={kind}" for kind in ("stdout", "stderr")}

    def stop(self) -> None:
        self.server.stop()


def start_live_ui(settings: Any, *args: Any) -> LiveUI | None:
    """A LiveUI when ``spark.ui.enabled``; a UI that cannot bind is logged, not fatal (Spark's
    driver also goes on without one)."""
    if not settings.get("spark.ui.enabled"):
        return None
    try:
        return LiveUI(settings, *args)
    except OSError as exc:
        log.warning("the web UI could not start: %s", exc)
        return None
