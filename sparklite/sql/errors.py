"""Errors of ``sparklite.sql``: PySpark's AnalysisException, and the one answer to SQL features.

sparklite is an RDD engine: its DataFrame moves data between structured files and
RDDs, and nothing more. Every DataFrame/SparkSession feature of PySpark beyond that
(column expressions, ``select``, ``filter`` with expressions, joins, SQL, UDFs,
catalogs, streaming) raises :class:`NotImplementedError` from :func:`not_an_sql_engine`,
which says so and names the RDD way to do it.
"""
from __future__ import annotations

_HINT = ("sparklite is an RDD engine, not a SQL engine: its DataFrame only moves data between "
         "structured files and RDDs. Use df.rdd (an RDD of Row) with RDD operations "
         "(map, filter, reduceByKey, join, ...), then spark.createDataFrame(rdd, schema) or "
         "rdd.toDF(schema) to write the result")


class AnalysisException(Exception):
    """Failed to analyze a query or a path (PySpark's ``pyspark.errors.AnalysisException``)."""


def not_an_sql_engine(what: str) -> NotImplementedError:
    return NotImplementedError(f"{what}: not supported. {_HINT}.")


__all__ = ["AnalysisException"]
