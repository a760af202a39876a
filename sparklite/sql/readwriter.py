"""``spark.read`` and ``df.write``: PySpark's DataFrameReader/DataFrameWriter for text, CSV, JSON
and Parquet (options, ``format(...).load/save``, keyword arguments), over ``sources.py`` and
``sinks.py``. Formats that need a JVM or a SQL engine (ORC, JDBC, tables) raise
NotImplementedError naming what works instead.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sparklite.sql.errors import not_an_sql_engine
from sparklite.sql.types import StructType

if TYPE_CHECKING:
    from sparklite.sql.dataframe import DataFrame
    from sparklite.sql.session import SparkSession

_FORMATS = ("parquet", "csv", "json", "text")


def _option_value(value: Any) -> Any:
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _paths(path: Any) -> list[str]:
    if isinstance(path, (list, tuple)):
        return [str(p) for p in path]
    return [str(path)]


def _unsupported_format(fmt: str) -> NotImplementedError:
    return NotImplementedError(f"the {fmt!r} data source is not supported by sparklite (it needs a "
                               f"JVM or a SQL engine); use one of {', '.join(_FORMATS)}")


class DataFrameReader:
    """Loads a :class:`DataFrame` from files (``spark.read``).

    >>> import os, tempfile
    >>> from sparklite.sql import SparkSession
    >>> spark = SparkSession.builder.getOrCreate()
    >>> d = tempfile.mkdtemp()
    >>> with open(os.path.join(d, "people.csv"), "w") as f:
    ...     _ = f.write("name,age\\nAnn,31\\nBob,27\\n")
    >>> people = spark.read.csv(d, header=True, inferSchema=True)
    >>> people.schema.simpleString()
    'struct<name:string,age:int>'
    >>> people.rdd.map(lambda r: r.age).sum()
    58
    """

    def __init__(self, session: SparkSession):
        self._session = session
        self._format: str | None = None
        self._schema: StructType | None = None
        self._options: dict[str, Any] = {}

    def format(self, source: str) -> DataFrameReader:
        self._format = source.lower()
        return self

    def schema(self, schema: StructType | str) -> DataFrameReader:
        """The schema of the data (a StructType or a DDL string such as ``"a INT, b STRING"``)."""
        if isinstance(schema, str):
            from sparklite.sql.ddl import parse_schema

            schema = parse_schema(schema)
        if not isinstance(schema, StructType):
            raise TypeError(f"schema should be a StructType or a DDL string, got {schema!r}")
        self._schema = schema
        return self

    def option(self, key: str, value: Any) -> DataFrameReader:
        self._options[key] = _option_value(value)
        return self

    def options(self, **options: Any) -> DataFrameReader:
        for k, v in options.items():
            self.option(k, v)
        return self

    def _set(self, schema: Any, options: dict[str, Any]) -> None:
        if schema is not None:
            self.schema(schema)
        for k, v in options.items():
            if v is not None:
                self.option(k, v)

    def load(self, path: Any = None, format: str | None = None, schema: Any = None,
             **options: Any) -> DataFrame:
        """Loads data from a data source and returns it as a :class:`DataFrame`."""
        if format is not None:
            self.format(format)
        self._set(schema, options)
        fmt = self._format or "parquet"
        if fmt not in _FORMATS:
            raise _unsupported_format(fmt)
        path = path if path is not None else self._options.get("path")
        if path is None:
            raise ValueError("load() needs a path")
        from sparklite.filesystems import options_of
        from sparklite.sql import sources

        paths = _paths(path)
        with options_of(self._session._sc):  # planning lists and opens files on the driver
            if fmt == "parquet":
                return sources.read_parquet(self._session, paths, self._schema)
            if fmt == "text":
                return sources.read_text(self._session, paths, bool(self._options.get("wholetext")))
            if fmt == "csv":
                return sources.read_csv(self._session, paths, self._schema, dict(self._options))
            return sources.read_json(self._session, paths, self._schema, dict(self._options))

    def parquet(self, *paths: str, **options: Any) -> DataFrame:
        """Loads Parquet files (one task per file fragment or run of row groups)."""
        return self.format("parquet").load(list(paths), **options)

    def text(self, paths: Any, wholetext: bool = False, lineSep: str | None = None,
             **options: Any) -> DataFrame:
        """Loads text files: one row per line (or per file, ``wholetext``), a ``value`` column."""
        if lineSep not in (None, "\n"):
            raise NotImplementedError("lineSep other than '\\n' is not supported")
        return self.format("text").load(paths, wholetext=wholetext, **options)

    def csv(self, path: Any, schema: Any = None, sep: str | None = None, encoding: str | None = None,
            quote: str | None = None, escape: str | None = None, comment: str | None = None,
            header: Any = None, inferSchema: Any = None, nullValue: str | None = None,
            mode: str | None = None, **options: Any) -> DataFrame:
        """Loads CSV files (``header``, ``inferSchema``, ``sep``, ``quote``, ``escape``,
        ``nullValue``, ``mode`` as Spark's; one record per line)."""
        if encoding not in (None, "utf-8", "UTF-8", "utf8"):
            raise NotImplementedError("CSV files are read as UTF-8 only")
        if comment is not None or options.get("multiLine") in (True, "true"):
            raise NotImplementedError("the comment and multiLine CSV options are not supported")
        self._set(schema, {"sep": sep, "quote": quote, "escape": escape, "header": header,
                           "inferSchema": inferSchema, "nullValue": nullValue, "mode": mode, **options})
        return self.format("csv").load(path)

    def json(self, path: Any, schema: Any = None, mode: str | None = None, **options: Any) -> DataFrame:
        """Loads JSON lines files (one object per line), inferring the schema unless given."""
        if options.get("multiLine") in (True, "true"):
            raise NotImplementedError("multiLine JSON is not supported: one JSON object per line")
        self._set(schema, {"mode": mode, **options})
        return self.format("json").load(path)

    def orc(self, path: Any, **options: Any) -> DataFrame:
        raise _unsupported_format("orc")

    def jdbc(self, *args: Any, **kwargs: Any) -> DataFrame:
        raise _unsupported_format("jdbc")

    def table(self, tableName: str) -> DataFrame:
        raise not_an_sql_engine("spark.read.table(...)")


class DataFrameWriter:
    """Saves a :class:`DataFrame` as files (``df.write``), in Spark's directory layout."""

    def __init__(self, df: DataFrame):
        self._df = df
        self._format: str | None = None
        self._mode = "errorifexists"
        self._options: dict[str, Any] = {}

    def mode(self, saveMode: str | None) -> DataFrameWriter:
        """``append``, ``overwrite``, ``ignore``, ``error``/``errorifexists`` (the default)."""
        from sparklite.sql.sinks import MODES

        if saveMode is not None:
            if str(saveMode).lower() not in MODES:
                raise ValueError(f"Unknown save mode: {saveMode}. Accepted save modes are "
                                 f"'overwrite', 'append', 'ignore', 'error', 'errorifexists', 'default'.")
            self._mode = str(saveMode).lower()
        return self

    def format(self, source: str) -> DataFrameWriter:
        self._format = source.lower()
        return self

    def option(self, key: str, value: Any) -> DataFrameWriter:
        self._options[key] = _option_value(value)
        return self

    def options(self, **options: Any) -> DataFrameWriter:
        for k, v in options.items():
            self.option(k, v)
        return self

    def partitionBy(self, *cols: Any) -> DataFrameWriter:
        raise NotImplementedError("partitionBy is not supported: write one directory per key "
                                  "yourself (filter the RDD per key), or write unpartitioned")

    def bucketBy(self, *args: Any, **kwargs: Any) -> DataFrameWriter:
        raise not_an_sql_engine("bucketBy")

    def sortBy(self, *args: Any, **kwargs: Any) -> DataFrameWriter:
        raise not_an_sql_engine("DataFrameWriter.sortBy")

    def save(self, path: str | None = None, format: str | None = None, mode: str | None = None,
             partitionBy: Any = None, **options: Any) -> None:
        """Saves the DataFrame under ``path`` (a directory of part files and ``_SUCCESS``)."""
        from sparklite.sql.sinks import write_data_frame

        if partitionBy:
            self.partitionBy(partitionBy)
        if format is not None:
            self.format(format)
        self.mode(mode)
        for k, v in options.items():
            if v is not None:
                self.option(k, v)
        fmt = self._format or "parquet"
        if fmt not in _FORMATS:
            raise _unsupported_format(fmt)
        path = path if path is not None else self._options.get("path")
        if path is None:
            raise ValueError("save() needs a path")
        from sparklite.filesystems import options_of

        with options_of(self._df.sparkSession._sc):
            write_data_frame(self._df, str(path), fmt, self._mode, dict(self._options))

    def parquet(self, path: str, mode: str | None = None, partitionBy: Any = None,
                compression: str | None = None) -> None:
        """Saves as Parquet (``part-NNNNN-<uuid>-c000.snappy.parquet`` files)."""
        self.save(path, "parquet", mode, partitionBy, compression=compression)

    def csv(self, path: str, mode: str | None = None, compression: str | None = None,
            sep: str | None = None, quote: str | None = None, escape: str | None = None,
            header: Any = None, nullValue: str | None = None, **options: Any) -> None:
        """Saves as CSV (``header`` repeats the column names in every part file, as Spark's)."""
        self.save(path, "csv", mode, None, compression=compression, sep=sep, quote=quote,
                  escape=escape, header=header, nullValue=nullValue, **options)

    def json(self, path: str, mode: str | None = None, compression: str | None = None,
             **options: Any) -> None:
        """Saves as JSON lines (null fields left out, as Spark writes them)."""
        self.save(path, "json", mode, None, compression=compression, **options)

    def text(self, path: str, compression: str | None = None, lineSep: str | None = None) -> None:
        """Saves a single string column as text lines."""
        if lineSep not in (None, "\n"):
            raise NotImplementedError("lineSep other than '\\n' is not supported")
        self.save(path, "text", None, None, compression=compression)

    def saveAsTable(self, name: str, *args: Any, **kwargs: Any) -> None:
        raise not_an_sql_engine("saveAsTable")

    def insertInto(self, tableName: str, overwrite: bool | None = None) -> None:
        raise not_an_sql_engine("insertInto")

    def orc(self, path: str, *args: Any, **kwargs: Any) -> None:
        raise _unsupported_format("orc")

    def jdbc(self, *args: Any, **kwargs: Any) -> None:
        raise _unsupported_format("jdbc")
