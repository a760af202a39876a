"""A worker's web pages: its executors' stdout/stderr, kept after their application ends.

Spark's worker serves ``/logPage/?appId=&executorId=&logType=stdout|stderr``;
so does this one, from ``<work dir>/<app id>/<executor id>/``, plus an index of
the applications whose logs it keeps and ``/json``. It listens on
``spark.worker.ui.port`` (8081, or the next free port); off loopback with the
cluster's secret set, the pages ask for it (or its token), as the driver's UI.
"""
from __future__ import annotations

import json
import os
import re
from typing import Any, Callable

from sparklite.ui.html import esc
from sparklite.ui.http_server import HttpServer, Request, Response, is_loopback, not_found
from sparklite.ui.logs import log_page


def _safe(name: str | None) -> str | None:
    """A path component from a query (no separators, no dot-dot)."""
    if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
        return None
    return name


def app_dir_name(app_id: str) -> str:
    """The directory of an application under the work dir: its id with anything outside
    ``[A-Za-z0-9_.-]`` replaced (an id comes from a driver, and must not climb out)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", app_id).lstrip(".") or "app"


class WorkerPages:
    def __init__(self, host: str, port: int, work_dir: str, describe: Callable[[], dict[str, Any]],
                 secret: str | None, port_retries: int = 16):
        self.work_dir = work_dir
        self._describe = describe
        needs_secret = secret if secret and not is_loopback(host) else None
        self.server = HttpServer(host, port, self._handle, "sparklite-worker-ui", secret=needs_secret,
                                 port_retries=port_retries)
        self.url = self.server.url(host)

    def log_url(self, app_id: str, executor_id: str, kind: str) -> str:
        return f"{self.url}/logPage/?appId={app_id}&executorId={executor_id}&logType={kind}"

    def _handle(self, request: Request) -> Response:
        route = request.path.rstrip("/") or "/"
        if route == "/logPage":
            app_id, executor_id = _safe(request.arg("appId")), _safe(request.arg("executorId"))
            if app_id is None or executor_id is None:
                return not_found("appId and executorId are required")
            kind = request.arg("logType") or "stderr"
            path = os.path.join(self.work_dir, app_dir_name(app_id), app_dir_name(executor_id), kind) \
                if kind in ("stdout", "stderr") else None
            return log_page(path, request, f"executor {executor_id} of {app_id}")
        if route == "/json":
            return Response(200, json.dumps(self._describe(), indent=2), "application/json")
        if route == "/":
            return Response(200, self._index())
        return not_found(f"no page at {request.path}")

    def _index(self) -> str:
        rows = []
        for app_id in sorted(os.listdir(self.work_dir)) if os.path.isdir(self.work_dir) else []:
            app_dir = os.path.join(self.work_dir, app_id)
            if not os.path.isdir(app_dir):
                continue
            for executor_id in sorted(e for e in os.listdir(app_dir)
                                      if os.path.isfile(os.path.join(app_dir, e, "stderr"))):
                links = " ".join(f"<a href='{esc(self.log_url(app_id, executor_id, k))}'>{k}</a>"
                                 for k in ("stdout", "stderr"))
                rows.append(f"<tr><td>{esc(app_id)}</td><td>{esc(executor_id)}</td><td>{links}</td></tr>")
        info = self._describe()
        return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>sparklite worker</title></head><body>"
                f"<h2>sparklite worker {esc(info.get('id', ''))}</h2>"
                f"<p>Cores: {info.get('cores')} ({info.get('coresused')} used); master: "
                f"{esc(info.get('masterurl', ''))}</p>"
                "<h3>Executor logs</h3><table border=1><tr><th>Application</th><th>Executor</th>"
                f"<th>Logs</th></tr>{''.join(rows)}</table></body></html>")

    def stop(self) -> None:
        self.server.stop()
