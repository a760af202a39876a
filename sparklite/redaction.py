"""Which configuration values are secrets, and masking them wherever configuration is shown.

Spark masks values whose key matches ``spark.redaction.regex`` (by default
``(?i)secret|password|token|access[.]?key``) in its UI, logs and
``spark-submit --verbose``; sparklite does the same, and also masks the fsspec
credential options passed through as ``sparklite.fs.<protocol>.<option>`` (``key``,
``secret``, ``token``, ``account_key``, ``sas_token``, ``connection_string``,
``credentials``...), whose names alone say little.
"""
from __future__ import annotations

import re
from typing import Iterable, Mapping

MASK = "*****"
_SPARK_REGEX = re.compile(r"(?i)secret|password|token|access[.]?key|credential")
_FS_OPTIONS = re.compile(r"(?i)^sparklite\.fs\.[^.]+\.(key|secret|token|password|account_key|sas_token|"
                         r"connection_string|credentials?|client_secret|session_token)(\.|$)")


def is_sensitive(key: str) -> bool:
    """True when ``key``'s value must not be shown.

    >>> [is_sensitive(k) for k in ("spark.hadoop.fs.s3a.secret.key", "sparklite.fs.s3.key",
    ...                            "spark.hadoop.fs.s3a.endpoint", "spark.executor.memory")]
    [True, True, False, False]
    """
    return bool(_SPARK_REGEX.search(key) or _FS_OPTIONS.search(key))


def redact(key: str, value: str) -> str:
    return MASK if is_sensitive(key) else value


def redacted_lines(pairs: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[str]:
    """``key=value`` lines, sorted, secrets masked."""
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    return [f"{k}={redact(k, v)}" for k, v in sorted(items)]
