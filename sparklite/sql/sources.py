"""Reading files into DataFrames: planned on the driver, read on the executors.

* Parquet goes through ``pyarrow.dataset``: the driver opens each file's footer
  (a ``ParquetFileFormat`` fragment), takes its schema from the first file, and
  makes one task per file fragment, or per run of row groups when a file is
  bigger than ``spark.sql.files.maxPartitionBytes``; each executor task opens
  its fragment with just those row groups (through fsspec, with the
  application's storage options) and yields its record batches.
* Text, CSV and JSON lines are split by byte ranges like ``textFile``
  (``rdd/files.py``: a line belongs to the split holding its first byte,
  compressed files are read whole), so a big file is read by many tasks. CSV
  skips the header line of each file's first split. ``inferSchema`` for CSV
  and schema inference for JSON are one more job over the same splits, each
  task returning the types it saw, merged on the driver (``textformats.py``).

File systems living inside the driver process (``memory://``) are read on the
driver at planning time and reach executors through the blob store.
"""
from __future__ import annotations

import json
import uuid
import weakref
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterator

from sparklite.rdd.base import Partition
from sparklite.rdd.rdd import RDD
from sparklite.sql.conversion import conform_batch, records_to_batches
from sparklite.sql.errors import AnalysisException
from sparklite.sql.types import StringType, StructField, StructType, from_arrow

if TYPE_CHECKING:
    from sparklite.context import SparkContext
    from sparklite.sql.dataframe import DataFrame
    from sparklite.sql.session import SparkSession
    from sparklite.taskcontext import TaskContext

TEXT_SCHEMA = StructType([StructField("value", StringType(), True)])


class ScanPartition(Partition):
    __slots__ = ("task",)

    def __init__(self, index: int, task: Any):
        super().__init__(index)
        self.task = task


class FileScanRDD(RDD):
    """One partition per planned read task; ``reader(task, context)`` runs on the executor."""

    def __init__(self, ctx: SparkContext, tasks: list[Any], reader: Callable[[Any, Any], Iterator[Any]],
                 name: str):
        super().__init__(ctx)
        self._tasks = tasks
        self._reader = reader
        self._name = name

    def get_partitions(self) -> list[Partition]:
        return [ScanPartition(i, t) for i, t in enumerate(self._tasks)]

    def compute(self, split: Partition, context: TaskContext) -> Iterator[Any]:
        assert isinstance(split, ScanPartition)
        return iter(self._reader(split.task, context))


class _Blobs:
    """Bytes of process-local files for the executors, freed with the RDD that reads them."""

    def __init__(self, ctx: SparkContext):
        self._store = ctx._blob_store
        self._prefix = f"sql_scan_{uuid.uuid4().hex}_"
        self._n = 0

    def put(self, data: bytes) -> str:
        key = f"{self._prefix}{self._n}"
        self._n += 1
        self._store.put(key, data)
        return key

    def tie_to(self, rdd: RDD) -> None:
        weakref.finalize(rdd, self._store.remove_prefix, self._prefix)


def _path_spec(paths: list[str]) -> str:
    return ",".join(str(p) for p in paths)


def _listed(paths: list[str]) -> list[tuple[Any, str, int]]:
    from sparklite.rdd.files import list_input_files

    try:
        return list_input_files(_path_spec(paths))
    except FileNotFoundError as exc:
        raise AnalysisException(f"[PATH_NOT_FOUND] {exc}") from None


# ------------------------------------------------------------------ Parquet


@dataclass(frozen=True)
class ParquetTask:
    url: str
    row_groups: tuple[int, ...] | None   # None: the whole file
    blob_key: str | None = None


def _arrow_filesystem(fs: Any) -> Any:
    import pyarrow.fs as pafs

    from sparklite.filesystems import is_local

    return pafs.LocalFileSystem() if is_local(fs) else pafs.PyFileSystem(pafs.FSSpecHandler(fs))


def _fragment(url: str, row_groups: tuple[int, ...] | None, blob: bytes | None = None) -> Any:
    import pyarrow as pa
    import pyarrow.dataset as ds

    from sparklite.filesystems import url_to_fs

    fmt = ds.ParquetFileFormat()
    if blob is not None:
        return fmt.make_fragment(pa.BufferReader(blob), row_groups=row_groups)
    fs, path = url_to_fs(url)
    return fmt.make_fragment(path, filesystem=_arrow_filesystem(fs), row_groups=row_groups)


