"""Writing DataFrames: one part file per partition, written by the executors, in Spark's layout.

A write makes a directory holding ``part-NNNNN-<job uuid>-c000<ext>`` files (``.snappy.parquet``,
``.csv``, ``.json``, ``.txt``; ``.gz`` and friends when compressed) and a ``_SUCCESS``
marker written last, as Spark's file committer leaves it. Each task writes its
part under a hidden temporary name and renames it when complete, so a retried
attempt never leaves half a file and readers (which skip ``_``/``.`` files) never see
one. Empty partitions write nothing; if every partition is empty one empty part file
keeps the schema (Parquet) readable, as Spark does.

Save modes, as PySpark's: ``errorifexists``/``error`` (default: an existing path is an
AnalysisException), ``overwrite`` (the old directory is removed first), ``append``
(new part files next to the old ones, under a new job uuid), ``ignore`` (nothing
is written if the path exists).
"""
from __future__ import annotations

import base64
import datetime
import json
import uuid
from typing import TYPE_CHECKING, Any, Callable, Iterator

from sparklite.sql.conversion import batch_to_rows
from sparklite.sql.errors import AnalysisException
from sparklite.sql.formatting import java_double
from sparklite.sql.types import (ArrayType, BinaryType, BooleanType, DataType, DateType, DecimalType,
                                 DoubleType, FloatType, MapType, StringType, StructType,
                                 TimestampNTZType, TimestampType, arrow_schema)

if TYPE_CHECKING:
    from sparklite.sql.dataframe import DataFrame

MODES = {"error": "errorifexists", "errorifexists": "errorifexists", "default": "errorifexists",
         "overwrite": "overwrite", "append": "append", "ignore": "ignore"}
_PARQUET_CODECS = {"snappy": ".snappy", "gzip": ".gz", "zstd": ".zstd", "lz4": ".lz4", "brotli": ".br",
                   "none": "", "uncompressed": ""}
_TEXT_CODECS = {"gzip": ("gzip", ".gz"), "bzip2": ("bz2", ".bz2"), "bz2": ("bz2", ".bz2"),
                "none": (None, ""), "uncompressed": (None, ""), "zstd": ("zstd", ".zst")}


def _timestamp_text(value: datetime.datetime) -> str:
    """Spark's default CSV/JSON timestamp format, ``yyyy-MM-dd'T'HH:mm:ss.SSSXXX``."""
    local = value.astimezone() if value.tzinfo is None else value
    text = local.strftime("%Y-%m-%dT%H:%M:%S.") + f"{local.microsecond // 1000:03d}"
    offset = local.strftime("%z")
    return text + ("Z" if offset in ("+0000", "") else f"{offset[:3]}:{offset[3:]}")


def _plain_text(value: Any, dtype: DataType) -> str:
    if isinstance(dtype, BooleanType):
        return "true" if value else "false"
    if isinstance(dtype, DoubleType):
        return java_double(value)
    if isinstance(dtype, FloatType):
        return java_double(value, single=True)
    if isinstance(dtype, TimestampType):
        return _timestamp_text(value)
    if isinstance(dtype, TimestampNTZType):
        return value.isoformat(timespec="milliseconds")
    if isinstance(dtype, DateType):
        return value.isoformat()
    if isinstance(dtype, BinaryType):
        return base64.b64encode(bytes(value)).decode("ascii")
    return str(value)


def _json_text(value: Any, dtype: DataType) -> str:
    if value is None:
        return "null"
    if isinstance(dtype, StructType):
        return _json_object(value, dtype)
    if isinstance(dtype, ArrayType):
        return "[" + ",".join(_json_text(v, dtype.elementType) for v in value) + "]"
    if isinstance(dtype, MapType):
        return "{" + ",".join(f"{json.dumps(str(k), ensure_ascii=False)}:{_json_text(v, dtype.valueType)}"
                              for k, v in value.items()) + "}"
    if isinstance(dtype, (DoubleType, FloatType)):
        text = _plain_text(value, dtype)
        return text if text[-1].isdigit() else json.dumps(text)  # NaN/Infinity as strings
    if isinstance(dtype, (BooleanType, DecimalType)) or isinstance(value, int):
        return _plain_text(value, dtype)
    return json.dumps(_plain_text(value, dtype), ensure_ascii=False)


def _json_object(row: Any, schema: StructType) -> str:
    """One JSON object, null fields left out (as Spark writes them)."""
    parts = [f"{json.dumps(f.name, ensure_ascii=False)}:{_json_text(v, f.dataType)}"
             for f, v in zip(schema.fields, row) if v is not None]
    return "{" + ",".join(parts) + "}"


# ------------------------------------------------------------------ per-format part writers


def _write_parquet(batches: list[Any], schema: StructType, stream: Any, options: dict[str, Any]) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    codec = str(options.get("compression") or "snappy").lower()
    table = pa.Table.from_batches(batches, schema=arrow_schema(schema))
    pq.write_table(table, stream, compression=None if codec in ("none", "uncompressed") else codec)


def _text_lines(rows: Iterator[Any], schema: StructType, fmt: str, options: dict[str, Any]) -> Iterator[str]:
    if fmt == "json":
        for row in rows:
            yield _json_object(row, schema) + "\n"
        return
    if fmt == "text":
        for row in rows:
            yield ("" if row[0] is None else row[0]) + "\n"
        return
    sep = options.get("sep") or ","
    quote = options.get("quote") or '"'
    escape = options.get("escape") or "\\"
    null_value = str(options.get("nullValue") or "")
    special = (sep, quote, "\n", "\r")

    def field(text: str) -> str:
        # as Spark's CSV writer: quote fields holding the separator, a quote or a line break
        # (quotes inside escaped with the escape character), and empty strings
        if text == "" or any(ch in text for ch in special):
            return quote + text.replace(escape, escape + escape).replace(quote, escape + quote) + quote
        return text

    if options.get("header"):
        yield sep.join(field(n) for n in schema.names) + "\n"
    for row in rows:
        yield sep.join(null_value if v is None else field(_plain_text(v, f.dataType))
                       for v, f in zip(row, schema.fields)) + "\n"


