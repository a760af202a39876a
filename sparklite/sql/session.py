"""SparkSession: the entry point PySpark programs start from, over one SparkContext.

``SparkSession.builder.master(...).appName(...).config(...).getOrCreate()``
returns the active session (setting the builder's options on its runtime
config) or makes one over ``SparkContext.getOrCreate``; ``.sparkContext`` is
the context every RDD program needs. The session is also a small DataFrame
factory (``createDataFrame``, ``range``, ``read``); sparklite has no SQL
engine, so ``sql``, ``table``, ``catalog``, ``udf`` and streaming raise
NotImplementedError saying so.

THREADING: the active/default session is process-wide, as PySpark's; the
builder's lock makes ``getOrCreate`` race-free.
"""
from __future__ import annotations

import logging
import threading
import warnings
from typing import TYPE_CHECKING, Any, ClassVar

from sparklite.sql.errors import not_an_sql_engine

if TYPE_CHECKING:
    from sparklite.conf import SparkConf
    from sparklite.context import SparkContext
    from sparklite.sql.dataframe import DataFrame
    from sparklite.sql.readwriter import DataFrameReader

_MISSING = object()
log = logging.getLogger(__name__)


class RuntimeConfig:
    """User-facing configuration of a session (``spark.conf``): session values over the context's."""

    def __init__(self, context: SparkContext):
        self._context = context
        self._values: dict[str, str] = {}

    def set(self, key: str, value: Any) -> None:
        """Sets the given Spark runtime configuration property."""
        self._values[str(key)] = str(value).lower() if isinstance(value, bool) else str(value)

    def get(self, key: str, default: Any = _MISSING) -> Any:
        """Returns the value of Spark runtime configuration property for the given key, assuming
        it is set; ``default`` otherwise (an error when no default is given)."""
        if key in self._values:
            return self._values[key]
        value = self._context._conf.get(key)
        if value is not None:
            return value
        if default is _MISSING:
            raise KeyError(f"[SQL_CONF_NOT_FOUND] The SQL config \"{key}\" cannot be found. "
                           f"Please verify that the config exists.")
        return default

    def unset(self, key: str) -> None:
        """Resets the configuration property for the given key."""
        self._values.pop(key, None)

    def isModifiable(self, key: str) -> bool:
        """Whether the key can be changed at run time (not the context's start-up settings)."""
        from sparklite.config import ENTRIES

        return key not in ENTRIES and not key.startswith(("spark.hadoop.", "sparklite.fs."))

    @property
    def getAll(self) -> dict[str, str]:
        """Every property: the context's, then the session's."""
        merged = dict(self._context._conf.getAll())
        merged.update(self._values)
        return merged


