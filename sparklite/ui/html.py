"""The page frame and table helpers shared by the UI's pages (plain HTML, a little vanilla JS).

Every page has Spark's tab bar (Jobs, Stages, Storage, Environment, Executors).
A page of a running application refreshes its content every two seconds by
fetching itself and swapping the ``#content`` element, so counts and tables
move while jobs run without a full reload.
"""
from __future__ import annotations

import html
from typing import Any, Iterable, Sequence

TABS = (("jobs", "Jobs"), ("stages", "Stages"), ("storage", "Storage"), ("environment", "Environment"),
        ("executors", "Executors"))

CSS = """
body{font-family:-apple-system,"Helvetica Neue",Arial,sans-serif;font-size:14px;margin:0;color:#222}
header{background:#f4f4f4;border-bottom:1px solid #ccc;padding:6px 16px;display:flex;align-items:center}
header .brand{font-weight:bold;font-size:18px;margin-right:24px;color:#e25a1c}
header nav a{margin-right:16px;color:#0066cc;text-decoration:none;padding:6px 4px}
header nav a.active{border-bottom:3px solid #e25a1c;color:#222}
header .app{margin-left:auto;color:#666}
main{padding:12px 16px}
h3,h4{margin:18px 0 8px}
table{border-collapse:collapse;margin-bottom:14px;font-size:13px}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}
tr:nth-child(even) td{background:#fbfbfb}
.progress{position:relative;width:180px;height:16px;background:#eee;border:1px solid #bbb;border-radius:3px}
.progress .done{position:absolute;left:0;top:0;bottom:0;background:#a6d96a}
.progress .running{position:absolute;top:0;bottom:0;background:#9ecae1}
.progress span{position:relative;font-size:11px;padding-left:4px}
.failed{color:#c00}.succeeded{color:#070}.running-status{color:#06c}
pre{white-space:pre-wrap;font-size:12px;background:#f8f8f8;padding:8px;border:1px solid #eee}
ul.summary{list-style:none;padding:0}ul.summary li{margin:2px 0}
svg text{font-family:inherit}
"""

REFRESH_JS = """
(function(){
  var content=document.getElementById('content');
  if(!content||content.dataset.live!=='true'){return;}
  setInterval(function(){
    fetch(window.location.href,{cache:'no-store'}).then(function(r){return r.text();}).then(function(t){
      var doc=new DOMParser().parseFromString(t,'text/html');
      var fresh=doc.getElementById('content');
      if(fresh){content.innerHTML=fresh.innerHTML;content.dataset.live=fresh.dataset.live;}
    }).catch(function(){});
  },2000);
})();
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def page(title: str, body: str, base: str, active: str, app_name: str, live: bool) -> str:
    tabs = "".join(f'<a href="{base}/{key}/" class="{"active" if key == active else ""}">{label}</a>'
                   for key, label in TABS)
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(app_name)} - {esc(title)}</title>"
            f"<style>{CSS}</style></head><body>"
            f"<header><span class='brand'>sparklite</span><nav>{tabs}</nav>"
            f"<span class='app'>{esc(app_name)} application UI</span></header>"
            f"<main id='content' data-live='{'true' if live else 'false'}'><h3>{esc(title)}</h3>{body}</main>"
            f"<script>{REFRESH_JS}</script></body></html>")


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], table_id: str = "",
          empty: str = "none") -> str:
    """A table of already-escaped cells."""
    body = "".join("<tr>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>" for row in rows)
    if not body:
        return f"<p>{esc(empty)}</p>"
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    ident = f" id='{table_id}'" if table_id else ""
    return f"<table{ident}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def progress_bar(completed: int, running: int, total: int, extra: str = "") -> str:
    total = max(total, 1)
    done = min(100.0, 100.0 * completed / total)
    run = min(100.0 - done, 100.0 * running / total)
    label = f"{completed}/{total}" + (f" ({running} running)" if running else "") + extra
    return (f"<div class='progress'><div class='done' style='width:{done:.1f}%'></div>"
            f"<div class='running' style='left:{done:.1f}%;width:{run:.1f}%'></div>"
            f"<span>{esc(label)}</span></div>")


def link(href: str, text: Any) -> str:
    return f"<a href='{esc(href)}'>{esc(text)}</a>"


def status_class(status: str) -> str:
    return {"FAILED": "failed", "SUCCEEDED": "succeeded", "COMPLETE": "succeeded",
            "RUNNING": "running-status", "ACTIVE": "running-status"}.get(status, "")
