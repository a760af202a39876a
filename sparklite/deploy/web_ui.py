"""A read-only status page for the master: workers, applications, executors (HTML and /json).

It shows no secrets and accepts no input; it binds the master's host.
"""
from __future__ import annotations

import html
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from google.protobuf.json_format import MessageToDict


class StatusPage:
    def __init__(self, host: str, port: int, status: Callable[[], Any]):
        page = self

        class Handler(BaseHTTPRequestHandler):
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

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, name="master-web-ui", daemon=True)
        self._thread.start()

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
        self.server.shutdown()
        self.server.server_close()
