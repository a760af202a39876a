"""``RDD.toDebugString()``: the lineage as Spark prints it, with call sites and cached partitions.

Spark's layout: the first line is ``(partitions) RDD``; an RDD read through a
narrow dependency follows on a ``|``-prefixed line; one read through a shuffle
starts a new indented branch with ``+-(partitions)``. Each RDD is written as
``[name ]Class[id] at <call site> [<storage level>]``, and a persisted one gets
a ``CachedPartitions: n; MemorySize: ...; DiskSize: ...`` line from what the
executors reported.
"""
from __future__ import annotations

import re
from typing import Any

from sparklite.rdd.dependency import ShuffleDependency
from sparklite.ui.format import bytes_to_string

_TRAILING_BAR = re.compile(r"\|\s+$")


def rdd_label(rdd: Any) -> str:
    """``name ClassName[id] at map at job.py:7`` (Spark's ``RDD.toString``)."""
    name = f"{rdd._name} " if rdd._name else ""
    site = getattr(rdd, "_creation_site", None)
    return f"{name}{type(rdd).__name__}[{rdd._rdd_id}] at {site.short if site else '<unknown>'}"


def _describe(rdd: Any, block_master: Any) -> list[str]:
    level = rdd._storage_level
    lines = [f"{rdd_label(rdd)} [{level if level.is_valid else ''}]"]
    if level.is_valid and block_master is not None:
        blocks = block_master.rdd_blocks(rdd._rdd_id)
        if blocks:
            memory = sum(s.memory_size for holders in blocks.values() for s in holders.values())
            disk = sum(s.disk_size for holders in blocks.values() for s in holders.values())
            lines.append(f"    CachedPartitions: {len(blocks)}; MemorySize: {bytes_to_string(memory)}; "
                         f"DiskSize: {bytes_to_string(disk)}")
    return lines


def debug_string(rdd: Any, block_master: Any = None) -> str:
    out: list[str] = []
    # work items: (rdd, prefix, kind, is last child); an explicit stack, lineages run deep
    stack: list[tuple[Any, str, str, bool]] = [(rdd, "", "first", True)]
    while stack:
        node, prefix, kind, last = stack.pop()
        desc = _describe(node, block_master)
        width = len(f"({node.getNumPartitions()})")
        parts = f"({node.getNumPartitions()})"
        offset = (width - 1) // 2
        if kind == "first":
            child_prefix = " " * offset + "|" + " " * (width - offset)
            out.append(f"{parts} {desc[0]}")
            out.extend(f"{child_prefix} {d}" for d in desc[1:])
        elif kind == "shuffle":
            own = _TRAILING_BAR.sub("", prefix)
            child_prefix = own + ("  " if last else "| ") + " " * offset + "|" + " " * (width - offset)
            out.append(f"{own}+-{parts} {desc[0]}")
            out.extend(f"{child_prefix}{d}" for d in desc[1:])
        else:
            child_prefix = prefix
            out.extend(prefix + d for d in desc)
        deps = node.dependencies()
        for i in reversed(range(len(deps))):
            dep = deps[i]
            stack.append((dep.rdd, child_prefix,
                          "shuffle" if isinstance(dep, ShuffleDependency) else "narrow", i == len(deps) - 1))
    return "\n".join(out)
