"""Human-readable sizes, durations and dates, as Spark's UI and logs write them.

>>> bytes_to_string(304), bytes_to_string(3000), bytes_to_string(5 << 30)
('304.0 B', '2.9 KiB', '5.0 GiB')
>>> duration_string(12), duration_string(412), duration_string(12_500), duration_string(3_720_000)
('12 ms', '0.4 s', '12 s', '1.0 h')
"""
from __future__ import annotations

import time

_UNITS = ((1 << 60, "EiB"), (1 << 50, "PiB"), (1 << 40, "TiB"), (1 << 30, "GiB"), (1 << 20, "MiB"),
          (1 << 10, "KiB"))


def bytes_to_string(size: int | float) -> str:
    """Spark's ``Utils.bytesToString``: a unit is used from twice its size (``2047 B``, ``2.0 KiB``)."""
    for unit_size, unit in _UNITS:
        if size >= 2 * unit_size:
            return f"{size / unit_size:.1f} {unit}"
    return f"{float(size):.1f} B"


def duration_string(ms: int | float | None) -> str:
    """Spark's ``UIUtils.formatDuration``: ``12 ms``, ``0.4 s``, ``12 s``, ``1.5 min``, ``1.0 h``."""
    if ms is None:
        return ""
    if ms < 100:
        return f"{int(ms)} ms"
    seconds = ms / 1000.0
    if seconds < 1:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 10:
        return f"{minutes:.1f} min"
    if minutes < 60:
        return f"{minutes:.0f} min"
    hours = minutes / 60
    return f"{hours:.1f} h"


def date_string(epoch_ms: int | None) -> str:
    """``2026/11/25 14:03:07`` in local time, as Spark's UI shows dates."""
    if not epoch_ms or epoch_ms <= 0:
        return ""
    return time.strftime("%Y/%m/%d %H:%M:%S", time.localtime(epoch_ms / 1000.0))


def rest_date(epoch_ms: int | None) -> str | None:
    """Spark's REST API date form, ``2026-11-25T14:03:07.123GMT`` (None stays None)."""
    if epoch_ms is None:
        return None
    seconds, millis = divmod(int(epoch_ms), 1000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{millis:03d}GMT"