def _read_parquet(schema: StructType) -> Callable[[ParquetTask, Any], Iterator[Any]]:
    def read(task: ParquetTask, context: Any) -> Iterator[Any]:
        blob = context.env.fetch_blob(task.blob_key) if task.blob_key is not None else None
        for batch in _fragment(task.url, task.row_groups, blob).to_batches():
            yield conform_batch(batch, schema)
    return read


def plan_parquet(ctx: SparkContext, paths: list[str], blobs: _Blobs) -> tuple[list[ParquetTask], Any]:
    """Read tasks and the Arrow schema of the first file."""
    from sparklite.rdd.files import _PROCESS_LOCAL_PROTOCOLS, _protocols

    limit = ctx._settings.get("spark.sql.files.maxPartitionBytes")
    tasks: list[ParquetTask] = []
    first_schema = None
    for fs, path, _ in _listed(paths):
        url = fs.unstrip_protocol(path)
        if _protocols(fs) & _PROCESS_LOCAL_PROTOCOLS:
            data = fs.cat_file(path)
            fragment = _fragment(url, None, data)
            key = blobs.put(data)
            tasks.append(ParquetTask(url, None, key))
        else:
            fragment = _fragment(url, None)
            fragment.ensure_complete_metadata()
            groups = _pack_row_groups([(rg.id, rg.total_byte_size) for rg in fragment.row_groups], limit)
            tasks.extend(ParquetTask(url, None if len(groups) == 1 else g) for g in groups)
        if first_schema is None:
            first_schema = fragment.physical_schema
    return tasks, first_schema


def _pack_row_groups(groups: list[tuple[int, int]], limit: int) -> list[tuple[int, ...]]:
    packed: list[tuple[int, ...]] = []
    current: list[int] = []
    size = 0
    for rg_id, rg_bytes in groups:
        if current and size + rg_bytes > limit:
            packed.append(tuple(current))
            current, size = [], 0
        current.append(rg_id)
        size += rg_bytes
    if current:
        packed.append(tuple(current))
    return packed


def read_parquet(session: SparkSession, paths: list[str], schema: StructType | None) -> DataFrame:
    from sparklite.sql.dataframe import DataFrame

    ctx = session._sc
    blobs = _Blobs(ctx)
    tasks, arrow = plan_parquet(ctx, paths, blobs)
    if schema is None:
        if arrow is None:
            raise AnalysisException("[UNABLE_TO_INFER_SCHEMA] Unable to infer schema for Parquet. "
                                    "It must be specified manually.")
        schema = from_arrow(arrow)
    rdd = FileScanRDD(ctx, tasks, _read_parquet(schema), _path_spec(paths))
    blobs.tie_to(rdd)
    return DataFrame(rdd, schema, session)


# ------------------------------------------------------------------ text, CSV, JSON lines


@dataclass(frozen=True)
class LinesTask:
    split: Any           # rdd.files.FileSplit
    skip_first: bool     # CSV header: the first line of a file's first split


def _lines(task: LinesTask, context: Any) -> Iterator[str]:
    from sparklite.rdd.files import read_split

    lines = read_split(task.split, True, context.env.fetch_blob)
    if task.skip_first:
        next(lines, None)
    return lines


def plan_lines(session: SparkSession, paths: list[str], blobs: _Blobs, header: bool) -> list[LinesTask]:
    from sparklite.rdd.files import plan_splits

    try:
        splits = plan_splits(_path_spec(paths), session._sc.defaultParallelism, blobs.put)
    except FileNotFoundError as exc:
        raise AnalysisException(f"[PATH_NOT_FOUND] {exc}") from None
    return [LinesTask(s, header and s.start == 0) for s in splits]


def _first_line(task: LinesTask, context: Any) -> Iterator[str]:
    from sparklite.rdd.files import read_split

    for line in read_split(task.split, True, context.env.fetch_blob):
        yield line
        return


def read_text(session: SparkSession, paths: list[str], whole_text: bool) -> DataFrame:
    from sparklite.sql.dataframe import DataFrame

    ctx = session._sc
    if whole_text:
        texts = ctx.wholeTextFiles(_path_spec(paths)).map(lambda kv: (kv[1],))
        return DataFrame(texts.mapPartitions(lambda it: records_to_batches(it, TEXT_SCHEMA)),
                         TEXT_SCHEMA, session)
    blobs = _Blobs(ctx)
    tasks = plan_lines(session, paths, blobs, header=False)

    def read(task: LinesTask, context: Any) -> Iterator[Any]:
        return records_to_batches(((line,) for line in _lines(task, context)), TEXT_SCHEMA)

    rdd = FileScanRDD(ctx, tasks, read, _path_spec(paths))
    blobs.tie_to(rdd)
    return DataFrame(rdd, TEXT_SCHEMA, session)


