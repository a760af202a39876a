"""InheritableThread: a thread that runs its jobs with its creator's local properties (PySpark's API).

SparkContext local properties (job group, job tags, description, ...) are per
thread. A thread made with :class:`InheritableThread` runs with a copy of the
properties its creator had when it called ``start()``, so jobs it runs belong
to the same job group and carry the same tags, as in PySpark's pinned thread
mode.
"""
from __future__ import annotations

import threading
from typing import Any, Callable


class InheritableThread(threading.Thread):
    """Thread that is recommended to be used in PySpark when the pinned thread mode is enabled.

    >>> from sparklite import InheritableThread
    >>> sc.setJobGroup("inherited", "jobs of a child thread")
    >>> seen = []
    >>> t = InheritableThread(target=lambda: seen.append(sc.getLocalProperty("spark.jobGroup.id")))
    >>> t.start(); t.join()
    >>> seen
    ['inherited']
    >>> for key in ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel"):
    ...     sc.setLocalProperty(key, None)
    """

    def __init__(self, target: Callable[..., Any], *args: Any, **kwargs: Any):
        self._properties: dict[str, str] = {}

        def run_with_properties(*a: Any, **k: Any) -> Any:
            from sparklite.context import SparkContext

            context = SparkContext._active_spark_context
            if context is not None:
                context._local_properties().update(self._properties)
            return target(*a, **k)

        super().__init__(*args, target=run_with_properties, **kwargs)

    def start(self) -> None:
        from sparklite.context import SparkContext

        # copied here, not in __init__, to mimic the JVM's InheritableThreadLocal (as PySpark)
        context = SparkContext._active_spark_context
        self._properties = dict(context._local_properties()) if context is not None else {}
        super().start()


__all__ = ["InheritableThread"]
