"""The Stages tab: every stage attempt by status; a stage's detail with Spark's summary
metrics (min, 25th percentile, median, 75th percentile, max over its successful tasks),
aggregated metrics by executor, and the task table."""
from __future__ import annotations

from typing import Any, Callable

from sparklite.ui.format import bytes_to_string, date_string, duration_string
from sparklite.ui.html import esc, link, status_class, table
from sparklite.ui.pages_jobs import STAGE_HEADERS, _now, stage_rows
from sparklite.ui.rest import quantiles_of, scheduler_delay
from sparklite.ui.store import AppStatusStore, StageRecord, TaskRecord

SUMMARY_QUANTILES = (0.0, 0.25, 0.5, 0.75, 1.0)
#: tasks shown on a stage page (the REST taskList pages through all of them)
MAX_TASK_ROWS = 2000


def stages_page(store: AppStatusStore, base: str) -> tuple[str, bool]:
    now = _now(store)
    stages = store.stages()
    body = ""
    live = False
    for status, title in (("ACTIVE", "Active Stages"), ("PENDING", "Pending Stages"),
                          ("COMPLETE", "Completed Stages"), ("SKIPPED", "Skipped Stages"),
                          ("FAILED", "Failed Stages")):
        items = [s for s in stages if s.status == status]
        live = live or (status in ("ACTIVE", "PENDING") and bool(items))
        body += (f"<h4 id='{status.lower()}'>{title} ({len(items)})</h4>"
                 + table(STAGE_HEADERS, stage_rows(items, base, now), f"{status.lower()}Stage-table"))
    return body, live or store.application().end_time is None


def _size_records(size: int, records: int) -> str:
    return f"{bytes_to_string(size)} / {records}" if size or records else ""


def _ms(value: float) -> str:
    return duration_string(value)


def _summary(stage: StageRecord) -> str:
    done = [t for t in stage.tasks.values() if t.info.status == "SUCCESS" and t.metrics is not None]
    if not done:
        return "<p>No completed tasks yet.</p>"
    rows: list[list[str]] = []

    def add(label: str, get: Callable[[TaskRecord], float], fmt: Callable[[float], str],
            paired: Callable[[TaskRecord], float] | None = None) -> None:
        values = quantiles_of([get(t) for t in done], SUMMARY_QUANTILES)
        if paired is not None:
            others = quantiles_of([paired(t) for t in done], SUMMARY_QUANTILES)
            rows.append([esc(label)] + [esc(f"{fmt(v)} / {int(o)}") for v, o in zip(values, others)])
        else:
            rows.append([esc(label)] + [esc(fmt(v)) for v in values])

    def m(name: str) -> Callable[[TaskRecord], float]:
        return lambda t: getattr(t.metrics, name)

    add("Duration", lambda t: t.info.duration, _ms)
    add("GC Time", m("jvm_gc_time"), _ms)
    totals = stage.metrics
    if totals["input_bytes"] or totals["input_records"]:
        add("Input Size / Records", m("input_bytes"), bytes_to_string, m("input_records"))
    if totals["output_bytes"] or totals["output_records"]:
        add("Output Size / Records", m("output_bytes"), bytes_to_string, m("output_records"))
    if totals["shuffle_remote_bytes_read"] or totals["shuffle_local_bytes_read"] or totals["shuffle_records_read"]:
        add("Shuffle Read Size / Records", lambda t: t.metrics.shuffle_read_bytes, bytes_to_string,
            m("shuffle_records_read"))
        add("Shuffle Remote Reads", m("shuffle_remote_bytes_read"), bytes_to_string)
        add("Shuffle Read Fetch Wait Time", m("shuffle_fetch_wait_time"), _ms)
    if totals["shuffle_bytes_written"] or totals["shuffle_records_written"]:
        add("Shuffle Write Size / Records", m("shuffle_bytes_written"), bytes_to_string, m("shuffle_records_written"))
        add("Shuffle Write Time", lambda t: t.metrics.shuffle_write_time / 1e6, _ms)
    if totals["memory_bytes_spilled"] or totals["disk_bytes_spilled"]:
        add("Spill (memory)", m("memory_bytes_spilled"), bytes_to_string)
        add("Spill (disk)", m("disk_bytes_spilled"), bytes_to_string)
    add("Scheduler Delay", scheduler_delay, _ms)
    add("Task Deserialization Time", m("executor_deserialize_time"), _ms)
    add("Result Serialization Time", m("result_serialization_time"), _ms)
    add("Peak Execution Memory", m("peak_execution_memory"), bytes_to_string)
    return table(["Metric", "Min", "25th percentile", "Median", "75th percentile", "Max"], rows,
                 "task-summary-table")


def _by_executor(stage: StageRecord, executors: dict[str, Any]) -> str:
    rows = []
    for executor_id, s in sorted(stage.executors.items()):
        ex = executors.get(executor_id)
        logs = " ".join(link(url, kind) for kind, url in sorted((ex.log_urls if ex else {}).items()))
        t = s.metrics
        rows.append([esc(executor_id) + (f"<div>{logs}</div>" if logs else ""),
                     esc(ex.host_port if ex else ""), esc(duration_string(s.task_time)),
                     str(s.failed_tasks + s.succeeded_tasks + s.killed_tasks), str(s.failed_tasks),
                     str(s.killed_tasks), str(s.succeeded_tasks),
                     esc(_size_records(t["input_bytes"], t["input_records"])),
                     esc(_size_records(t["shuffle_remote_bytes_read"] + t["shuffle_local_bytes_read"],
                                       t["shuffle_records_read"])),
                     esc(_size_records(t["shuffle_bytes_written"], t["shuffle_records_written"])),
                     esc(bytes_to_string(t["memory_bytes_spilled"]) if t["memory_bytes_spilled"] else ""),
                     esc(bytes_to_string(t["disk_bytes_spilled"]) if t["disk_bytes_spilled"] else "")])
    return table(["Executor ID", "Address", "Task Time", "Total Tasks", "Failed Tasks", "Killed Tasks",
                  "Succeeded Tasks", "Input Size / Records", "Shuffle Read Size / Records",
                  "Shuffle Write Size / Records", "Spill (Memory)", "Spill (Disk)"], rows, "executor-summary-table")


