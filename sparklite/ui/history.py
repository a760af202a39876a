"""HistoryServer: the UI and REST API of finished and running applications, from their event logs.

Like Spark's History Server it lists ``spark.history.fs.logDirectory`` (any
fsspec URL), replays each application's log into an AppStatusStore, and serves
the same pages as the live UI under ``/history/<app id>/`` and Spark's REST API
under ``/api/v1``. A log is read again when its size or modification time
changed, at most every ``spark.history.fs.update.interval``, so a running
application's ``.inprogress`` log is followed. The index lists each application
with its duration and outcome.

THREADING: HTTP threads; the provider's lock guards its table of loaded logs.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from sparklite.eventlog.reader import LogFile, list_logs, replay
from sparklite.eventlog.writer import open_log_dir
from sparklite.ui import rest
from sparklite.ui.format import date_string, duration_string
from sparklite.ui.html import CSS, esc, link, table
from sparklite.ui.http_server import HttpServer, Request, Response, not_found
from sparklite.ui.store import AppStatusStore
from sparklite.ui.web_ui import AppPages

log = logging.getLogger(__name__)


@dataclass
class _Loaded:
    log_file: LogFile
    store: AppStatusStore
    pages: AppPages


class HistoryProvider:
    def __init__(self, log_dir: str, update_interval: float = 10.0):
        self.log_dir = log_dir
        self._fs, self._path = open_log_dir(log_dir)
        if not self._fs.isdir(self._path):
            raise FileNotFoundError(f"event log directory {log_dir} does not exist "
                                    f"(spark.history.fs.logDirectory)")
        self._interval = update_interval
        self._apps: dict[str, _Loaded] = {}
        self._lock = threading.Lock()
        self._scanned = 0.0

    def refresh(self, force: bool = False) -> None:
        now = time.monotonic()
        with self._lock:
            if not force and now - self._scanned < self._interval:
                return
            self._scanned = now
            known = {loaded.log_file.path: key for key, loaded in self._apps.items()}
            seen = set()
            for log_file in list_logs(self._fs, self._path):
                seen.add(log_file.path)
                key = known.get(log_file.path)
                old = self._apps.get(key) if key is not None else None
                if old is not None and (old.log_file.size, old.log_file.mtime) == (log_file.size, log_file.mtime):
                    continue
                loaded = self._load(log_file)
                if loaded is None:
                    continue
                if key is not None and key != loaded.store.app.app_id:
                    self._apps.pop(key, None)
                self._apps[loaded.store.app.app_id] = loaded
            for key in [k for k, v in self._apps.items() if v.log_file.path not in seen]:
                del self._apps[key]

    def _load(self, log_file: LogFile) -> _Loaded | None:
        store = AppStatusStore()
        try:
            replay(self._fs, log_file, store)
        except Exception as exc:  # one broken log must not hide the others
            log.warning("could not read event log %s: %s", log_file.path, exc)
            return None
        if not store.app.app_id:
            store.app.app_id = log_file.name
        if log_file.in_progress:
            store.app.end_time = None
        app_id = store.app.app_id
        return _Loaded(log_file, store, AppPages(store, f"/history/{app_id}"))

    def applications(self) -> dict[str, _Loaded]:
        self.refresh()
        with self._lock:
            return dict(self._apps)

    def stores(self) -> dict[str, AppStatusStore]:
        return {k: v.store for k, v in self.applications().items()}


def outcome(loaded: _Loaded) -> str:
    if loaded.log_file.in_progress:
        return "in progress"
    failed = sum(1 for j in loaded.store.jobs() if j.status == "FAILED")
    return "succeeded" if not failed else f"{failed} failed job{'s' if failed > 1 else ''}"


class HistoryServer:
    def __init__(self, provider: HistoryProvider, host: str, port: int, port_retries: int = 16):
        self.provider = provider
        self.server = HttpServer(host, port, self._handle, "sparklite-history", port_retries=port_retries)
        self.url = self.server.url(host)

    def _handle(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/api/v1"):
            return rest.handle(request, self.provider.stores)
        if path.rstrip("/") in ("", "/history"):
            return Response(200, self._index(request))
        if path.startswith("/history/"):
            app_id, _, rest_path = path[len("/history/"):].partition("/")
            loaded = self.provider.applications().get(app_id)
            if loaded is None:
                return not_found(f"no application {app_id} in {self.provider.log_dir}")
            return loaded.pages.handle(request, "/" + rest_path)
        return not_found(f"no page at {path}")

    def _index(self, request: Request) -> str:
        show_incomplete = request.arg("showIncomplete") == "true"
        rows = []
        apps = sorted(self.provider.applications().values(), key=lambda a: -a.store.app.start_time)
        for loaded in apps:
            app = loaded.store.app
            if loaded.log_file.in_progress != show_incomplete:
                continue
            end = app.end_time
            duration = (end or int(time.time() * 1000)) - app.start_time if app.start_time else None
            rows.append([link(f"/history/{app.app_id}/jobs/", app.app_id), esc(app.name),
                         esc(date_string(app.start_time)), esc(date_string(end) if end else ""),
                         esc(duration_string(duration)), esc(app.user), esc(outcome(loaded)),
                         esc(date_string(int(loaded.log_file.mtime * 1000)))])
        other = ("<a href='/?showIncomplete=false'>Show completed applications</a>" if show_incomplete
                 else "<a href='/?showIncomplete=true'>Show incomplete applications</a>")
        kind = "Incomplete" if show_incomplete else "Completed"
        return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>History Server</title>"
                f"<style>{CSS}</style></head><body><main><h3>sparklite History Server</h3>"
                f"<p>Event log directory: {esc(self.provider.log_dir)}</p><h4>{kind} applications</h4>"
                + table(["App ID", "App Name", "Started", "Completed", "Duration", "Spark User", "Outcome",
                         "Last Updated"], rows, "history-summary", empty=f"No {kind.lower()} applications found")
                + f"<p>{other}</p></main></body></html>")

    def stop(self) -> None:
        self.server.stop()
