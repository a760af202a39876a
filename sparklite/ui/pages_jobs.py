"""The Jobs tab: active, completed and failed jobs with the event timeline; a job's detail with
its stage DAG. Pages are rendered from AppStatusStore copies; ``base`` prefixes every link
(``""`` on a live driver, ``/history/<app id>`` in the history server)."""
from __future__ import annotations

import time
from typing import Any

from sparklite.ui import svg
from sparklite.ui.format import date_string, duration_string
from sparklite.ui.html import esc, link, progress_bar, status_class, table
from sparklite.ui.store import AppStatusStore, JobRecord, StageRecord


def _now(store: AppStatusStore) -> int:
    app = store.application()
    return app.end_time or int(time.time() * 1000)


def job_duration(job: JobRecord, now: int) -> int:
    return (job.completion_time or now) - job.submission_time


def _stages_cell(job: JobRecord) -> str:
    total = len(job.stage_ids) - len(job.skipped_stages) if job.status != "RUNNING" else len(job.stage_ids)
    extra = f" ({len(job.skipped_stages)} skipped)" if job.skipped_stages else ""
    failed = f" ({len(job.failed_stages)} failed)" if job.failed_stages else ""
    return esc(f"{len(job.completed_stages)}/{max(total, 0)}{extra}{failed}")


def _tasks_cell(job: JobRecord) -> str:
    extra = ""
    if job.num_failed_tasks:
        extra += f" ({job.num_failed_tasks} failed)"
    if job.num_killed_tasks:
        extra += f" ({job.num_killed_tasks} killed)"
    if job.num_skipped_tasks:
        extra += f" ({job.num_skipped_tasks} skipped)"
    return progress_bar(len(job.completed_indices), job.num_active_tasks,
                        job.num_tasks - job.num_skipped_tasks if job.status != "RUNNING" else job.num_tasks, extra)


def _jobs_table(jobs: list[JobRecord], base: str, now: int, table_id: str) -> str:
    rows = []
    for job in jobs:
        name = link(f"{base}/jobs/job/?id={job.job_id}", job.name)
        desc = f"<div>{esc(job.description)}</div>" if job.description else ""
        group = f" ({esc(job.job_group)})" if job.job_group else ""
        rows.append([f"{job.job_id}{group}", desc + name, esc(date_string(job.submission_time)),
                     esc(duration_string(job_duration(job, now))),
                     f"<span class='{status_class(job.status)}'>{esc(job.status)}</span>",
                     _stages_cell(job), _tasks_cell(job)])
    return table(["Job Id", "Description", "Submitted", "Duration", "Status",
                  "Stages: Succeeded/Total", "Tasks (for all stages): Succeeded/Total"], rows, table_id)


def jobs_page(store: AppStatusStore, base: str) -> str:
    app = store.application()
    now = _now(store)
    jobs = store.jobs()
    active = [j for j in jobs if j.status == "RUNNING"]
    done = [j for j in jobs if j.status == "SUCCEEDED"]
    failed = [j for j in jobs if j.status == "FAILED"]
    summary = (f"<ul class='summary'><li><b>User:</b> {esc(app.user)}</li>"
               f"<li><b>Started at:</b> {esc(date_string(app.start_time))}</li>"
               f"<li><b>Total Uptime:</b> {esc(duration_string(now - app.start_time))}</li>"
               f"<li><b>Scheduling Mode:</b> FIFO</li>"
               f"<li><b>Active Jobs:</b> {len(active)}</li><li><b>Completed Jobs:</b> {len(done)}</li>"
               f"<li><b>Failed Jobs:</b> {len(failed)}</li></ul>")
    timeline = ("<h4>Event Timeline</h4>"
                + svg.timeline(app.start_time, now, jobs, store.executors()))
    return (summary + timeline
            + f"<h4 id='active'>Active Jobs ({len(active)})</h4>" + _jobs_table(active, base, now, "activeJob-table")
            + f"<h4 id='completed'>Completed Jobs ({len(done)})</h4>"
            + _jobs_table(done, base, now, "completedJob-table")
            + f"<h4 id='failed'>Failed Jobs ({len(failed)})</h4>" + _jobs_table(failed, base, now, "failedJob-table"))


