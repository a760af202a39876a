"""EventLogWriter: the application's listener events as Spark's JSON-lines event log.

``spark.eventLog.enabled``: every event of the ``eventLog`` queue becomes one
line of ``<spark.eventLog.dir>/<app id>.inprogress`` (any fsspec URL), which is
renamed to ``<app id>`` when the application stops, as Spark names them. The
first lines are Spark's ``SparkListenerLogStart`` and the default
``SparkListenerResourceProfileAdded``. With ``spark.eventLog.compress`` the file
is zstd (``<app id>.zstd``), written as one zstd frame per flush, so an
in-progress log can be read up to its last flush by Spark's History Server and
by sparklite-history alike.

Lines are buffered (``spark.eventLog.buffer.kb``) and flushed at the events Spark
flushes at (jobs, stage completions, executors, application start and end), so
a running application's log is never far behind.

THREADING: the listener bus's ``eventLog`` thread; ``stop`` from the Runtime
after the bus has drained.
"""
from __future__ import annotations

import json
import logging
import os
import posixpath
from typing import Any

from sparklite.errors import ConfigError
from sparklite.eventlog import json_protocol
from sparklite.scheduler import listener_events as le

log = logging.getLogger(__name__)

INPROGRESS = ".inprogress"
#: events after which the log is flushed (Spark's EventLoggingListener flushes at these)
_FLUSH_AFTER = (le.StageCompleted, le.JobStart, le.JobEnd, le.ExecutorAdded, le.ExecutorRemoved,
                le.BlockManagerAdded, le.BlockManagerRemoved, le.EnvironmentUpdate, le.ApplicationStart,
                le.ApplicationEnd, le.UnpersistRDD)


def open_log_dir(url: str, conf: Any = None) -> tuple[Any, str]:
    """(fsspec file system, path) of an event log directory; ``file:/x`` and plain paths are local.
    With ``conf`` (a config map), its object-store keys apply (``spark.hadoop.fs.s3a.*``, ...)."""
    from sparklite.filesystems import url_to_fs_for

    if url.startswith("file:") and not url.startswith("file://"):
        url = "file://" + url[len("file:"):]
    return url_to_fs_for(url, conf or {})


class _LocalFiles:
    """The few file-system calls the writer makes, for a local directory without importing
    fsspec (it costs a driver ~35 ms to start)."""

    isdir = staticmethod(os.path.isdir)
    exists = staticmethod(os.path.exists)
    rm = staticmethod(os.remove)
    mv = staticmethod(os.replace)

    @staticmethod
    def open(path: str, mode: str) -> Any:
        return open(path, mode)


def _writer_fs(url: str, conf: Any) -> tuple[Any, str]:
    if "://" not in url or url.startswith("file://"):
        path = url[len("file://"):] if url.startswith("file://") else url
        return _LocalFiles(), path[len("file:"):] if path.startswith("file:") else path
    return open_log_dir(url, conf)


def _object_store_bucket_exists(fs: Any, directory: str) -> bool:
    """Object stores have no directories: an empty prefix in an existing bucket is a fine log dir."""
    protocol = getattr(fs, "protocol", "file")
    protocols = (protocol,) if isinstance(protocol, str) else tuple(protocol)
    if isinstance(fs, _LocalFiles) or {"file", "local"} & set(protocols):
        return False
    bucket = directory.strip("/").split("/", 1)[0]
    return bool(bucket) and fs.exists(bucket)


class EventLogWriter:
    def __init__(self, settings: Any, app_id: str, spark_version: str, executor_cores: int,
                 executor_memory_mb: int, task_cpus: int):
        url = settings.get("spark.eventLog.dir")
        self._fs, directory = _writer_fs(url, settings.raw())
        if not self._fs.isdir(directory) and not _object_store_bucket_exists(self._fs, directory):
            raise ConfigError(f"spark.eventLog.dir {url} does not exist (create it, or set "
                              f"spark.eventLog.enabled=false)")
        self._compress = bool(settings.get("spark.eventLog.compress"))
        self._log_blocks = bool(settings.get("spark.eventLog.logBlockUpdates.enabled"))
        self.path = posixpath.join(directory, app_id + (".zstd" if self._compress else ""))
        self.inprogress_path = self.path + INPROGRESS
        overwrite = settings.get("spark.eventLog.overwrite")
        for existing in (self.path, self.inprogress_path):
            if self._fs.exists(existing):
                if not overwrite:
                    raise ConfigError(f"event log {existing} already exists (spark.eventLog.overwrite)")
                self._fs.rm(existing)
        self._buffer_limit = int(settings.get("spark.eventLog.buffer.kb"))
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._out = self._fs.open(self.inprogress_path, "wb")
        self._closed = False
        self._write(json_protocol.log_start_json(spark_version))
        self._write(json_protocol.resource_profile_json(executor_cores, executor_memory_mb, task_cpus))
        self._flush()
        log.info("Logging events to %s", self.inprogress_path)

    # ------------------------------------------------------------------ listener

    def on_event(self, event: Any) -> None:
        if self._closed or (isinstance(event, le.BlockUpdated) and not self._log_blocks):
            return
        data = json_protocol.to_json(event)
        if data is None:
            return
        self._write(data)
        if isinstance(event, _FLUSH_AFTER) or self._buffered >= self._buffer_limit:
            self._flush()

    # every event goes to on_event (the bus calls the handler its event names)
    on_application_start = on_application_end = on_environment_update = on_event
    on_executor_added = on_executor_removed = on_block_manager_added = on_block_manager_removed = on_event
    on_job_start = on_job_end = on_stage_submitted = on_stage_completed = on_event
    on_task_start = on_task_end = on_unpersist_rdd = on_block_updated = on_event

    # ------------------------------------------------------------------ file

    def _write(self, data: dict[str, Any]) -> None:
        line = json.dumps(data, separators=(",", ":")).encode("utf-8") + b"\n"
        self._buffer.append(line)
        self._buffered += len(line)

    def _flush(self) -> None:
        if not self._buffer:
            return
        data = b"".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        if self._compress:
            import pyarrow as pa

            data = pa.compress(data, codec="zstd", asbytes=True)  # one whole frame per flush
        try:
            self._out.write(data)
            self._out.flush()
        except OSError as exc:  # a full or vanished file system must not take the driver down
            log.warning("could not write the event log %s: %s", self.inprogress_path, exc)

    def stop(self) -> None:
        """Flush, close and rename ``<app id>.inprogress`` to ``<app id>``."""
        if self._closed:
            return
        self._flush()
        self._closed = True
        try:
            self._out.close()
            self._fs.mv(self.inprogress_path, self.path)
        except OSError as exc:
            log.warning("could not finish the event log %s: %s", self.inprogress_path, exc)
