"""DataFrame: a schema plus an RDD of Arrow record batches, to move data between files and RDDs.

Every partition of ``_batches`` yields ``pyarrow.RecordBatch`` objects whose Arrow
schema is ``arrow_schema(schema)``: file readers produce them on the executors
(``sources.py``), ``createDataFrame`` converts Python records into them inside
``mapPartitions`` (``conversion.py``), and writers consume them on the executors
(``sinks.py``). ``df.rdd`` is the same data as an RDD of :class:`Row`, where RDD
programs take over.

What a DataFrame offers is PySpark's, for these uses: ``collect``, ``count``,
``take``, ``head``, ``first``, ``isEmpty``, ``show``, ``printSchema``, ``schema``,
``columns``, ``dtypes``, ``toPandas``, ``toDF``, ``write``, ``cache``/``persist``,
``foreach``/``foreachPartition``/``toLocalIterator``, ``repartition``/``coalesce``
(by number). Column expressions, ``select``, ``filter`` and the rest of the SQL
surface raise NotImplementedError naming the RDD alternative.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterator

from sparklite.sql.conversion import (batch_to_rows, has_null_type, infer_schema, infer_schema_of,
                                      merge_types, records_to_batches)
from sparklite.sql.errors import not_an_sql_engine
from sparklite.sql.formatting import cell_text, show_string
from sparklite.sql.row import Row
from sparklite.sql.types import DataType, StructField, StructType, arrow_schema, from_arrow

if TYPE_CHECKING:
    from sparklite.rdd.rdd import RDD
    from sparklite.sql.readwriter import DataFrameWriter
    from sparklite.sql.session import SparkSession
    from sparklite.storagelevel import StorageLevel

#: PySpark DataFrame members that need a SQL engine: NotImplementedError, not AttributeError
SQL_ONLY = frozenset("""
agg alias approxQuantile checkpoint colRegex corr count_distinct cov createGlobalTempView
createOrReplaceGlobalTempView createOrReplaceTempView createTempView crossJoin crosstab cube
describe distinct drop dropDuplicates dropDuplicatesWithinWatermark drop_duplicates dropna
exceptAll explain fillna filter freqItems groupBy groupby hint inputFiles intersect intersectAll
join limit localCheckpoint mapInArrow mapInPandas melt na observe offset orderBy pivot
randomSplit registerTempTable repartitionByRange replace rollup sameSemantics sample sampleBy
select selectExpr semanticHash sort sortWithinPartitions stat subtract summary tail toJSON
transform union unionAll unionByName unpivot where withColumn withColumnRenamed withColumns
withColumnsRenamed withMetadata withWatermark writeStream writeTo
""".split())


def _batches_to_rows(schema: StructType) -> Callable[[Iterator[Any]], Iterator[Row]]:
    def rows(batches: Iterator[Any]) -> Iterator[Row]:
        for batch in batches:
            yield from batch_to_rows(batch, schema)
    return rows


class DataFrame:
    """A distributed collection of rows under named columns (PySpark's class, RDD-engine sized).

    >>> from sparklite.sql import SparkSession
    >>> df = SparkSession.builder.getOrCreate().createDataFrame([(1, "a"), (2, "b")], ["id", "s"])
    >>> df
    DataFrame[id: bigint, s: string]
    >>> df.show()
    +---+---+
    | id|  s|
    +---+---+
    |  1|  a|
    |  2|  b|
    +---+---+
    <BLANKLINE>
    >>> df.rdd.map(lambda row: row.id * 10).collect()
    [10, 20]
    """

    def __init__(self, batches: RDD, schema: StructType, session: SparkSession):
        self._batches = batches
        self._schema = schema
        self._session = session
        self._lazy_rdd: RDD | None = None

    # ------------------------------------------------------------------ schema

    @property
    def schema(self) -> StructType:
        """The schema of this DataFrame as a :class:`StructType`."""
        return self._schema

    @property
    def columns(self) -> list[str]:
        """All column names, in order."""
        return self._schema.names

    @property
    def dtypes(self) -> list[tuple[str, str]]:
        """All column names and their data types (``simpleString``), as a list."""
        return [(f.name, f.dataType.simpleString()) for f in self._schema.fields]

    @property
    def sparkSession(self) -> SparkSession:
        return self._session

    def printSchema(self, level: int | None = None) -> None:
        """Prints out the schema in the tree format (``level``: how many levels deep)."""
        print(self._schema.treeString(level))

    # ------------------------------------------------------------------ data

    @property
    def rdd(self) -> RDD:
        """The content as an :class:`RDD` of :class:`Row`."""
        if self._lazy_rdd is None:
            self._lazy_rdd = self._batches.mapPartitions(_batches_to_rows(self._schema))
        return self._lazy_rdd

    def collect(self) -> list[Row]:
        """Returns all the records as a list of :class:`Row`."""
        rows: list[Row] = []
        for batch in self._batches.collect():
            rows.extend(batch_to_rows(batch, self._schema))
        return rows

    def count(self) -> int:
        """Returns the number of rows in this DataFrame."""
        return int(self._batches.map(lambda batch: batch.num_rows).sum())

    def take(self, num: int) -> list[Row]:
        """Returns the first ``num`` rows as a list of :class:`Row`."""
        return self.rdd.take(num)

    def head(self, n: int | None = None) -> Any:
        """The first row (None when empty) or, with ``n``, the first ``n`` rows."""
        if n is None:
            rows = self.take(1)
            return rows[0] if rows else None
        return self.take(n)

    def first(self) -> Row | None:
        """Returns the first row as a :class:`Row` (None when empty)."""
        return self.head()

    def isEmpty(self) -> bool:
        """True when the DataFrame has no rows."""
        return not self.take(1)

    def show(self, n: int = 20, truncate: bool | int = True, vertical: bool = False) -> None:
        """Prints the first ``n`` rows to the console, in Spark's table layout.

        ``truncate``: True cuts cells longer than 20 characters, an int at that length,
        False shows them whole (left-aligned). ``vertical`` prints one record per block.
        """
        shown = max(int(n), 0)
        rows = self.take(shown + 1)
        width = 20 if truncate is True else (0 if truncate is False else int(truncate))
        cells = [[cell_text(v, f.dataType) for v, f in zip(row, self._schema.fields)]
                 for row in rows[:shown]]
        print(show_string(self.columns, cells, len(rows) > shown, shown, width, vertical))

    def toPandas(self) -> Any:
        """The content as a ``pandas.DataFrame`` (pandas must be installed)."""
        try:
            import pandas  # noqa: F401
        except ImportError:
            raise ImportError("toPandas() needs pandas: pip install pandas") from None
        import datetime

        import pyarrow as pa

        table = pa.Table.from_batches(self._batches.collect(), schema=arrow_schema(self._schema))
        frame = table.to_pandas()
        local = datetime.datetime.now().astimezone().tzinfo
        for field in self._schema.fields:
            if field.dataType.typeName() == "timestamp" and len(frame):
                frame[field.name] = frame[field.name].dt.tz_convert(local).dt.tz_localize(None)
        return frame

    def toDF(self, *cols: str) -> DataFrame:
        """A DataFrame with new column names (as many as there are columns)."""
        if len(cols) != len(self.columns):
            raise ValueError(f"toDF() needs {len(self.columns)} column names, got {len(cols)}")
        schema = StructType([StructField(name, f.dataType, f.nullable)
                             for name, f in zip(cols, self._schema.fields)])
        target = arrow_schema(schema)

        def rename(batches: Iterator[Any]) -> Iterator[Any]:
            import pyarrow as pa

            for batch in batches:
                yield pa.RecordBatch.from_arrays(batch.columns, schema=target)

        return DataFrame(self._batches.mapPartitions(rename), schema, self._session)

    @property
    def write(self) -> DataFrameWriter:
        """A :class:`DataFrameWriter` for Parquet, CSV, JSON and text files."""
        from sparklite.sql.readwriter import DataFrameWriter

        return DataFrameWriter(self)

    # ------------------------------------------------------------------ RDD-backed conveniences

    def cache(self) -> DataFrame:
        """Keep the record batches in executor storage (MEMORY_AND_DISK, as Spark's default)."""
        from sparklite.storagelevel import StorageLevel

        return self.persist(StorageLevel.MEMORY_AND_DISK)

    def persist(self, storageLevel: StorageLevel | None = None) -> DataFrame:
        from sparklite.storagelevel import StorageLevel

        self._batches.persist(storageLevel or StorageLevel.MEMORY_AND_DISK)
        return self

    def unpersist(self, blocking: bool = False) -> DataFrame:
        self._batches.unpersist(blocking)
        return self

    @property
    def storageLevel(self) -> StorageLevel:
        return self._batches.getStorageLevel()

    def foreach(self, f: Callable[[Row], None]) -> None:
        """Applies ``f`` to every :class:`Row` (``df.rdd.foreach(f)``)."""
        self.rdd.foreach(f)

    def foreachPartition(self, f: Callable[[Iterator[Row]], None]) -> None:
        """Applies ``f`` to each partition's rows (``df.rdd.foreachPartition(f)``)."""
        self.rdd.foreachPartition(f)

    def toLocalIterator(self, prefetchPartitions: bool = False) -> Iterator[Row]:
        """An iterator over all rows, one partition at a time."""
        return self.rdd.toLocalIterator(prefetchPartitions)

    def repartition(self, numPartitions: Any, *cols: Any) -> DataFrame:
        """``numPartitions`` partitions of about equal size (by number only: no column expressions)."""
        if cols or not isinstance(numPartitions, int):
            raise not_an_sql_engine("DataFrame.repartition by columns")
        return create_data_frame(self._session, self.rdd.repartition(numPartitions), self._schema)

    def coalesce(self, numPartitions: int) -> DataFrame:
        """Fewer partitions without a shuffle."""
        return DataFrame(self._batches.coalesce(numPartitions), self._schema, self._session)

    # ------------------------------------------------------------------ the SQL surface

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in SQL_ONLY:
            raise not_an_sql_engine(f"DataFrame.{name}")
        if name in self.__dict__.get("_schema", StructType()).names:
            raise not_an_sql_engine(f"Column expressions (df.{name})")
        raise AttributeError(f"[ATTRIBUTE_NOT_SUPPORTED] Attribute `{name}` is not supported.")

    def __getitem__(self, item: Any) -> Any:
        raise not_an_sql_engine(f"Column expressions (df[{item!r}])")

    def __repr__(self) -> str:
        return "DataFrame[%s]" % ", ".join(f"{n}: {t}" for n, t in self.dtypes)


# ------------------------------------------------------------------ createDataFrame


def _normalize_schema(schema: Any) -> Any:
    """None, a list of names, a StructType, or a non-struct DataType (one ``value`` column)."""
    if schema is None or isinstance(schema, DataType):
        return schema
    if isinstance(schema, str):
        from sparklite.sql.ddl import parse_data_type

        return parse_data_type(schema)
    if isinstance(schema, (list, tuple)) and all(isinstance(n, str) for n in schema):
        return list(schema)
    raise TypeError(f"schema should be a StructType, a DDL string or a list of column names, "
                    f"got {schema!r}")


def _named(schema: StructType, names: list[str] | None) -> StructType:
    if not names:
        return schema
    fields = [StructField(names[i] if i < len(names) else f.name, f.dataType, f.nullable)
              for i, f in enumerate(schema.fields)]
    return StructType(fields)


def _infer_from_rdd(rdd: RDD, names: list[str] | None, sampling_ratio: float | None) -> StructType:
    """PySpark's rule: the first row, then up to 100 rows if types stay open, or a sample."""
    if sampling_ratio is not None:
        sample = rdd.sample(False, sampling_ratio).collect() if sampling_ratio < 0.99 else rdd.collect()
        return _named(infer_schema_of(sample, names), names)
    first = rdd.take(1)
    if not first:
        raise ValueError("[CANNOT_INFER_EMPTY_SCHEMA] Can not infer schema from an empty dataset.")
    schema = infer_schema(first[0], names)
    if has_null_type(schema):
        for record in rdd.take(100)[1:]:
            schema = merge_types(schema, infer_schema(record, names))  # type: ignore[assignment]
            if not has_null_type(schema):
                break
        if has_null_type(schema):
            raise ValueError("[CANNOT_DETERMINE_TYPE] Some of types cannot be determined by the "
                             "first 100 rows, please try again with sampling")
    return _named(schema, names)


def _from_arrow_table(session: SparkSession, table: Any, schema: Any) -> DataFrame:
    from sparklite.sql.conversion import conform_batch

    struct = schema if isinstance(schema, StructType) else from_arrow(table.schema)
    if isinstance(schema, list):
        struct = _named(struct, schema)
    batches = [conform_batch(b, struct) for b in table.to_batches()]
    slices = max(1, min(len(batches), session._sc.defaultParallelism))
    return DataFrame(session._sc.parallelize(batches, slices), struct, session)


def create_data_frame(session: SparkSession, data: Any, schema: Any = None,
                      sampling_ratio: float | None = None, verify: bool = True) -> DataFrame:
    """``SparkSession.createDataFrame``: Python records, an RDD of them, or a pandas/Arrow table."""
    from sparklite.rdd.rdd import RDD

    schema = _normalize_schema(schema)
    if type(data).__module__.startswith("pandas") and hasattr(data, "to_records"):
        import pyarrow as pa

        return _from_arrow_table(session, pa.Table.from_pandas(data, preserve_index=False), schema)
    if type(data).__module__.startswith("pyarrow") and hasattr(data, "to_batches"):
        return _from_arrow_table(session, data, schema)
    atomic = isinstance(schema, DataType) and not isinstance(schema, StructType)
    if atomic:
        schema = StructType([StructField("value", schema, True)])
    if isinstance(data, RDD):
        records = data.map(lambda v: (v,)) if atomic else data
        struct = schema if isinstance(schema, StructType) else \
            _infer_from_rdd(records, schema, sampling_ratio)

        def to_batches(iterator: Iterator[Any]) -> Iterator[Any]:
            return records_to_batches(iterator, struct)

        return DataFrame(records.mapPartitions(to_batches), struct, session)
    # local data: checked and converted here, so a bad value fails on the driver (as PySpark)
    from sparklite.rdd.sources import slice_bounds

    values = list(data)
    records_list = [(v,) for v in values] if atomic else values
    struct = schema if isinstance(schema, StructType) else \
        _named(infer_schema_of(records_list, schema), schema)
    slices = session._sc.defaultParallelism
    chunks = [list(records_to_batches(records_list[a:b], struct))
              for a, b in slice_bounds(len(records_list), slices)]
    return DataFrame(session._sc.parallelize(chunks, slices).flatMap(lambda batches: batches),
                     struct, session)


__all__ = ["DataFrame"]