def _tasks(stage: StageRecord, executors: dict[str, Any]) -> str:
    rows = []
    tasks = sorted(stage.tasks.values(), key=lambda t: (t.info.index, t.info.attempt))[:MAX_TASK_ROWS]
    for t in tasks:
        info, mt = t.info, t.metrics
        ex = executors.get(info.executor_id)
        logs = " ".join(link(url, kind) for kind, url in sorted((ex.log_urls if ex else {}).items()))
        duration = duration_string(info.duration) if info.finish_time else ""
        error = f"<pre>{esc(t.error[:2000])}</pre>" if t.error else ""
        rows.append([str(info.index), str(info.task_id), str(info.attempt),
                     f"<span class='{status_class(info.status)}'>{esc(info.status)}</span>",
                     esc(info.locality), esc(info.executor_id), esc(info.host), logs,
                     esc(date_string(info.launch_time)), esc(duration),
                     esc(duration_string(mt.jvm_gc_time) if mt else ""),
                     esc(_size_records(mt.input_bytes, mt.input_records) if mt else ""),
                     esc(_size_records(mt.shuffle_read_bytes, mt.shuffle_records_read) if mt else ""),
                     esc(_size_records(mt.shuffle_bytes_written, mt.shuffle_records_written) if mt else ""),
                     esc(bytes_to_string(mt.memory_bytes_spilled) if mt and mt.memory_bytes_spilled else ""),
                     esc(bytes_to_string(mt.disk_bytes_spilled) if mt and mt.disk_bytes_spilled else ""),
                     error])
    note = (f"<p>Showing the first {MAX_TASK_ROWS} of {len(stage.tasks)} tasks (all: the REST API's "
            f"taskList).</p>") if len(stage.tasks) > MAX_TASK_ROWS else ""
    return note + table(["Index", "Task ID", "Attempt", "Status", "Locality Level", "Executor ID", "Host",
                         "Logs", "Launch Time", "Duration", "GC Time", "Input Size / Records",
                         "Shuffle Read Size / Records", "Shuffle Write Size / Records", "Spill (Memory)",
                         "Spill (Disk)", "Errors"], rows, "task-table", empty="no tasks yet")


def stage_page(store: AppStatusStore, base: str, stage_id: int, attempt: int) -> tuple[str, bool]:
    stage = store.stage(stage_id, attempt)
    if stage is None:
        return f"<p>No information for stage {stage_id} attempt {attempt}.</p>", False
    info = stage.info
    executors = {e.executor_id: e for e in store.executors()}
    now = _now(store)
    duration = ((info.completion_time or now) - info.submission_time) if info.submission_time else None
    jobs = " ".join(link(f"{base}/jobs/job/?id={j}", j) for j in sorted(stage.job_ids))
    t = stage.metrics
    header = (f"<ul class='summary'><li><b>Name:</b> {esc(info.name)}</li>"
              f"<li><b>Status:</b> <span class='{status_class(stage.status)}'>{esc(stage.status)}</span></li>"
              f"<li><b>Submitted:</b> {esc(date_string(info.submission_time))}</li>"
              f"<li><b>Duration:</b> {esc(duration_string(duration))}</li>"
              f"<li><b>Total Time Across All Tasks:</b> {esc(duration_string(t['executor_run_time']))}</li>"
              f"<li><b>Locality Level Summary:</b> {esc(_locality(stage))}</li>"
              f"<li><b>Associated Job Ids:</b> {jobs}</li>"
              f"<li><b>Tasks:</b> {len(stage.completed_indices)}/{info.num_tasks} succeeded, "
              f"{stage.num_active_tasks} running, {stage.num_failed_tasks} failed, "
              f"{stage.num_killed_tasks} killed</li></ul>")
    failure = f"<h4>Failure Reason</h4><pre class='failed'>{esc(info.failure_reason)}</pre>" \
        if info.failure_reason else ""
    details = f"<h4>Details</h4><pre>{esc(info.details)}</pre>" if info.details else ""
    body = (header + failure
            + f"<h4>Summary Metrics for {len(stage.completed_indices)} Completed Tasks</h4>" + _summary(stage)
            + "<h4>Aggregated Metrics by Executor</h4>" + _by_executor(stage, executors)
            + f"<h4>Tasks ({len(stage.tasks)})</h4>" + _tasks(stage, executors) + details)
    return body, stage.status in ("ACTIVE", "PENDING")


def _locality(stage: StageRecord) -> str:
    counts: dict[str, int] = {}
    for t in stage.tasks.values():
        counts[t.info.locality] = counts.get(t.info.locality, 0) + 1
    names = {"PROCESS_LOCAL": "Process local", "NODE_LOCAL": "Node local", "RACK_LOCAL": "Rack local",
             "ANY": "Any"}
    return "; ".join(f"{names.get(k, k)}: {v}" for k, v in sorted(counts.items()))