def _part_writer(fmt: str, schema: StructType, options: dict[str, Any]) -> tuple[str, Callable[..., None]]:
    """(file suffix, function writing one part's batches to a binary stream)."""
    if fmt == "parquet":
        codec = str(options.get("compression") or "snappy").lower()
        if codec not in _PARQUET_CODECS:
            raise ValueError(f"unknown Parquet compression {codec!r} (use {', '.join(_PARQUET_CODECS)})")
        return f"{_PARQUET_CODECS[codec]}.parquet", lambda batches, stream: _write_parquet(
            batches, schema, stream, options)
    codec = str(options.get("compression") or "none").lower()
    if codec not in _TEXT_CODECS:
        raise ValueError(f"unknown compression {codec!r} (use {', '.join(_TEXT_CODECS)})")
    compression, codec_suffix = _TEXT_CODECS[codec]
    suffix = {"csv": ".csv", "json": ".json", "text": ".txt"}[fmt] + codec_suffix

    def write(batches: list[Any], stream: Any) -> None:
        from fsspec.compression import compr

        target = compr[compression](stream, mode="wb") if compression else stream
        rows = (row for batch in batches for row in batch_to_rows(batch, schema))
        for text in _text_lines(rows, schema, fmt, options):
            target.write(text.encode("utf-8"))
        if compression:
            target.close()

    return suffix, write


def _check_format(fmt: str, schema: StructType) -> None:
    if fmt == "text":
        if len(schema.fields) != 1:
            raise AnalysisException(f"Text data source supports only a single column, and you have "
                                    f"{len(schema.fields)} columns.")
        field = schema.fields[0]
        if not isinstance(field.dataType, StringType):
            raise AnalysisException(f"[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The Text datasource "
                                    f"doesn't support the column `{field.name}` of the type "
                                    f"\"{field.dataType.simpleString().upper()}\".")
    if fmt == "csv":
        for field in schema.fields:
            if isinstance(field.dataType, (ArrayType, MapType, StructType)):
                raise AnalysisException(f"[UNSUPPORTED_DATA_TYPE_FOR_DATASOURCE] The CSV datasource "
                                        f"doesn't support the column `{field.name}` of the type "
                                        f"\"{field.dataType.simpleString().upper()}\".")


def _write_file(url: str, write: Callable[..., None], batches: list[Any]) -> None:
    from sparklite.filesystems import open_url, url_to_fs

    head, name = url.rsplit("/", 1)
    tmp_url = f"{head}/.{name}.{uuid.uuid4().hex[:8]}.tmp"
    with open_url(tmp_url, "wb") as stream:
        write(batches, stream)
    fs, tmp_path = url_to_fs(tmp_url)
    fs.mv(tmp_path, fs._strip_protocol(url))


def write_data_frame(df: DataFrame, path: str, fmt: str, mode: str, options: dict[str, Any]) -> None:
    """Write ``df`` under ``path`` as ``fmt`` files (the executors write the parts)."""
    from sparklite.filesystems import hadoop_uri, url_to_fs
    from sparklite.rdd.object_files import is_process_local

    save_mode = MODES.get(str(mode).lower())
    if save_mode is None:
        raise ValueError(f"Unknown save mode: {mode}. Accepted save modes are 'overwrite', "
                         f"'append', 'ignore', 'error', 'errorifexists', 'default'.")
    schema = df.schema
    _check_format(fmt, schema)
    suffix, write = _part_writer(fmt, schema, options)
    fs, fspath = url_to_fs(path)
    if fs.exists(fspath):
        if save_mode == "errorifexists":
            raise AnalysisException(f"[PATH_ALREADY_EXISTS] Path {hadoop_uri(fs, fspath)} already "
                                    f"exists. Set mode as \"overwrite\" to overwrite the existing path.")
        if save_mode == "ignore":
            return
        if save_mode == "overwrite":
            fs.rm(fspath, recursive=True)
    fs.makedirs(fspath, exist_ok=True)
    base = fs.unstrip_protocol(fspath).rstrip("/")
    job = str(uuid.uuid4())

    def part_url(index: int) -> str:
        return f"{base}/part-{index:05d}-{job}-c000{suffix}"

    if is_process_local(base):
        written = []
        for index, batches in enumerate(df._batches.glom().collect()):
            batches = [b for b in batches if b.num_rows]
            if batches:
                _write_file(part_url(index), write, batches)
            written.append(bool(batches))
    else:
        def write_partition(index: int, iterator: Iterator[Any]) -> Iterator[bool]:
            batches = [b for b in iterator if b.num_rows]
            if batches:
                _write_file(part_url(index), write, batches)
            yield bool(batches)

        written = df._batches.mapPartitionsWithIndex(write_partition).collect()
    if not any(written) and not (save_mode == "append" and fs.ls(fspath)):
        import pyarrow as pa

        empty = pa.RecordBatch.from_pylist([], schema=arrow_schema(schema))
        _write_file(part_url(0), write, [empty] if fmt == "parquet" else [])
    with fs.open(f"{fspath.rstrip('/')}/_SUCCESS", "wb"):
        pass
