"""Whole-file and record-file inputs: wholeTextFiles, binaryFiles, binaryRecords, pickleFile.

Files are listed on the driver (directories, globs and comma-separated lists,
hidden ``_``/``.`` files skipped, as ``textFile``) and read on the executors
through fsspec; process-local file systems (``memory://``) are read on the
driver and shipped through the blob store instead.

* ``wholeTextFiles`` decompresses ``.gz``/``.bz2``/... files (by extension, as
  ``textFile`` and Hadoop's codecs do); ``binaryFiles`` returns the raw bytes.
* ``wholeTextFiles``/``binaryFiles`` never split a file: files are packed, in
  path order, into splits of about ``total size / minPartitions`` bytes (as
  Hadoop's CombineFileInputFormat does), so there may be fewer partitions than
  asked for. Keys are Hadoop-style paths: ``file:/abs/path`` for local files,
  ``scheme://...`` otherwise.
* ``binaryRecords`` splits each file at record boundaries.
* ``pickleFile`` reads one partition per part file.
"""
from __future__ import annotations

import math
import weakref
from dataclasses import dataclass
from typing import Any, Iterator

from sparklite.rdd.base import Partition
from sparklite.rdd.object_files import ObjectFile, list_part_files, plan_object_files
from sparklite.rdd.rdd import RDD
from sparklite.taskcontext import TaskContext

#: bytes per binaryRecords split (a multiple of the record length is used)
RECORD_SPLIT_BYTES = 32 << 20


@dataclass(frozen=True)
class WholeFile:
    key: str                 # the path reported to the user
    url: str                 # what fsspec opens
    size: int
    blob_key: str | None = None
    compression: str | None = None   # fsspec codec name inferred from the file's extension


class _BlobPlanner:
    """Copies process-local files into the driver's blob store, freed with the RDD."""

    def __init__(self, rdd: RDD):
        self._store = rdd.ctx._blob_store
        self._prefix = f"rdd_{rdd._rdd_id}_file_"
        self._n = 0
        weakref.finalize(rdd, self._store.remove_prefix, self._prefix)

    def put(self, data: bytes) -> str:
        key = f"{self._prefix}{self._n}"
        self._n += 1
        self._store.put(key, data)
        return key


def _list_whole_files(path: str, planner: _BlobPlanner) -> list[WholeFile]:
    from fsspec.utils import infer_compression

    from sparklite.filesystems import common_protocol, hadoop_uri
    from sparklite.rdd.files import _PROCESS_LOCAL_PROTOCOLS, _protocols, list_input_files

    files = []
    protocol = common_protocol(path)
    for fs, p, size in list_input_files(path):
        blob = planner.put(fs.cat_file(p)) if _protocols(fs) & _PROCESS_LOCAL_PROTOCOLS else None
        files.append(WholeFile(hadoop_uri(fs, p, protocol), fs.unstrip_protocol(p), size, blob,
                               infer_compression(p)))
    return files


def _read_whole(f: WholeFile, context: TaskContext, decompress: bool = False) -> bytes:
    compression = f.compression if decompress else None
    if f.blob_key is not None:
        data = context.env.fetch_blob(f.blob_key)
        if compression is None:
            return data
        import io

        from fsspec.compression import compr

        with compr[compression](io.BytesIO(data), mode="rb") as stream:
            return stream.read()
    from sparklite.filesystems import open_url

    with open_url(f.url, "rb", compression=compression) as stream:
        return stream.read()


class WholeFilesPartition(Partition):
    __slots__ = ("files",)

    def __init__(self, index: int, files: list[WholeFile]):
        super().__init__(index)
        self.files = files


class WholeFilesRDD(RDD):
    """(path, content) per file; content is text (``use_unicode``) or bytes (``binaryFiles``)."""

    def __init__(self, ctx: Any, path: str, min_partitions: int, mode: str):
        super().__init__(ctx)
        self._path = path
        self._min_partitions = max(1, min_partitions)
        self._mode = mode  # "text", "text-bytes" (use_unicode=False) or "binary"
        self._name = path

    def get_partitions(self) -> list[Partition]:
        files = _list_whole_files(self._path, _BlobPlanner(self))
        total = sum(f.size for f in files)
        max_split = max(1, math.ceil(total / self._min_partitions))
        groups: list[list[WholeFile]] = []
        current: list[WholeFile] = []
        size = 0
        for f in files:
            current.append(f)
            size += f.size
            if size >= max_split:
                groups.append(current)
                current, size = [], 0
        if current:
            groups.append(current)
        return [WholeFilesPartition(i, g) for i, g in enumerate(groups)]

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        assert isinstance(split, WholeFilesPartition)
        for f in split.files:
            data = _read_whole(f, context, decompress=self._mode != "binary")
            yield f.key, (data.decode("utf-8") if self._mode == "text" else data)


class RecordsPartition(Partition):
    __slots__ = ("file", "start", "end")

    def __init__(self, index: int, file: WholeFile, start: int, end: int):
        super().__init__(index)
        self.file = file
        self.start = start
        self.end = end


class BinaryRecordsRDD(RDD):
    """Fixed-length byte records of flat binary files."""

    def __init__(self, ctx: Any, path: str, record_length: int):
        super().__init__(ctx)
        if record_length <= 0:
            raise ValueError(f"recordLength must be positive, got {record_length}")
        self._path = path
        self._record_length = record_length
        self._name = path

    def get_partitions(self) -> list[Partition]:
        n = self._record_length
        step = max(1, RECORD_SPLIT_BYTES // n) * n
        parts: list[Partition] = []
        for f in _list_whole_files(self._path, _BlobPlanner(self)):
            if f.size % n:
                raise ValueError(f"{f.key}: its length ({f.size} bytes) is not a multiple of "
                                 f"recordLength ({n}); the last record would be partial")
            for start in range(0, f.size, step):
                parts.append(RecordsPartition(len(parts), f, start, min(f.size, start + step)))
        return parts

    def compute(self, split: Partition, context: TaskContext) -> Iterator[bytes]:
        assert isinstance(split, RecordsPartition)
        n = self._record_length
        f = split.file
        if f.blob_key is not None:
            data = context.env.fetch_blob(f.blob_key)[split.start:split.end]
        else:
            from sparklite.filesystems import open_url

            with open_url(f.url, "rb") as stream:
                stream.seek(split.start)
                data = stream.read(split.end - split.start)
        for pos in range(0, len(data), n):
            yield data[pos:pos + n]


class ObjectFilePartition(Partition):
    __slots__ = ("file",)

    def __init__(self, index: int, file: ObjectFile):
        super().__init__(index)
        self.file = file


class ObjectFileRDD(RDD):
    """``sc.pickleFile``: one partition per part file written by ``saveAsPickleFile``."""

    def __init__(self, ctx: Any, path: str):
        super().__init__(ctx)
        self._path = path
        self._name = path

    def get_partitions(self) -> list[Partition]:
        files = plan_object_files(list_part_files(self._path), _BlobPlanner(self).put)
        return [ObjectFilePartition(i, f) for i, f in enumerate(files)]

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        assert isinstance(split, ObjectFilePartition)
        return split.file.read(context.env.fetch_blob)
