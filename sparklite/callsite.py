"""Call sites: the user's line that made an RDD or ran an action, named as Spark names it.

``count at wordcount.py:12``: the sparklite API method the user called (the
outermost sparklite frame) and the user's own frame that called it, so every
RDD made inside one ``reduceByKey`` call, and the job of one ``count()``, carry
the user's line rather than the engine's. The long form is the user's stack,
innermost first, as Spark's ``CallSite.longForm``.

Captured on the driver only, when an RDD is created and when an action starts
(a frame walk: microseconds).
"""
from __future__ import annotations

import os
import sys

from sparklite.scheduler.listener_events import CallSite

#: frames under these directories are the engine's (sparklite itself, and cloudpickle)
_INTERNAL_DIRS = (os.path.dirname(os.path.abspath(__file__)) + os.sep,)
LONG_FORM_FRAMES = 20


def capture(depth: int = 1) -> CallSite:
    """The call site of whoever called into sparklite above the caller's frame."""
    frame = sys._getframe(depth)
    api = None
    while frame is not None and frame.f_code.co_filename.startswith(_INTERNAL_DIRS):
        api = frame.f_code.co_name
        frame = frame.f_back
    if frame is None:
        return CallSite(f"{api or '<unknown>'} at <unknown>:0", "")
    code = frame.f_code
    short = f"{api or code.co_name} at {os.path.basename(code.co_filename)}:{frame.f_lineno}"
    lines = []
    while frame is not None and len(lines) < LONG_FORM_FRAMES:
        code = frame.f_code
        lines.append(f"{code.co_name} at {code.co_filename}:{frame.f_lineno}")
        frame = frame.f_back
    return CallSite(short, "\n".join(lines))


UNKNOWN = CallSite("<unknown> at <unknown>:0", "")
