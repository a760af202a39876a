"""AppPages: the pages and REST API of one application, by path, over its AppStatusStore.

The live UI (``live.py``) mounts them at ``/``; ``sparklite-history`` at
``/history/<app id>``. Paths are Spark's: ``/jobs/``, ``/jobs/job/?id=``,
``/stages/``, ``/stages/stage/?id=&attempt=``, ``/storage/``, ``/storage/rdd/?id=``,
``/environment/``, ``/executors/``, ``/executors/threadDump/?executorId=``, the
REST API under ``/api/v1``, and Prometheus under ``/metrics/``. Unknown paths
are 404.
"""
from __future__ import annotations

from typing import Any, Callable

from sparklite.ui import SPARK_API_VERSION
from sparklite.ui.http_server import Request, Response, not_found
from sparklite.ui.store import AppStatusStore



def _int_arg(request: Request, name: str) -> int | None:
    value = request.arg(name)
    return int(value) if value is not None and value.lstrip("-").isdigit() else None


class AppPages:
    def __init__(self, store: AppStatusStore, base: str = "", spark_version: str = SPARK_API_VERSION,
                 thread_dump: Callable[[str], str | None] | None = None,
                 logs: Callable[[Request], Response] | None = None, bus: Any = None,
                 prometheus_enabled: bool = True):
        self.store = store
        self.base = base
        self.spark_version = spark_version
        self._thread_dump = thread_dump
        self._logs = logs
        self._bus = bus
        self._prometheus = prometheus_enabled

    def _page(self, title: str, body: str, active: str, live: bool | None = None) -> Response:
        from sparklite.ui.html import page

        app = self.store.application()
        running = app.end_time is None if live is None else live and app.end_time is None
        return Response(200, page(title, body, self.base, active, app.name, running))

    def handle(self, request: Request, path: str) -> Response:
        """``path`` is relative to this application's base (``/jobs/``...)."""
        # the page modules load on the first request, not with every SparkContext
        from sparklite.ui import pages_app, pages_jobs, pages_stages, prometheus, rest

        route = path.rstrip("/") or "/"
        store, base = self.store, self.base
        if route == "/":
            return Response(302, "", headers={"Location": f"{base}/jobs/"})
        if route == "/jobs":
            return self._page("Spark Jobs", pages_jobs.jobs_page(store, base), "jobs")
        if route == "/jobs/job":
            job_id = _int_arg(request, "id")
            if job_id is None:
                return not_found("missing job id")
            body, live = pages_jobs.job_page(store, base, job_id)
            return self._page(f"Details for Job {job_id}", body, "jobs", live)
        if route == "/stages":
            body, live = pages_stages.stages_page(store, base)
            return self._page("Stages for All Jobs", body, "stages", live)
        if route == "/stages/stage":
            stage_id, attempt = _int_arg(request, "id"), _int_arg(request, "attempt") or 0
            if stage_id is None:
                return not_found("missing stage id")
            body, live = pages_stages.stage_page(store, base, stage_id, attempt)
            return self._page(f"Details for Stage {stage_id} (Attempt {attempt})", body, "stages", live)
        if route == "/storage":
            return self._page("Storage", pages_app.storage_page(store, base), "storage")
        if route == "/storage/rdd":
            rdd_id = _int_arg(request, "id")
            if rdd_id is None:
                return not_found("missing rdd id")
            return self._page(f"RDD Storage Info for {rdd_id}", pages_app.rdd_page(store, base, rdd_id), "storage")
        if route == "/environment":
            return self._page("Environment", pages_app.environment_page(store, base), "environment", False)
        if route == "/executors":
            return self._page("Executors", pages_app.executors_page(store, base), "executors")
        if route == "/executors/threadDump":
            executor_id = request.arg("executorId") or ""
            if self._thread_dump is None:
                return not_found("thread dumps are only available while the application runs")
            text = self._thread_dump(executor_id)
            return self._page(f"Thread dump for executor {executor_id}",
                              pages_app.thread_dump_page(executor_id, text), "executors", False)
        if route == "/logs" and self._logs is not None:
            return self._logs(request)
        if route.startswith("/api/v1"):
            return rest.handle(request, lambda: {store.application().app_id: store}, self.spark_version)
        if route == "/metrics/prometheus" and self._prometheus:
            return Response(200, prometheus.driver_metrics(store, self._bus), "text/plain; version=0.0.4")
        if route == "/metrics/executors/prometheus" and self._prometheus:
            return Response(200, prometheus.executor_metrics(store, self.spark_version),
                            "text/plain; version=0.0.4")
        return not_found(f"no page at {path}")
