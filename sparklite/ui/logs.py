"""Serving an executor's stdout/stderr file as a page (the driver's UI in local mode, a worker's
log pages on a standalone cluster): the last ``byteLength`` bytes (1 MiB unless asked), so a
huge log never lands in memory whole."""
from __future__ import annotations

import os

from sparklite.ui.html import esc
from sparklite.ui.http_server import Request, Response, not_found

DEFAULT_BYTES = 1 << 20
LOG_TYPES = ("stdout", "stderr")


def log_page(path: str | None, request: Request, title: str) -> Response:
    log_type = request.arg("logType") or "stderr"
    if log_type not in LOG_TYPES:
        return not_found(f"unknown log type {log_type!r}")
    if path is None or not os.path.isfile(path):
        return not_found(f"no {log_type} log for {title}")
    try:
        wanted = max(0, int(request.arg("byteLength") or DEFAULT_BYTES))
    except ValueError:
        wanted = DEFAULT_BYTES
    size = os.path.getsize(path)
    start = max(0, size - wanted)
    with open(path, "rb") as f:
        f.seek(start)
        data = f.read(wanted).decode("utf-8", errors="replace")
    note = f"Showing bytes {start}-{size} of {size}" + (" (the start is cut)" if start else "")
    body = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(title)} {log_type}</title></head>"
            f"<body><h3>{esc(log_type)} log of {esc(title)}</h3><p>{esc(note)}</p>"
            f"<pre id='log'>{esc(data)}</pre></body></html>")
    return Response(200, body)
