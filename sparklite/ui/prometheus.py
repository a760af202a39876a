"""Prometheus text format at ``/metrics/prometheus`` (driver) and ``/metrics/executors/prometheus``,
with Spark's metric names (``spark.ui.prometheus.enabled``).

Driver metrics follow Spark's metrics system naming, ``metrics_<app id>_driver_<source>_<name>``
with ``type`` labels; executor metrics Spark's ``PrometheusResource`` (``metrics_executor_*``
labelled with the application and executor).
"""
from __future__ import annotations

import re
from typing import Any

from sparklite.ui.store import AppStatusStore


def _clean(text: str) -> str:
    return re.sub(r"[^a-zA-Z0-9_]", "_", text)


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def driver_metrics(store: AppStatusStore, bus: Any) -> str:
    app = store.application()
    prefix = f"metrics_{_clean(app.app_id)}_driver"
    jobs = store.jobs()
    stages = store.stages()
    lines = []

    def gauge(name: str, value: float) -> None:
        lines.append(f'{prefix}_{name}_Value{{type="gauges"}} {value}')

    def counter(name: str, value: float) -> None:
        lines.append(f'{prefix}_{name}_Count{{type="counters"}} {value}')

    gauge("DAGScheduler_job_activeJobs", sum(j.status == "RUNNING" for j in jobs))
    gauge("DAGScheduler_job_allJobs", len(jobs))
    gauge("DAGScheduler_stage_failedStages", sum(s.status == "FAILED" for s in stages))
    gauge("DAGScheduler_stage_runningStages", sum(s.status == "ACTIVE" for s in stages))
    gauge("DAGScheduler_stage_waitingStages", sum(s.status == "PENDING" for s in stages))
    if bus is not None:
        counter("LiveListenerBus_numEventsPosted", bus.num_events_posted)
        for name, q in sorted(bus.queues().items()):
            counter(f"LiveListenerBus_queue_{_clean(name)}_numDroppedEvents", q.dropped)
            gauge(f"LiveListenerBus_queue_{_clean(name)}_size", q.size())
    active = [e for e in store.executors() if e.is_active and e.executor_id != "driver"]
    gauge("ExecutorAllocationManager_executors_numberAllExecutors", len(active))
    return "\n".join(lines) + "\n"


def executor_metrics(store: AppStatusStore, spark_version: str) -> str:
    app = store.application()
    lines = [f'spark_info{{version="{_label(spark_version)}", revision=""}} 1.0']
    for ex in store.executors(active_only=True):
        labels = (f'{{application_id="{_label(app.app_id)}", application_name="{_label(app.name)}", '
                  f'executor_id="{_label(ex.executor_id)}"}}')
        values = [
            ("rddBlocks", getattr(ex, "rdd_blocks", 0)), ("memoryUsed_bytes", getattr(ex, "memory_used", 0)),
            ("diskUsed_bytes", getattr(ex, "disk_used", 0)), ("totalCores", ex.total_cores),
            ("maxTasks", ex.total_cores), ("activeTasks", ex.active_tasks),
            ("failedTasks_total", ex.failed_tasks), ("completedTasks_total", ex.completed_tasks),
            ("totalTasks_total", ex.active_tasks + ex.failed_tasks + ex.completed_tasks),
            ("totalDuration_seconds_total", ex.total_duration / 1000.0),
            ("totalGCTime_seconds_total", ex.total_gc_time / 1000.0),
            ("totalInputBytes_bytes_total", ex.total_input_bytes),
            ("totalShuffleRead_bytes_total", ex.total_shuffle_read),
            ("totalShuffleWrite_bytes_total", ex.total_shuffle_write), ("maxMemory_bytes", ex.max_memory),
        ]
        lines.extend(f"metrics_executor_{name}{labels} {value}" for name, value in values)
    return "\n".join(lines) + "\n"
