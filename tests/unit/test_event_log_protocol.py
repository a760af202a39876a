"""Spark's event-log JSON: every event round-trips, with the JSON types Spark's strict parser
wants, and a log written to a file system (plain and zstd) reads back the same events, also
while it is still being written."""
from __future__ import annotations

import json

import fsspec
import pytest

from sparklite.config import Settings
from sparklite.eventlog import json_protocol
from sparklite.eventlog.reader import list_logs, read_events
from sparklite.eventlog.writer import EventLogWriter
from sparklite.scheduler import listener_events as le
from tests.helpers import app_events


def test_every_event_round_trips():
    for event in app_events.events():
        data = json_protocol.to_json(event)
        assert data is not None and data["Event"].startswith("SparkListener")
        back = json_protocol.from_json(json.loads(json.dumps(data)))
        assert back == event, data["Event"]


def _walk(value, path=""):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, f"{path}[{i}]")
    else:
        yield path, value


#: JSON fields Spark's JsonProtocol reads with extractInt/extractLong (numbers) or extractString
NUMBERS = ("Stage ID", "Stage Attempt ID", "Number of Tasks", "RDD ID", "Number of Partitions", "Task ID",
           "Index", "Attempt", "Launch Time", "Finish Time", "Getting Result Time", "Job ID", "Timestamp",
           "Submission Time", "Completion Time", "Memory Size", "Disk Size", "Replication", "Port",
           "Maximum Memory", "Total Cores", "Executor Run Time", "Result Size", "JVM GC Time", "Line Number")
STRINGS = ("Stage Name", "Name", "Callsite", "Executor ID", "Host", "Locality", "Task Type", "Reason",
           "App Name", "App ID", "User", "Block ID", "Class Name", "Description", "Details")


def test_json_types_are_the_ones_sparks_parser_requires():
    for event in app_events.events():
        for path, value in _walk(json_protocol.to_json(event)):
            field = path.rsplit("/", 1)[-1].split("[")[0]
            if field in NUMBERS:
                assert isinstance(value, int) and not isinstance(value, bool), (path, value)
            if field in STRINGS:
                assert isinstance(value, str), (path, value)
    start = json_protocol.to_json(app_events.events()[6])
    assert start["Stage Infos"][0]["RDD Info"][0]["Storage Level"] == {
        "Use Disk": False, "Use Memory": False, "Use Off Heap": False, "Deserialized": False, "Replication": 1}
    end = json_protocol.to_json(le.JobEnd(3, 5, False, "boom"))
    assert end["Job Result"] == {"Result": "JobFailed", "Exception": {"Message": "boom", "Stack Trace": []}}


def _settings(tmp_url: str, **extra: str) -> Settings:
    return Settings({"spark.eventLog.enabled": "true", "spark.eventLog.dir": tmp_url, **extra})


@pytest.mark.parametrize("compress", ["false", "true"])
def test_a_written_log_reads_back_the_same_events_and_is_renamed_at_the_end(tmp_path, compress):
    writer = EventLogWriter(_settings(str(tmp_path), **{"spark.eventLog.compress": compress}), "local-9",
                            "0.1.0", 1, 1024, 1)
    events = app_events.events()
    for event in events[:10]:
        getattr(writer, event.handler)(event)
    suffix = ".zstd" if compress == "true" else ""
    assert (tmp_path / f"local-9{suffix}.inprogress").exists()
    fs = fsspec.filesystem("file")
    [partial] = list_logs(fs, str(tmp_path))
    assert partial.in_progress and partial.name == "local-9" and partial.compressed == (compress == "true")
    so_far = list(read_events(fs, partial))  # up to the last flush: ExecutorAdded and JobStart flush
    assert so_far and so_far == events[:len(so_far)]
    for event in events[10:]:
        getattr(writer, event.handler)(event)
    writer.stop()
    assert not (tmp_path / f"local-9{suffix}.inprogress").exists()
    [done] = list_logs(fs, str(tmp_path))
    assert not done.in_progress
    # block updates are left out unless spark.eventLog.logBlockUpdates.enabled, as in Spark
    assert list(read_events(fs, done)) == [e for e in events if not isinstance(e, le.BlockUpdated)]
    first = (tmp_path / f"local-9{suffix}").read_bytes()
    if compress == "true":
        assert first[:4] == b"\x28\xb5\x2f\xfd"  # zstd frames, as Spark's zstd codec reads
    else:
        lines = first.decode().splitlines()
        assert json.loads(lines[0]) == {"Event": "SparkListenerLogStart", "Spark Version": "0.1.0"}
        assert json.loads(lines[1])["Event"] == "SparkListenerResourceProfileAdded"


def test_the_log_goes_to_any_fsspec_url_and_refuses_to_overwrite():
    fs = fsspec.filesystem("memory")
    fs.mkdir("/logs-test")
    try:
        writer = EventLogWriter(_settings("memory://logs-test", **{"spark.eventLog.logBlockUpdates.enabled": "true"}),
                                "app-1", "0.1.0", 1, 1024, 1)
        for event in app_events.events():
            getattr(writer, event.handler)(event)
        writer.stop()
        [log_file] = list_logs(fs, "/logs-test")
        assert list(read_events(fs, log_file)) == app_events.events()
        from sparklite.errors import ConfigError

        with pytest.raises(ConfigError, match="already exists"):
            EventLogWriter(_settings("memory://logs-test"), "app-1", "0.1.0", 1, 1024, 1)
        with pytest.raises(ConfigError, match="does not exist"):
            EventLogWriter(_settings("memory://no-such-dir"), "app-2", "0.1.0", 1, 1024, 1)
    finally:
        fs.rm("/logs-test", recursive=True)


def test_a_torn_last_line_is_skipped(tmp_path):
    lines = [json.dumps(json_protocol.to_json(e)) for e in app_events.events()[:5]]
    (tmp_path / "local-5.inprogress").write_text("\n".join(lines) + '\n{"Event": "SparkListenerTa')
    fs = fsspec.filesystem("file")
    [log_file] = list_logs(fs, str(tmp_path))
    assert list(read_events(fs, log_file)) == app_events.events()[:5]
