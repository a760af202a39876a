"""The Storage, Environment and Executors tabs, and the executor thread dump page."""
from __future__ import annotations

from sparklite.ui.format import bytes_to_string, date_string, duration_string
from sparklite.ui.html import esc, link, table
from sparklite.ui.store import AppStatusStore


def storage_page(store: AppStatusStore, base: str) -> str:
    rows = []
    for rdd in store.rdds():
        if not rdd.blocks:
            continue
        fraction = 100.0 * len(rdd.blocks) / max(rdd.num_partitions, 1)
        rows.append([str(rdd.rdd_id), link(f"{base}/storage/rdd/?id={rdd.rdd_id}", rdd.name),
                     esc(rdd.storage_level), str(len(rdd.blocks)), f"{fraction:.0f}%",
                     esc(bytes_to_string(rdd.memory_used)), esc(bytes_to_string(rdd.disk_used))])
    return "<h4>RDDs</h4>" + table(["ID", "RDD Name", "Storage Level", "Cached Partitions",
                                    "Fraction Cached", "Size in Memory", "Size on Disk"], rows,
                                   "storage-table", empty="no cached RDDs")


def rdd_page(store: AppStatusStore, base: str, rdd_id: int) -> str:
    rdd = store.rdd(rdd_id)
    if rdd is None:
        return f"<p>RDD {rdd_id} is not cached (or was unpersisted).</p>"
    executors = {e.executor_id: e for e in store.executors()}
    per: dict[str, list[int]] = {}
    for holders in rdd.blocks.values():
        for executor_id, (mem, disk) in holders.items():
            totals = per.setdefault(executor_id, [0, 0, 0])
            totals[0] += 1
            totals[1] += mem
            totals[2] += disk
    dist = [[esc(executors[e].host_port if e in executors else e), esc(e), str(n),
             esc(bytes_to_string(mem)), esc(bytes_to_string(disk))] for e, (n, mem, disk) in sorted(per.items())]
    parts = [[esc(block), esc(rdd.storage_level),
              esc(bytes_to_string(sum(m for m, _ in holders.values()))),
              esc(bytes_to_string(sum(d for _, d in holders.values()))), esc(", ".join(sorted(holders)))]
             for block, holders in sorted(rdd.blocks.items(), key=lambda kv: int(kv[0].rsplit("_", 1)[1]))]
    return (f"<ul class='summary'><li><b>Name:</b> {esc(rdd.name)}</li>"
            f"<li><b>Storage Level:</b> {esc(rdd.storage_level)}</li>"
            f"<li><b>Cached Partitions:</b> {len(rdd.blocks)} of {rdd.num_partitions}</li>"
            f"<li><b>Created at:</b> {esc(rdd.callsite)}</li>"
            f"<li><b>Memory Size:</b> {esc(bytes_to_string(rdd.memory_used))}</li>"
            f"<li><b>Disk Size:</b> {esc(bytes_to_string(rdd.disk_used))}</li></ul>"
            "<h4>Data Distribution on Executors</h4>"
            + table(["Host", "Executor", "Blocks", "Memory Usage", "Disk Usage"], dist, "rdd-distribution")
            + f"<h4>{len(rdd.blocks)} Partitions</h4>"
            + table(["Block Name", "Storage Level", "Size in Memory", "Size on Disk", "Executors"], parts,
                    "rdd-partitions"))


def environment_page(store: AppStatusStore, base: str) -> str:
    env = store.application().environment
    out = ""
    for section, title in (("JVM Information", "Runtime Information"), ("Spark Properties", "Spark Properties"),
                           ("System Properties", "System Properties"),
                           ("Classpath Entries", "Python Path (sys.path)")):
        rows = [[esc(k), esc(v)] for k, v in env.get(section, ())]
        out += f"<h4>{title}</h4>" + table(["Name", "Value"], rows, section.replace(" ", "-").lower())
    return out


def executors_page(store: AppStatusStore, base: str) -> str:
    rows = []
    executors = store.executors()
    for ex in executors:
        logs = " ".join(link(url, kind) for kind, url in sorted(ex.log_urls.items()))
        dump = link(f"{base}/executors/threadDump/?executorId={ex.executor_id}", "Thread Dump") \
            if ex.is_active else ""
        status = "Active" if ex.is_active else f"Dead ({ex.remove_reason or ''})"
        memory = getattr(ex, "memory_used", 0)
        rows.append([esc(ex.executor_id), esc(ex.host_port), esc(status), str(getattr(ex, "rdd_blocks", 0)),
                     esc(f"{bytes_to_string(memory)} / {bytes_to_string(ex.max_memory)}"),
                     esc(bytes_to_string(getattr(ex, "disk_used", 0))), str(ex.total_cores),
                     str(ex.active_tasks), str(ex.failed_tasks), str(ex.completed_tasks),
                     str(ex.active_tasks + ex.failed_tasks + ex.completed_tasks),
                     esc(f"{duration_string(ex.total_duration)} ({duration_string(ex.total_gc_time)})"),
                     esc(bytes_to_string(ex.total_input_bytes)), esc(bytes_to_string(ex.total_shuffle_read)),
                     esc(bytes_to_string(ex.total_shuffle_write)), esc(date_string(ex.add_time)), logs, dump])
    active = [e for e in executors if e.is_active]
    summary = (f"<ul class='summary'><li><b>Active executors:</b> {len(active)}</li>"
               f"<li><b>Dead executors:</b> {len(executors) - len(active)}</li>"
               f"<li><b>Cores:</b> {sum(e.total_cores for e in active)}</li></ul>")
    return summary + table(["Executor ID", "Address", "Status", "RDD Blocks", "Storage Memory", "Disk Used",
                            "Cores", "Active Tasks", "Failed Tasks", "Complete Tasks", "Total Tasks",
                            "Task Time (GC Time)", "Input", "Shuffle Read", "Shuffle Write", "Add Time",
                            "Logs", "Thread Dump"], rows, "executors-table")


def thread_dump_page(executor_id: str, text: str | None) -> str:
    if text is None:
        return f"<p>Executor {esc(executor_id)} did not answer (it may have exited).</p>"
    return f"<h4>Executor {esc(executor_id)}</h4><pre id='thread-dump'>{esc(text)}</pre>"
