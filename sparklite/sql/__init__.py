"""sparklite.sql: the doors PySpark RDD programs walk through — SparkSession, Row, and a small
Arrow-backed DataFrame that moves data between structured files (Parquet, CSV, JSON, text) and
RDDs. Not a SQL engine: column expressions, ``select``, ``filter`` with expressions, joins and
``spark.sql(...)`` raise NotImplementedError saying so.

Change ``from pyspark.sql import SparkSession, Row`` to ``from sparklite.sql import SparkSession, Row``.
"""
from sparklite.sql.dataframe import DataFrame
from sparklite.sql.errors import AnalysisException
from sparklite.sql.readwriter import DataFrameReader, DataFrameWriter
from sparklite.sql.row import Row
from sparklite.sql.session import RuntimeConfig, SparkSession

__all__ = ["SparkSession", "Row", "DataFrame", "DataFrameReader", "DataFrameWriter",
           "RuntimeConfig", "AnalysisException"]
