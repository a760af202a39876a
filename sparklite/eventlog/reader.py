"""Reading event logs: list a log directory's applications, replay a log into an AppStatusStore.

A log is one file per application attempt, plain or ``.zstd`` (concatenated zstd
frames), ``.inprogress`` while its application runs. A last line cut short by a
writer that is still writing (or died) is ignored; so is a compressed tail frame
not yet complete.
"""
from __future__ import annotations

import io
import json
import logging
import posixpath
from dataclasses import dataclass
from typing import Any, Iterator

from sparklite.eventlog import json_protocol
from sparklite.eventlog.writer import INPROGRESS

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LogFile:
    path: str
    name: str
    in_progress: bool
    compressed: bool
    size: int
    mtime: float


def list_logs(fs: Any, directory: str) -> list[LogFile]:
    found = []
    for entry in fs.ls(directory, detail=True):
        if entry.get("type") != "file":
            continue
        path = entry["name"]
        name = posixpath.basename(path)
        if name.startswith("."):
            continue
        in_progress = name.endswith(INPROGRESS)
        base = name[:-len(INPROGRESS)] if in_progress else name
        compressed = base.endswith(".zstd")
        mtime = entry.get("mtime") or entry.get("created") or 0
        if hasattr(mtime, "timestamp"):
            mtime = mtime.timestamp()
        found.append(LogFile(path, base.removesuffix(".zstd"), in_progress, compressed,
                             int(entry.get("size") or 0), float(mtime)))
    return sorted(found, key=lambda f: f.name)


def _text(fs: Any, log_file: LogFile) -> bytes:
    with fs.open(log_file.path, "rb") as f:
        raw = f.read()
    if not log_file.compressed:
        return raw
    import pyarrow as pa

    out = io.BytesIO()
    stream = pa.CompressedInputStream(pa.BufferReader(raw), "zstd")
    try:
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            out.write(chunk)
    except OSError:  # the frame being written is not complete yet
        pass
    return out.getvalue()


def read_events(fs: Any, log_file: LogFile) -> Iterator[Any]:
    """The listener events of a log, in order (unknown events skipped)."""
    lines = _text(fs, log_file).split(b"\n")
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except ValueError:
            if number < len(lines):  # only the last line may be cut short
                log.warning("%s:%d is not JSON; skipped", log_file.path, number)
            continue
        event = json_protocol.from_json(data)
        if event is not None:
            yield event


def replay(fs: Any, log_file: LogFile, listener: Any) -> int:
    """Deliver a log's events to ``listener`` (as the bus would); the number delivered."""
    count = 0
    for event in read_events(fs, log_file):
        method = getattr(listener, event.handler, None)
        if method is not None:
            method(event)
        count += 1
    return count
