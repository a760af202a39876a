"""SVG drawn on the server: a job's stage DAG and the jobs page's event timeline.

The DAG: one box per stage (left to right by depth), inside it one node per RDD
(top to bottom by depth within the stage), labelled with the RDD and its call
site; cached RDDs are filled green; narrow dependencies are solid arrows inside
a stage, shuffle dependencies dashed arrows between stages. The layout is a
simple layered one: stages in columns by longest path from a source stage.
"""
from __future__ import annotations

from typing import Any, Sequence

from sparklite.ui.html import esc

NODE_W, NODE_H, GAP, PAD, LABEL = 210, 40, 18, 14, 22


def _truncate(text: str, n: int = 32) -> str:
    return text if len(text) <= n else text[:n - 1] + "…"


def stage_dag(stages: Sequence[Any]) -> str:
    """``stages``: StageInfo-like records (stage_id, rdd_infos, parent_ids) of one job."""
    by_id = {s.stage_id: s for s in stages}
    depth: dict[int, int] = {}
    for s in sorted(stages, key=lambda s: s.stage_id):  # parents have smaller ids
        depth[s.stage_id] = 1 + max((depth[p] for p in s.parent_ids if p in depth), default=-1)
    owner: dict[int, int] = {}
    for s in stages:
        for r in s.rdd_infos:
            owner.setdefault(r.rdd_id, s.stage_id)
    boxes: dict[int, tuple[float, float, float, float]] = {}
    nodes: dict[int, tuple[float, float]] = {}
    columns: dict[int, list[Any]] = {}
    for s in sorted(stages, key=lambda s: s.stage_id):
        columns.setdefault(depth[s.stage_id], []).append(s)
    x = 10.0
    parts: list[str] = []
    height = 0.0
    for col in sorted(columns):
        y = 10.0
        col_width = 0.0
        for s in columns[col]:
            rdds = sorted(s.rdd_infos, key=lambda r: r.rdd_id)
            level: dict[int, int] = {}
            for r in rdds:
                level[r.rdd_id] = 1 + max((level[p] for p in r.parent_ids if p in level), default=-1)
            rows: dict[int, list[Any]] = {}
            for r in rdds:
                rows.setdefault(level[r.rdd_id], []).append(r)
            per_row = max((len(v) for v in rows.values()), default=1)
            w = PAD * 2 + per_row * NODE_W + (per_row - 1) * GAP
            h = LABEL + PAD * 2 + len(rows) * NODE_H + max(0, len(rows) - 1) * GAP
            boxes[s.stage_id] = (x, y, w, h)
            for row_index, row in sorted(rows.items()):
                for i, r in enumerate(row):
                    nodes[r.rdd_id] = (x + PAD + i * (NODE_W + GAP), y + LABEL + PAD + row_index * (NODE_H + GAP))
            y += h + GAP * 2
            col_width = max(col_width, w)
        height = max(height, y)
        x += col_width + GAP * 3
    width = x
    for s in stages:
        bx, by, bw, bh = boxes[s.stage_id]
        parts.append(f"<g class='stage' id='stage-{s.stage_id}'>"
                     f"<rect x='{bx}' y='{by}' width='{bw}' height='{bh}' rx='6' fill='#fdf0e7' "
                     f"stroke='#e25a1c' stroke-dasharray='4 2'/>"
                     f"<text x='{bx + 8}' y='{by + 16}' font-size='13' font-weight='bold'>"
                     f"Stage {s.stage_id}</text>")
        for r in s.rdd_infos:
            nx, ny = nodes[r.rdd_id]
            cached = r.storage_level.is_valid
            fill = "#b8e0a2" if cached else "#ffffff"
            parts.append(f"<g class='rdd{' cached' if cached else ''}' id='rdd-{r.rdd_id}'>"
                         f"<title>{esc(r.name)} [{r.rdd_id}] at {esc(r.callsite)}"
                         f"{' (cached)' if cached else ''}</title>"
                         f"<rect x='{nx}' y='{ny}' width='{NODE_W}' height='{NODE_H}' rx='4' fill='{fill}' "
                         f"stroke='#3a6ea5'/>"
                         f"<text x='{nx + 6}' y='{ny + 16}' font-size='12'>{esc(_truncate(f'{r.name} [{r.rdd_id}]'))}</text>"
                         f"<text x='{nx + 6}' y='{ny + 32}' font-size='11' fill='#555'>"
                         f"{esc(_truncate(r.callsite, 34))}</text></g>")
        parts.append("</g>")
    edges: list[str] = []
    for s in stages:
        for r in s.rdd_infos:
            for p in r.parent_ids:
                if p not in nodes:
                    continue
                (px, py), (cx, cy) = nodes[p], nodes[r.rdd_id]
                shuffle = owner.get(p) != s.stage_id
                if shuffle:
                    x1, y1, x2, y2 = px + NODE_W, py + NODE_H / 2, cx, cy + NODE_H / 2
                else:
                    x1, y1, x2, y2 = px + NODE_W / 2, py + NODE_H, cx + NODE_W / 2, cy
                dash = " stroke-dasharray='6 3'" if shuffle else ""
                kind = "shuffle" if shuffle else "narrow"
                edges.append(f"<path class='edge {kind}' d='M{x1},{y1} L{x2},{y2}' stroke='#444' "
                             f"fill='none' marker-end='url(#arrow)'{dash}/>")
    defs = ("<defs><marker id='arrow' viewBox='0 0 10 10' refX='9' refY='5' markerWidth='7' "
            "markerHeight='7' orient='auto'><path d='M0,0 L10,5 L0,10 z' fill='#444'/></marker></defs>")
    return (f"<svg class='dag' xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' height='{height:.0f}'>"
            f"{defs}{''.join(parts)}{''.join(edges)}</svg>")