class SparkSession:
    """The entry point to programming Spark with the Dataset and DataFrame API (here: the doors an
    RDD program walks through, and small DataFrames to move data between files and RDDs).

    >>> from sparklite.sql import SparkSession
    >>> spark = SparkSession.builder.getOrCreate()
    >>> spark.sparkContext is sc
    True
    >>> spark.createDataFrame([(1, "a")], "id INT, name STRING").collect()
    [Row(id=1, name='a')]
    """

    _lock: ClassVar[threading.RLock] = threading.RLock()
    _active_session: ClassVar[SparkSession | None] = None

    class Builder:
        """Builder for :class:`SparkSession`."""

        def __init__(self) -> None:
            self._options: dict[str, str] = {}

        def config(self, key: str | None = None, value: Any = None, conf: SparkConf | None = None,
                   map: dict[str, Any] | None = None) -> SparkSession.Builder:
            """Sets a config option (a key and value, a SparkConf, or a dict)."""
            with SparkSession._lock:
                if conf is not None:
                    self._options.update(dict(conf.getAll()))
                for k, v in (map or {}).items():
                    self._options[str(k)] = _text(v)
                if key is not None:
                    self._options[str(key)] = _text(value)
            return self

        def master(self, master: str) -> SparkSession.Builder:
            """Sets the Spark master URL to connect to (``local[4]``, ``sparklite://host:port``)."""
            return self.config("spark.master", master)

        def appName(self, name: str) -> SparkSession.Builder:
            """Sets a name for the application."""
            return self.config("spark.app.name", name)

        def remote(self, url: str) -> SparkSession.Builder:
            raise NotImplementedError("Spark Connect (builder.remote) needs a Spark server; "
                                      "sparklite runs the engine itself: use .master(...)")

        def enableHiveSupport(self) -> SparkSession.Builder:
            """Accepted for compatibility; sparklite has no Hive metastore (a warning says so)."""
            warnings.warn("enableHiveSupport() has no effect: sparklite has no Hive metastore or "
                          "SQL engine (it is an RDD engine)", UserWarning, stacklevel=2)
            return self

        def getOrCreate(self) -> SparkSession:
            """Gets an existing :class:`SparkSession` or, if there is no existing one, creates a
            new one based on the options set in this builder (over ``SparkContext.getOrCreate``).
            """
            from sparklite.conf import SparkConf
            from sparklite.context import SparkContext

            with SparkSession._lock:
                session = SparkSession._active_session
                if session is not None and not session._sc._stopped:
                    # as PySpark: only runtime settings take effect on a running session
                    ignored = [k for k in self._options if not session.conf.isModifiable(k)]
                    if ignored:
                        log.warning("Using an existing SparkSession; only runtime configuration takes "
                                    "effect (ignored: %s)", ", ".join(sorted(ignored)))
                    for k, v in self._options.items():
                        if k not in ignored:
                            session.conf.set(k, v)
                    return session
                conf = SparkConf().setAll(self._options.items())
                context = SparkContext.getOrCreate(conf)
                session = SparkSession(context)
                for k, v in self._options.items():
                    session.conf.set(k, v)
                return session

        def create(self) -> SparkSession:
            """A new session (sharing the active SparkContext, made if needed)."""
            from sparklite.conf import SparkConf
            from sparklite.context import SparkContext

            context = SparkContext.getOrCreate(SparkConf().setAll(self._options.items()))
            session = SparkSession(context)
            for k, v in self._options.items():
                session.conf.set(k, v)
            return session

    class _BuilderDescriptor:
        def __get__(self, instance: Any, owner: Any) -> SparkSession.Builder:
            return SparkSession.Builder()

    #: ``SparkSession.builder``: a new Builder each time it is read, as PySpark's
    builder = _BuilderDescriptor()

    def __init__(self, sparkContext: SparkContext, jsparkSession: Any = None,
                 options: dict[str, Any] | None = None):
        self._sc = sparkContext
        self.conf = RuntimeConfig(sparkContext)
        for k, v in (options or {}).items():
            self.conf.set(k, v)
        with SparkSession._lock:
            SparkSession._active_session = self

    # ------------------------------------------------------------------ the session

    @property
    def sparkContext(self) -> SparkContext:
        """The :class:`SparkContext` this session runs on."""
        return self._sc

    @property
    def version(self) -> str:
        """The version of sparklite on which this application is running."""
        return self._sc.version

    @classmethod
    def getActiveSession(cls) -> SparkSession | None:
        """The active :class:`SparkSession`, or None (also after it stopped)."""
        session = cls._active_session
        if session is None or session._sc._stopped:
            return None
        return session

    @classmethod
    def active(cls) -> SparkSession:
        """The active session; an error when there is none."""
        session = cls.getActiveSession()
        if session is None:
            raise RuntimeError("[NO_ACTIVE_OR_DEFAULT_SESSION] No active or default Spark session found.")
        return session

    def newSession(self) -> SparkSession:
        """A new session over the same SparkContext, with its own runtime config."""
        return SparkSession(self._sc)

    def stop(self) -> None:
        """Stop the underlying :class:`SparkContext`."""
        self._sc.stop()
        with SparkSession._lock:
            if SparkSession._active_session is self:
                SparkSession._active_session = None

    def __enter__(self) -> SparkSession:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @classmethod
    def _for_context(cls, context: SparkContext) -> SparkSession:
        """The active session if it runs on ``context``, else a new one over it (``rdd.toDF``)."""
        session = cls.getActiveSession()
        if session is not None and session._sc is context:
            return session
        return SparkSession(context)

    # ------------------------------------------------------------------ DataFrames

    @property
    def read(self) -> DataFrameReader:
        """A :class:`DataFrameReader` for text, CSV, JSON and Parquet files."""
        from sparklite.sql.readwriter import DataFrameReader

        return DataFrameReader(self)

    def createDataFrame(self, data: Any, schema: Any = None, samplingRatio: float | None = None,
                        verifySchema: bool = True) -> DataFrame:
        """Creates a :class:`DataFrame` from an :class:`RDD`, a list, a pandas DataFrame or a
        pyarrow Table.

        ``schema`` may be a :class:`StructType`, a DDL string (``"a INT, b STRING"``), a
        single type (``"int"``: one column named ``value``) or a list of column names
        (types inferred, as PySpark infers them). Values are checked against the schema.

        >>> spark = SparkSession.builder.getOrCreate()
        >>> spark.createDataFrame([("Alice", 1)], ["name", "age"]).collect()
        [Row(name='Alice', age=1)]
        >>> spark.createDataFrame(sc.parallelize([{"b": 1, "a": "x"}])).columns
        ['a', 'b']
        """
        from sparklite.sql.dataframe import create_data_frame

        return create_data_frame(self, data, schema, samplingRatio, verifySchema)

    def range(self, start: int, end: int | None = None, step: int = 1,
              numPartitions: int | None = None) -> DataFrame:
        """A :class:`DataFrame` with one ``LongType`` column named ``id``, from ``start`` to
        ``end`` (exclusive) by ``step``.

        >>> SparkSession.builder.getOrCreate().range(1, 7, 2).collect()
        [Row(id=1), Row(id=3), Row(id=5)]
        """
        from sparklite.sql.types import LongType, StructField, StructType

        schema = StructType([StructField("id", LongType(), False)])
        rdd = self._sc.range(start, end, step, numPartitions).map(lambda i: (i,))
        return self.createDataFrame(rdd, schema)

    # ------------------------------------------------------------------ what sparklite is not

    def sql(self, sqlQuery: str, args: Any = None, **kwargs: Any) -> Any:
        raise not_an_sql_engine("spark.sql(...)")

    def table(self, tableName: str) -> Any:
        raise not_an_sql_engine("spark.table(...)")

    @property
    def catalog(self) -> Any:
        raise not_an_sql_engine("spark.catalog")

    @property
    def udf(self) -> Any:
        raise not_an_sql_engine("spark.udf")

    @property
    def readStream(self) -> Any:
        raise not_an_sql_engine("spark.readStream (structured streaming)")

    def __repr__(self) -> str:
        return f"<sparklite.sql.SparkSession master={self._sc.master} appName={self._sc.appName}>"


def _text(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


__all__ = ["SparkSession", "RuntimeConfig"]