def _csv_header(session: SparkSession, tasks: list[LinesTask], options: dict[str, Any]) -> list[str] | None:
    """The fields of the first line of the first file (a header, or just the column count)."""
    from sparklite.sql.textformats import csv_reader

    if not tasks:
        return None
    first = FileScanRDD(session._sc, [LinesTask(tasks[0].split, False)], _first_line, "csv header")
    lines = first.collect()
    return next(csv_reader(lines, options), None) if lines else None


def read_csv(session: SparkSession, paths: list[str], schema: StructType | None,
             options: dict[str, Any]) -> DataFrame:
    from sparklite.sql.dataframe import DataFrame
    from sparklite.sql.textformats import (csv_reader, csv_records, infer_csv_columns,
                                           merge_csv_types)
    from sparklite.sql.types import NullType

    ctx = session._sc
    header = bool(options.get("header"))
    null_value = str(options.get("nullValue") or "")
    mode = str(options.get("mode") or "PERMISSIVE").upper()
    blobs = _Blobs(ctx)
    tasks = plan_lines(session, paths, blobs, header)
    if schema is None:
        first = _csv_header(session, tasks, options) or []
        names = [(n if header and n else f"_c{i}") for i, n in enumerate(first)]
        if options.get("inferSchema"):
            width = len(names)

            def infer(task: LinesTask, context: Any) -> Iterator[list[Any]]:
                yield infer_csv_columns(csv_reader(_lines(task, context), options), width, null_value)

            partials = FileScanRDD(ctx, tasks, infer, "csv schema inference").collect()
            types: list[Any] = [NullType()] * width
            for partial in partials:
                types = [merge_csv_types(a, b) for a, b in zip(types, partial)]
            types = [StringType() if isinstance(t, NullType) else t for t in types]
        else:
            types = [StringType()] * len(names)
        schema = StructType([StructField(n, t, True) for n, t in zip(names, types)])
    struct = schema

    def read(task: LinesTask, context: Any) -> Iterator[Any]:
        rows = csv_reader(_lines(task, context), options)
        return records_to_batches(csv_records(rows, struct, null_value, mode), struct)

    rdd = FileScanRDD(ctx, tasks, read, _path_spec(paths))
    blobs.tie_to(rdd)
    return DataFrame(rdd, struct, session)


def read_json(session: SparkSession, paths: list[str], schema: StructType | None,
              options: dict[str, Any]) -> DataFrame:
    from sparklite.sql.dataframe import DataFrame
    from sparklite.sql.textformats import (CORRUPT_RECORD, infer_json_lines, json_records,
                                           merge_json_types, settle_json_type)
    from sparklite.sql.types import NullType, _from_json

    ctx = session._sc
    mode = str(options.get("mode") or "PERMISSIVE").upper()
    blobs = _Blobs(ctx)
    tasks = plan_lines(session, paths, blobs, header=False)
    if schema is None:
        def infer(task: LinesTask, context: Any) -> Iterator[tuple[str | None, bool]]:
            found, corrupt = infer_json_lines(_lines(task, context))
            yield (None if isinstance(found, NullType) else json.dumps(found.jsonValue())), corrupt

        merged: Any = NullType()
        any_corrupt = False
        for found, corrupt in FileScanRDD(ctx, tasks, infer, "json schema inference").collect():
            any_corrupt = any_corrupt or corrupt
            if found is not None:
                merged = merge_json_types(merged, _from_json(json.loads(found)))
        fields = list(settle_json_type(merged).fields) if isinstance(merged, StructType) else []
        if any_corrupt and mode == "PERMISSIVE":
            fields.append(StructField(CORRUPT_RECORD, StringType(), True))
            fields.sort(key=lambda f: f.name)
        schema = StructType(fields)
    struct = schema

    def read(task: LinesTask, context: Any) -> Iterator[Any]:
        return records_to_batches(json_records(_lines(task, context), struct, mode), struct)

    rdd = FileScanRDD(ctx, tasks, read, _path_spec(paths))
    blobs.tie_to(rdd)
    return DataFrame(rdd, struct, session)
