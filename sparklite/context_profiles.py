"""Python profiles of SparkContext (mixin): show_profiles and dump_profiles (``spark.python.profile``).

The collector and the executor side live in ``sparklite/profiler.py``; this mixin
only creates the collector when the context starts and exposes PySpark's two methods.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from sparklite.profiler import PROFILE_PROPERTY, ProfilerCollector, ProfilesParam

if TYPE_CHECKING:
    from sparklite.context import SparkContext

_NOT_ENABLED = "'spark.python.profile' configuration must be set to 'true' to enable Python profile."


class ProfilesMixin:
    _profiler: ProfilerCollector | None = None

    @property
    def profiler_collector(self: SparkContext) -> ProfilerCollector | None:
        """PySpark's attribute: the profile collector (None unless ``spark.python.profile``)."""
        return self._profiler

    def _start_profiler(self: SparkContext) -> None:
        if self._settings.get("spark.python.profile"):
            self._profiler = ProfilerCollector(self._accumulators.register({}, ProfilesParam()))

    def _profile_properties(self: SparkContext) -> dict[str, str]:
        """What a job carries so its tasks are profiled (nothing when profiling is off)."""
        if self._profiler is None:
            return {}
        return {PROFILE_PROPERTY: str(self._profiler.accumulator.aid)}

    def _dump_profiles_at_stop(self: SparkContext) -> None:
        path = self._settings.get("spark.python.profile.dump")
        if self._profiler is not None and path:
            self._profiler.dump(path)

    def show_profiles(self: SparkContext) -> None:
        """Print the profile stats to stdout: one table per RDD a stage computed, each
        shown once (``spark.python.profile`` must be ``true``).

        Examples
        --------
        >>> from sparklite import SparkConf, SparkContext
        >>> conf = (SparkConf(loadDefaults=False).set("spark.python.profile", "true")
        ...         .set("sparklite.driver.allowMultipleContexts", "true"))
        >>> profiled = SparkContext("local[1]", conf=conf)
        >>> profiled.parallelize(range(100), 2).map(lambda x: x * 2).sum()
        9900
        >>> profiled.show_profiles()  # doctest: +ELLIPSIS
        ============================================================
        Profile of RDD<id=...>
        ============================================================
        ...
        >>> profiled.stop()
        """
        if self._profiler is None:
            raise RuntimeError(_NOT_ENABLED)
        self._profiler.show()

    def dump_profiles(self: SparkContext, path: str) -> None:
        """Dump the profile stats into directory `path`, one ``rdd_<id>.pstats`` file per RDD
        (read them with :class:`pstats.Stats`).

        Examples
        --------
        >>> import os, pstats, tempfile
        >>> from sparklite import SparkConf, SparkContext
        >>> conf = (SparkConf(loadDefaults=False).set("spark.python.profile", "true")
        ...         .set("sparklite.driver.allowMultipleContexts", "true"))
        >>> profiled = SparkContext("local[1]", conf=conf)
        >>> rdd = profiled.parallelize(range(100), 2).map(lambda x: x * 2)
        >>> rdd.count()
        100
        >>> d = tempfile.mkdtemp()
        >>> profiled.dump_profiles(d)
        >>> os.listdir(d) == [f"rdd_{rdd.id()}.pstats"]
        True
        >>> pstats.Stats(os.path.join(d, f"rdd_{rdd.id()}.pstats")).total_calls > 0
        True
        >>> profiled.stop()
        """
        if self._profiler is None:
            raise RuntimeError(_NOT_ENABLED)
        self._profiler.dump(path)