def timeline(start: int, end: int, jobs: Sequence[Any], executors: Sequence[Any]) -> str:
    """Spark's event timeline: executors added/removed and jobs as bars over the app's life."""
    width, left, lane = 900.0, 90.0, 26.0
    span = max(1, end - start)
    rows = max(1, len(jobs))

    def at(t: int) -> float:
        return left + (width - left - 10) * max(0, min(span, t - start)) / span

    parts = [f"<text x='4' y='20' font-size='12'>Executors</text>"]
    for ex in executors:
        parts.append(f"<circle cx='{at(ex.add_time):.1f}' cy='16' r='5' fill='#2c7fb8'>"
                     f"<title>executor {esc(ex.executor_id)} added</title></circle>")
        if ex.remove_time:
            parts.append(f"<circle cx='{at(ex.remove_time):.1f}' cy='16' r='5' fill='#d7301f'>"
                         f"<title>executor {esc(ex.executor_id)} removed: {esc(ex.remove_reason)}</title></circle>")
    parts.append(f"<text x='4' y='{lane + 22}' font-size='12'>Jobs</text>")
    for i, job in enumerate(sorted(jobs, key=lambda j: j.job_id)):
        y = lane + 8 + i * 18
        x1 = at(job.submission_time)
        x2 = at(job.completion_time or end)
        color = {"SUCCEEDED": "#7fbf7b", "FAILED": "#e66"}.get(job.status, "#9ecae1")
        parts.append(f"<rect class='timeline-job' x='{x1:.1f}' y='{y}' width='{max(3.0, x2 - x1):.1f}' "
                     f"height='14' fill='{color}'><title>Job {job.job_id}: {esc(job.name)} "
                     f"({esc(job.status)})</title></rect>")
    height = lane + 16 + rows * 18
    return (f"<svg class='timeline' xmlns='http://www.w3.org/2000/svg' width='{width:.0f}' "
            f"height='{height:.0f}'><line x1='{left}' y1='{height - 2}' x2='{width - 10}' "
            f"y2='{height - 2}' stroke='#999'/>{''.join(parts)}</svg>")
