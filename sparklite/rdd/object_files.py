"""Files of pickled objects: ``saveAsPickleFile``/``pickleFile`` and reliable checkpoints.

A part file is a run of ``<8-byte length><pickled list of records>`` frames
(the shuffle's frame format), written through fsspec under a temporary name
and renamed when complete, so a reader never sees half a part and a retried
task attempt simply replaces its predecessor's file. Reading streams frame by
frame, so a partition is never held in memory twice.

The format is sparklite's own: PySpark's pickle files are Hadoop SequenceFiles
(a JVM format), which sparklite cannot read or write.

File systems that live inside one process (``memory://``) are written by the
driver and read through its blob store, as ``textFile`` does.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from itertools import islice
from typing import Any, BinaryIO, Callable, Iterable, Iterator

from sparklite import serializers
from sparklite.shuffle.frames import HEADER_SIZE, decode_frames, write_frames

_HEADER = struct.Struct("<Q")


def is_process_local(url: str) -> bool:
    """True for file systems executors cannot see (``memory://``)."""
    from sparklite.filesystems import url_to_fs

    fs, _ = url_to_fs(url)
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    return "memory" in protocols


def write_objects(url: str, records: Iterable[Any], batch_size: int) -> int:
    """Write ``records`` to ``url`` as frames of ``batch_size``; returns how many were written."""
    from sparklite.filesystems import open_url, url_to_fs

    head, name = url.rstrip("/").rsplit("/", 1)
    tmp_url = f"{head}/.{name}.tmp"
    n = 0
    iterator = iter(records)
    with open_url(tmp_url, "wb") as f:
        while True:
            batch = list(islice(iterator, batch_size))
            if not batch:
                break
            write_frames(f, batch, batch_size)
            n += len(batch)
    fs, path = url_to_fs(tmp_url)
    final = fs._strip_protocol(url)
    fs.mv(path, final)
    from sparklite.rdd.output import _count_output

    _count_output(fs, final, n)
    return n


def _read_stream(f: BinaryIO) -> Iterator[Any]:
    loads = serializers.loads
    while True:
        header = f.read(HEADER_SIZE)
        if not header:
            return
        if len(header) < HEADER_SIZE:
            raise ValueError("truncated object file: incomplete frame header")
        (length,) = _HEADER.unpack(header)
        payload = f.read(length)
        if len(payload) < length:
            raise ValueError(f"truncated object file: frame of {length} bytes has {len(payload)}")
        yield from loads(payload)


@dataclass(frozen=True)
class ObjectFile:
    """One part file, as an executor opens it: by URL, or by blob key for process-local files."""

    url: str
    blob_key: str | None = None

    def read(self, fetch_blob: Callable[[str], bytes]) -> Iterator[Any]:
        if self.blob_key is not None:
            for batch in decode_frames(fetch_blob(self.blob_key)):
                yield from batch
            return
        from sparklite.filesystems import open_url

        with open_url(self.url, "rb") as f:
            yield from _read_stream(f)


def list_part_files(path: str) -> list[str]:
    """The visible files of a saved directory (or the file itself), sorted: part order."""
    from sparklite.rdd.files import list_input_files

    return [fs.unstrip_protocol(p) for fs, p, _ in list_input_files(path)]


def plan_object_files(urls: list[str], put_blob: Callable[[bytes], str]) -> list[ObjectFile]:
    """ObjectFiles for ``urls``; process-local ones are copied into the driver's blob store."""
    from sparklite.filesystems import url_to_fs

    planned = []
    for url in urls:
        if is_process_local(url):
            fs, p = url_to_fs(url)
            planned.append(ObjectFile(url, put_blob(fs.cat_file(p))))
        else:
            planned.append(ObjectFile(url))
    return planned


def make_output_dir(path: str) -> tuple[Any, str, str]:
    """Create a new output directory (refusing an existing one, as Hadoop's committer does);
    returns (fs, fs path, fully qualified base URL)."""
    from sparklite.filesystems import url_to_fs

    fs, fspath = url_to_fs(path)
    if fs.exists(fspath):
        raise FileExistsError(f"Output directory {path} already exists")
    fs.makedirs(fspath, exist_ok=False)
    return fs, fspath, fs.unstrip_protocol(fspath).rstrip("/")
