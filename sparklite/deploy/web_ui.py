"""The master's status page: workers, running and completed applications, executors; ``/json``.

``/`` is for people: human sizes and durations, each application's state as its
record has it (RUNNING, FINISHED, FAILED...), start time and duration, links to
the application's web UI and to each executor's stdout/stderr on its worker.
``/json`` has Spark's master JSON fields (``url``, ``workers``, ``aliveworkers``,
``cores``, ``activeapps``, ``completedapps``, ``status``...), memory in MiB as
Spark writes it. Any other path is 404. It shows no secrets and accepts no input;
it binds the master's host and is served by the bounded server of
``sparklite/ui/http_server.py``.
"""
from __future__ import annotations

import json
import time
from typing import Any, Callable

from google.protobuf.json_format import MessageToDict

from sparklite.ui.format import bytes_to_string, date_string, duration_string
from sparklite.ui.html import esc, link
from sparklite.ui.http_server import HttpServer, Request, Response, not_found

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


class StatusPage:
    def __init__(self, host: str, port: int, status: Callable[[], Any], port_retries: int = 16):
        self._status = status
        self.server = HttpServer(host, port, self._handle, "sparklite-master-ui", port_retries=port_retries)
        self.port = self.server.port

    def _handle(self, request: Request) -> Response:
        route = request.path.rstrip("/") or "/"
        if route == "/json":
            return Response(200, json.dumps(master_json(self._status()), indent=2), "application/json")
        if route == "/json/raw":  # every field of the master's records (tools, tests)
            data = MessageToDict(self._status(), preserving_proto_field_name=True)
            return Response(200, json.dumps(data, indent=2), "application/json")
        if route == "/":
            return Response(200, render(self._status()))
        return not_found(f"no page at {request.path}")

    @staticmethod
    def render(data: Any) -> str:
        return render(data)

    def stop(self) -> None:
        self.server.stop()
