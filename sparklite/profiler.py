"""Python profiling of tasks (``spark.python.profile``): cProfile on executors, merged on the driver.

With ``spark.python.profile=true`` every task runs under :mod:`cProfile` on its
executor, and its statistics travel back with the task's status as an update of
a private accumulator (so they count once per partition, from the successful
attempt, like any accumulator). The driver merges them per stage RDD (the RDD a
stage computes, PySpark's "RDD<id=N>"); ``sc.show_profiles()`` prints them and
``sc.dump_profiles(path)`` writes one ``rdd_<id>.pstats`` file per RDD, which
:class:`pstats.Stats` reads. ``spark.python.profile.dump=DIR`` dumps them when
the context stops.

Only one profiler can be active per thread (and, from Python 3.12, per process): a
task that cannot start one runs unprofiled rather than failing.
"""
from __future__ import annotations

import logging
import os
import pstats
import threading
from typing import Any, Callable

from sparklite.accumulators import AccumulatorParam

log = logging.getLogger(__name__)

#: the local property carrying the profile accumulator's id (removed before user code sees it)
PROFILE_PROPERTY = "sparklite.internal.profileAccumulator"
#: raw pstats tables: function -> (primitive calls, calls, total time, cumulative time, callers)
StatsTable = dict


def merge_tables(target: StatsTable, source: StatsTable) -> StatsTable:
    """Fold ``source``'s statistics into ``target`` (as :meth:`pstats.Stats.add` does)."""
    for func, (cc, nc, tt, ct, callers) in source.items():
        if func in target:
            tcc, tnc, ttt, tct, tcallers = target[func]
            target[func] = (tcc + cc, tnc + nc, ttt + tt, tct + ct, pstats.add_callers(tcallers, callers))
        else:
            target[func] = (cc, nc, tt, ct, dict(callers))
    return target


class ProfilesParam(AccumulatorParam[dict]):
    """Accumulates ``{rdd id: pstats table}``."""

    def zero(self, value: dict) -> dict:
        return {}

    def addInPlace(self, value1: dict, value2: dict) -> dict:
        for rdd_id, table in value2.items():
            merge_tables(value1.setdefault(rdd_id, {}), table)
        return value1


def run_profiled(run: Callable[[], Any], rdd_id: int, updates: dict[int, Any], aid: int) -> Any:
    """Executor side: ``run()`` under cProfile, its statistics added to ``updates[aid]``."""
    import cProfile

    profiler = cProfile.Profile()
    try:
        profiler.enable()
    except ValueError as exc:  # another profiler is active (Python 3.12+: one per process)
        log.debug("task not profiled: %s", exc)
        return run()
    try:
        return run()
    finally:
        profiler.disable()
        table = pstats.Stats(profiler).stats
        ProfilesParam().addInPlace(updates.setdefault(aid, {}), {rdd_id: table})


def _stats_of(table: StatsTable) -> pstats.Stats:
    stats = pstats.Stats()
    stats.stats = table
    stats.get_top_level_stats()
    return stats


class ProfilerCollector:
    """Driver side: the profiles of one SparkContext, shown and dumped as PySpark does."""

    def __init__(self, accumulator: Any):
        self.accumulator = accumulator
        self._shown: set[int] = set()
        self._dumped: dict[int, int] = {}
        self._lock = threading.Lock()

    def _profiles(self) -> dict[int, StatsTable]:
        return dict(sorted(self.accumulator.value.items()))

    def show(self, out: Any = None) -> None:
        """Print each RDD's profile that was not shown yet."""
        import sys

        stream = out or sys.stdout
        with self._lock:
            for rdd_id, table in self._profiles().items():
                if rdd_id in self._shown or not table:
                    continue
                self._shown.add(rdd_id)
                print("=" * 60, file=stream)
                print(f"Profile of RDD<id={rdd_id}>", file=stream)
                print("=" * 60, file=stream)
                stats = _stats_of(table)
                stats.stream = stream
                stats.sort_stats("time", "cumulative").print_stats()

    def dump(self, path: str) -> list[str]:
        """Write ``rdd_<id>.pstats`` under ``path``; returns the files written."""
        os.makedirs(path, exist_ok=True)
        written = []
        with self._lock:
            for rdd_id, table in self._profiles().items():
                if not table:
                    continue
                target = os.path.join(path, f"rdd_{rdd_id}.pstats")
                _stats_of(table).dump_stats(target)
                written.append(target)
        return written


__all__ = ["ProfilerCollector"]
