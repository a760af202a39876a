"""Master URLs: ``local``, ``local[N]``, ``local[*]``, ``local[N,F]``,
``local-cluster[N,C,M]``, ``sparklite://host:port``."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class LocalMaster:
    executors: int
    max_failures: int | None = None  # local[N,F]: F attempts per task, as Spark's local[N,F]
    cores: int | None = None         # local-cluster[N,C,M]: C task slots per executor
    memory_mb: int | None = None     # local-cluster[N,C,M]: M MiB per executor


@dataclass(frozen=True)
class StandaloneMaster:
    hosts: tuple[tuple[str, int], ...]


def parse_master(url: str) -> LocalMaster | StandaloneMaster:
    text = str(url).strip()
    if text == "local":
        return LocalMaster(1)
    m = re.fullmatch(r"local\[\s*(\*|\d+)\s*(?:,\s*(\d+)\s*)?\]", text)
    if m:
        n = (os.cpu_count() or 1) if m.group(1) == "*" else int(m.group(1))
        if n <= 0:
            raise ValueError(f"{text}: the number of executors must be positive")
        return LocalMaster(n, int(m.group(2)) if m.group(2) else None)
    m = re.fullmatch(r"local-cluster\[\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*\]", text)
    if m:
        n, cores, memory = (int(g) for g in m.groups())
        if n <= 0 or cores <= 0 or memory <= 0:
            raise ValueError(f"{text}: executors, cores and memory (MiB) must be positive")
        return LocalMaster(n, None, cores, memory)
    if text.startswith("sparklite://"):
        hosts = []
        for part in text[len("sparklite://"):].split(","):
            host, _, port = part.rpartition(":")
            if not host or not port.isdigit():
                raise ValueError(f"{text}: expected sparklite://host:port")
            hosts.append((host.strip("[]"), int(port)))
        return StandaloneMaster(tuple(hosts))
    raise ValueError(f"unsupported master URL {text!r}: use local, local[N], local[*], "
                     f"local[N, maxFailures], local-cluster[N, cores, memoryMB] or "
                     f"sparklite://host:port")


def local_cluster_defaults(url: str | None) -> dict[str, str]:
    """``local-cluster[N, cores, memoryMB]``: each executor's cores and memory as config values
    (applied unless set); empty for any other (or an invalid) master."""
    try:
        spec = parse_master(url or "")
    except ValueError:
        return {}  # Settings reports it, naming the key
    if isinstance(spec, LocalMaster) and spec.cores is not None:
        return {"spark.executor.cores": str(spec.cores), "spark.executor.memory": f"{spec.memory_mb}m"}
    return {}
