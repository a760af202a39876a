"""Text input through fsspec: planning byte-range splits on the driver, reading lines on executors.

Splits follow Hadoop's TextInputFormat, which PySpark users get: split size
``min(total / minPartitions, 32 MiB)`` with a 10% slop for the last split,
compressed files whole, and a line belongs to the split holding its first
byte, so each executor reads its own byte range straight from storage with no
driver hop. Lines end at ``\\n``, ``\\r\\n`` or ``\\r`` and are decoded as
strict UTF-8 (``use_unicode=False`` yields bytes).

File systems that live inside one process (``memory://``) cannot be read by
executors; their files are read on the driver at planning time and shipped
through the driver's blob store instead.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterator

BLOCK_SIZE = 32 << 20   # what Hadoop's local/object file systems report
READ_CHUNK = 4 << 20
SPLIT_SLOP = 1.1
_NEWLINES = re.compile(r"\r\n|\r|\n")
_NEWLINES_B = re.compile(rb"\r\n|\r|\n")
_PROCESS_LOCAL_PROTOCOLS = {"memory"}


@dataclass(frozen=True)
class FileSplit:
    url: str            # fully qualified (protocol://path), openable by any process
    start: int
    end: int
    compression: str | None = None
    blob_key: str | None = None   # process-local file systems: content lives in the blob store


def _protocols(fs: Any) -> set[str]:
    proto = fs.protocol
    return set(proto) if isinstance(proto, (tuple, list)) else {proto}


def _is_hidden(path: str) -> bool:
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return name.startswith("_") or name.startswith(".")


def list_input_files(path_spec: str) -> list[tuple[Any, str, int]]:
    """``(fs, path, size)`` for every file a textFile path names: files, dirs, globs, commas."""
    from sparklite.filesystems import url_to_fs

    found: list[tuple[Any, str, int]] = []
    for spec in [p for p in path_spec.split(",") if p.strip()]:
        spec = spec.strip()
        fs, fspath = url_to_fs(spec)
        if any(ch in fspath for ch in "*?["):
            matches = sorted(fs.glob(fspath))
        else:
            matches = [fspath] if fs.exists(fspath) else []
        if not matches:
            raise FileNotFoundError(f"Input path does not exist: {spec}")
        for match in matches:
            info = fs.info(match)
            if info["type"] == "directory":
                for child in sorted(fs.ls(match, detail=True), key=lambda i: i["name"]):
                    if child["type"] == "file" and not _is_hidden(child["name"]):
                        found.append((fs, child["name"], int(child.get("size") or 0)))
            else:
                found.append((fs, info["name"], int(info.get("size") or 0)))
    return found


def plan_splits(path_spec: str, min_partitions: int, put_blob: Any) -> list[FileSplit]:
    """Byte-range splits of every input file (driver side)."""
    from fsspec.utils import infer_compression

    files = list_input_files(path_spec)
    total = sum(size for _, _, size in files)
    goal = total / max(min_partitions, 1)
    split_size = max(1, min(int(goal), BLOCK_SIZE))
    splits: list[FileSplit] = []
    for fs, path, size in files:
        url = fs.unstrip_protocol(path)
        compression = infer_compression(path)
        if _protocols(fs) & _PROCESS_LOCAL_PROTOCOLS:
            key = put_blob(fs.cat_file(path))
            splits.append(FileSplit(url, 0, size, compression, key))
        elif compression or size == 0:
            splits.append(FileSplit(url, 0, size, compression))
        else:
            start = 0
            while (size - start) / split_size > SPLIT_SLOP:
                splits.append(FileSplit(url, start, start + split_size))
                start += split_size
            splits.append(FileSplit(url, start, size))
    return splits


def read_split(split: FileSplit, use_unicode: bool, fetch_blob: Any) -> Iterator[Any]:
    """The lines of one split (executor side); counted in the task's input metrics per block."""
    from sparklite.executor.task_metrics import current

    metrics = current()
    if split.blob_key is not None:
        import io

        raw = io.BytesIO(fetch_blob(split.blob_key))
        stream = _decompress(raw, split.compression)
        yield from _lines_of_stream(stream, use_unicode, metrics)
        return
    from sparklite.filesystems import open_url

    if split.compression:
        with open_url(split.url, "rb", compression=split.compression) as f:
            yield from _lines_of_stream(f, use_unicode, metrics)
        return
    with open_url(split.url, "rb") as f:
        yield from _lines_of_range(f, split.start, split.end, use_unicode, metrics)


def _decompress(raw: Any, compression: str | None) -> Any:
    if not compression:
        return raw
    from fsspec.compression import compr

    return compr[compression](raw, mode="rb")


def _lines_of_stream(f: Any, use_unicode: bool, metrics: Any = None) -> Iterator[Any]:
    carry = b""
    while True:
        block = f.read(READ_CHUNK)
        if not block:
            break
        if metrics is not None:
            metrics.input_bytes += len(block)
        carry = yield from _emit_complete_lines(carry + block, use_unicode, metrics)
    if carry:
        yield from _counted(_split_text(carry, use_unicode), metrics)


def _lines_of_range(f: Any, start: int, end: int, use_unicode: bool, metrics: Any = None) -> Iterator[Any]:
    if start > 0:
        f.seek(start - 1)
        f.readline()  # the line holding byte start-1 belongs to the previous split
    pos = f.tell()
    remaining = end - pos
    carry = b""
    while remaining > 0:
        block = f.read(min(READ_CHUNK, remaining))
        if not block:
            break
        remaining -= len(block)
        data = carry + block
        if remaining <= 0 and not data.endswith(b"\n"):
            data += f.readline()  # finish the line that starts before `end`
        if metrics is not None:
            metrics.input_bytes += len(data) - len(carry)
        carry = yield from _emit_complete_lines(data, use_unicode, metrics)
    if carry:
        yield from _counted(_split_text(carry, use_unicode), metrics)


def _emit_complete_lines(data: bytes, use_unicode: bool, metrics: Any = None):
    """Yield the lines of ``data`` up to its last newline; return the incomplete rest."""
    idx = data.rfind(b"\n")
    if idx < 0:
        return data
    yield from _counted(_split_text(data[:idx], use_unicode), metrics)
    return data[idx + 1:]


def _counted(lines: list[Any], metrics: Any) -> list[Any]:
    if metrics is not None:
        metrics.input_records += len(lines)
    return lines


def _split_text(chunk: bytes, use_unicode: bool) -> list[Any]:
    # chunk ends just before a "\n" or at EOF: a last "\r" is part of its terminator
    if chunk.endswith(b"\r"):
        chunk = chunk[:-1]
    if use_unicode:
        text = chunk.decode("utf-8")
        return _NEWLINES.split(text) if "\r" in text else text.split("\n")
    return _NEWLINES_B.split(chunk) if b"\r" in chunk else chunk.split(b"\n")
