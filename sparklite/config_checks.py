"""Checks on a whole configuration: relations between keys, and Spark keys sparklite ignores.

A single key's range is checked by its parser (config.py); what needs two keys
(a heartbeat must come more often than the timeout it feeds) is listed in
``RELATIONS`` and checked once all keys are parsed, with a message naming both.

``UNSUPPORTED`` is the one table of Spark keys sparklite knows but does not act
on. Each is warned about once per process when a configuration sets it to
something other than Spark's default, so nobody believes a setting is in force
when it is not. Remove a key from the table when a feature makes it real.
"""
from __future__ import annotations

import logging
from typing import Any, Callable

log = logging.getLogger(__name__)

#: (smaller key, larger key): the first must be strictly less than the second
RELATIONS: list[tuple[str, str]] = [
    ("spark.executor.heartbeatInterval", "spark.network.timeout"),
    ("sparklite.worker.heartbeatInterval", "spark.worker.timeout"),
]

#: Spark key -> (Spark's default as text, or None if it has none; what to know instead)
UNSUPPORTED: dict[str, tuple[str | None, str]] = {
    "spark.speculation": ("false", "slow tasks are not re-launched speculatively yet (issue 12)"),
    "spark.dynamicAllocation.enabled": ("false", "local[N] runs N executors; a standalone "
                                                 "application keeps the executors it was granted; "
                                                 "only executors of a stage's ResourceProfile come "
                                                 "and go (spark.dynamicAllocation.executorIdleTimeout)"),
    "spark.shuffle.service.enabled": ("false", "executors serve their own shuffle files"),
    "spark.python.profile.memory": ("false", "tasks are not profiled yet"),
    "spark.driver.memory": ("1g", "the driver is your Python process: its memory is whatever it uses"),
    "spark.driver.cores": ("1", "the driver is your Python process"),
    "spark.executor.memoryOverhead": (None, "spark.executor.memory budgets an executor's caches "
                                            "and shuffle buffers; spark.executor.pyspark.memory "
                                            "caps what its Python code allocates"),
    "spark.executor.extraJavaOptions": (None, "there is no JVM"),
    "spark.driver.extraJavaOptions": (None, "there is no JVM"),
    "spark.executor.extraClassPath": (None, "there is no JVM"),
    "spark.driver.extraClassPath": (None, "there is no JVM"),
    "spark.jars": (None, "there is no JVM"),
    "spark.serializer": (None, "data is pickled, closures cloudpickled"),
    "spark.scheduler.mode": ("FIFO", "jobs are scheduled first in, first out"),
    "spark.locality.wait.process": (None, "spark.locality.wait is the one locality wait (issue 12)"),
    "spark.locality.wait.node": (None, "spark.locality.wait is the one locality wait (issue 12)"),
    "spark.locality.wait.rack": (None, "spark.locality.wait is the one locality wait"),
    "spark.excludeOnFailure.enabled": ("false", "failing executors are not excluded"),
    "spark.rdd.compress": ("false", "cached blocks are Arrow buffers, not compressed"),
    "spark.shuffle.compress": ("true", "shuffle files are pickled frames, not compressed"),
    "spark.io.compression.codec": (None, "nothing is compressed with a codec"),
    "spark.memory.offHeap.enabled": ("false", "there is no off-heap memory"),
    "spark.rpc.message.maxSize": (None, "gRPC messages are at most 4 MiB and bulk data streams "
                                        "in chunks (sparklite.shuffle.fetchChunkSize)"),
}

#: keys of UNSUPPORTED that are still parsed (validated and shown by --verbose) but change nothing
RECORDED_ONLY = frozenset({"spark.driver.memory"})

_warned: set[str] = set()


def check_relations(get: Callable[[str], Any], raw: dict[str, str], error: Callable[[str], Exception]) -> None:
    """Raise ``error(message)`` for the first relation the effective values break."""
    for smaller, larger in RELATIONS:
        low, high = get(smaller), get(larger)
        if low is not None and high is not None and not low < high:
            def shown(key: str) -> str:
                return raw[key] if key in raw else f"{get(key):g}s (the default)"

            raise error(f"{larger}={shown(larger)} must be greater than {smaller}={shown(smaller)}")


def warn_unsupported(raw: dict[str, str]) -> None:
    """Warn once per process about each Spark key set here that sparklite does not act on."""
    for key, value in raw.items():
        known = UNSUPPORTED.get(key)
        if known is None or key in _warned:
            continue
        default, instead = known
        if default is not None and str(value).strip().lower() == default.lower():
            continue  # Spark's default: nothing the user expects is missing
        _warned.add(key)
        log.warning("%s is not supported by sparklite and has no effect: %s", key, instead)
