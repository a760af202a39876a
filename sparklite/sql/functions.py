"""``pyspark.sql.functions`` has no sparklite counterpart: column expressions need a SQL engine.

The module imports (so ``from sparklite.sql import functions as F`` at the top of a
ported program does not stop it), but reading any function from it raises
NotImplementedError explaining what to use instead: ``df.rdd`` and RDD operations.
"""
from __future__ import annotations

from typing import Any

from sparklite.sql.errors import not_an_sql_engine


def __getattr__(name: str) -> Any:
    if name.startswith("_") or name.startswith("pytest"):  # tools probing modules, not programs
        raise AttributeError(name)
    raise not_an_sql_engine(f"pyspark.sql.functions.{name}")