def stage_rows(stages: list[StageRecord], base: str, now: int) -> list[list[str]]:
    from sparklite.ui.format import bytes_to_string

    rows = []
    for s in stages:
        info = s.info
        name = link(f"{base}/stages/stage/?id={info.stage_id}&attempt={info.attempt_id}", info.name)
        submitted = info.submission_time
        duration = ((info.completion_time or now) - submitted) if submitted else None
        reason = f"<div class='failed'>{esc((info.failure_reason or '')[:300])}</div>" if info.failure_reason else ""
        m = s.metrics
        read = m["shuffle_remote_bytes_read"] + m["shuffle_local_bytes_read"]
        rows.append([str(info.stage_id) + (f" (retry {info.attempt_id})" if info.attempt_id else ""),
                     name + reason, esc(date_string(submitted)), esc(duration_string(duration)),
                     f"<span class='{status_class(s.status)}'>{esc(s.status)}</span>",
                     progress_bar(len(s.completed_indices), s.num_active_tasks, info.num_tasks,
                                  f" ({s.num_failed_tasks} failed)" if s.num_failed_tasks else ""),
                     esc(bytes_to_string(m["input_bytes"]) if m["input_bytes"] else ""),
                     esc(bytes_to_string(m["output_bytes"]) if m["output_bytes"] else ""),
                     esc(bytes_to_string(read) if read else ""),
                     esc(bytes_to_string(m["shuffle_bytes_written"]) if m["shuffle_bytes_written"] else "")])
    return rows


STAGE_HEADERS = ["Stage Id", "Description", "Submitted", "Duration", "Status", "Tasks: Succeeded/Total",
                 "Input", "Output", "Shuffle Read", "Shuffle Write"]


def job_page(store: AppStatusStore, base: str, job_id: int) -> tuple[str, bool]:
    job = store.job(job_id)
    if job is None:
        return f"<p>No information for job {job_id} (unknown or no longer retained).</p>", False
    now = _now(store)
    stages = [s for s in (store.stage_attempts(sid) for sid in job.stage_ids) if s]
    latest = [attempts[-1] for attempts in stages]
    all_attempts = [a for attempts in stages for a in attempts]
    error = f"<pre class='failed'>{esc(job.error)}</pre>" if job.error else ""
    summary = (f"<ul class='summary'><li><b>Status:</b> <span class='{status_class(job.status)}'>"
               f"{esc(job.status)}</span></li>"
               f"<li><b>Submitted:</b> {esc(date_string(job.submission_time))}</li>"
               f"<li><b>Duration:</b> {esc(duration_string(job_duration(job, now)))}</li>"
               + (f"<li><b>Job Group:</b> {esc(job.job_group)}</li>" if job.job_group else "")
               + f"<li><b>Completed Stages:</b> {len(job.completed_stages)}</li>"
               f"<li><b>Skipped Stages:</b> {len(job.skipped_stages)}</li>"
               f"<li><b>Failed Stages:</b> {len(job.failed_stages)}</li></ul>{error}")
    dag = "<h4>DAG Visualization</h4>" + svg.stage_dag([s.info for s in latest])
    groups: dict[str, list[StageRecord]] = {}
    for s in sorted(all_attempts, key=lambda s: (-s.info.stage_id, -s.info.attempt_id)):
        status = s.status
        if status == "PENDING" and job.status != "RUNNING":
            status = "SKIPPED"
        groups.setdefault(status, []).append(s)
    sections = ""
    for status, title in (("ACTIVE", "Active Stages"), ("PENDING", "Pending Stages"),
                          ("COMPLETE", "Completed Stages"), ("SKIPPED", "Skipped Stages"),
                          ("FAILED", "Failed Stages")):
        items = groups.get(status, [])
        if items:
            sections += (f"<h4>{title} ({len(items)})</h4>"
                         + table(STAGE_HEADERS, stage_rows(items, base, now), f"{status.lower()}Stage-table"))
    site = f"<h4>Call site</h4><pre>{esc(job.call_site_long)}</pre>" if job.call_site_long else ""
    return summary + dag + sections + site, job.status == "RUNNING"


def stage_name_of(store: AppStatusStore, stage_id: int) -> Any:
    attempts = store.stage_attempts(stage_id)
    return attempts[-1].info.name if attempts else ""
