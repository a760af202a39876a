"""Observers: the listener bus of one application and everything that always listens to it.

The Runtime makes one at start-up, before any executor exists: the bus and the
ListenerEmitter the schedulers call, the AppStatusStore (UI, REST API, status
tracker), the JobLogger (INFO lines), the event log (``spark.eventLog.enabled``)
and the live web UI (``spark.ui.enabled``). It posts the application's first
events (environment, the driver's block manager, application start) and, at
stop, its last (application end), then drains the bus and closes the log.

Nothing here reads scheduler state; the UI's thread dumps and log pages go
through the callables it is given.
"""
from __future__ import annotations

import getpass
import os
import platform
import sys
from typing import Any, Callable

from sparklite.scheduler import listener_events as le
from sparklite.scheduler.job_logger import JobLogger
from sparklite.scheduler.listener import LiveListenerBus
from sparklite.scheduler.listener_emitter import ListenerEmitter, now_ms

REDACTED = "*********(redacted)"


def redact(settings: Any, pairs: dict[str, str]) -> list[tuple[str, str]]:
    """Spark's redaction: a value whose key or value matches ``spark.redaction.regex`` is hidden."""
    pattern = settings.get("spark.redaction.regex")
    return sorted((k, REDACTED if pattern.search(k) or pattern.search(str(v)) else str(v))
                  for k, v in pairs.items())


def environment(settings: Any, extra: dict[str, str]) -> le.EnvironmentUpdate:
    properties = dict(settings.raw())
    properties.update(extra)
    runtime = (("Python Version", platform.python_version()), ("Python Implementation",
                                                               platform.python_implementation()),
               ("Python Executable", sys.executable))
    system = (("os.name", platform.system()), ("os.version", platform.release()),
              ("platform", platform.platform()), ("python.version", sys.version.replace("\n", " ")),
              ("user.dir", os.getcwd()), ("user.name", getpass.getuser()),
              ("process.id", str(os.getpid())))
    classpath = tuple((p, "sys.path") for p in sys.path if p)
    return le.EnvironmentUpdate({"JVM Information": runtime, "Spark Properties": tuple(redact(settings, properties)),
                                 "Hadoop Properties": (), "System Properties": system,
                                 "Metrics Properties": (), "Classpath Entries": classpath})


def executor_log_path(app_dir: str, executor_id: str, kind: str) -> str:
    """Where a local executor's stdout/stderr go: kept under the application's scratch dir."""
    from sparklite.executor.output_tee import log_dir_of

    return os.path.join(log_dir_of(app_dir, executor_id), kind)


class Observers:
    def __init__(self, settings: Any, app_id: str, app_dir: str, driver_host: str, bind_host: str,
                 secret: str | None, thread_dump: Callable[[str], str | None]):
        from sparklite import __version__
        from sparklite.ui.store import AppStatusStore, Limits

        self.settings = settings
        self.app_id = app_id
        self.app_dir = app_dir
        self.start_time = now_ms()
        self.bus = LiveListenerBus(settings.get("spark.scheduler.listenerbus.eventqueue.capacity"))
        self.emitter = ListenerEmitter(self.bus.post)
        self.store = AppStatusStore(Limits(settings.get("spark.ui.retainedJobs"),
                                           settings.get("spark.ui.retainedStages"),
                                           settings.get("spark.ui.retainedTasks"),
                                           settings.get("spark.ui.retainedDeadExecutors")))
        self.bus.add(self.store, "appStatus")
        self.bus.add(JobLogger(), "appStatus")
        self.event_log = None
        if settings.get("spark.eventLog.enabled"):
            from sparklite.eventlog.writer import EventLogWriter

            self.event_log = EventLogWriter(settings, app_id, __version__, settings.get("spark.executor.cores"),
                                            settings.get("spark.executor.memory") >> 20,
                                            settings.get("spark.task.cpus"))
            self.bus.add(self.event_log, "eventLog")
        self._thread_dump = thread_dump
        from sparklite.ui.live import start_live_ui

        self.ui = start_live_ui(settings, self.store, self.bus, bind_host, driver_host, secret,
                                self._dump, self._log_file)

    @property
    def ui_url(self) -> str | None:
        return self.ui.url if self.ui is not None else None

    def _dump(self, executor_id: str) -> str | None:
        if executor_id == "driver":
            from sparklite.thread_dump import thread_dump

            return thread_dump()
        return self._thread_dump(executor_id)

    def _log_file(self, executor_id: str, kind: str) -> str | None:
        if not executor_id.isdigit():
            return None
        path = executor_log_path(self.app_dir, executor_id, kind)
        return path if os.path.isfile(path) else None

    def executor_log_urls(self, executor_id: str, reported: dict[str, str]) -> dict[str, str]:
        """The executor's own log URLs (a worker's pages), else the driver UI's (local mode)."""
        if reported:
            return dict(reported)
        if self.ui is not None and os.path.isdir(os.path.dirname(executor_log_path(self.app_dir, executor_id, "x"))):
            return self.ui.log_urls(executor_id)
        return {}

    def application_started(self, driver_address: str, storage_memory: int) -> None:
        host, _, port = driver_address.rpartition(":")
        settings = self.settings
        extra = {"spark.app.id": self.app_id, "spark.app.startTime": str(self.start_time),
                 "spark.driver.host": host, "spark.driver.port": port}
        self.bus.post(environment(settings, extra))
        self.bus.post(le.BlockManagerAdded(self.start_time, "driver", host, int(port) if port.isdigit() else 0,
                                           storage_memory, storage_memory, 0))
        user = os.environ.get("SPARK_USER") or getpass.getuser()
        driver_logs = {}
        self.bus.post(le.ApplicationStart(settings.get("spark.app.name"), self.app_id, self.start_time, user,
                                          None, driver_logs))

    def stop(self) -> None:
        """The application's end: post it, deliver everything (bounded), close the log and the UI."""
        self.bus.post(le.ApplicationEnd(now_ms()))
        self.bus.stop(timeout=10.0)
        if self.event_log is not None:
            self.event_log.stop()
        if self.ui is not None:
            self.ui.stop()
