"""A dump of this process's Python threads and their stacks (the UI's Thread Dump page).

>>> "MainThread" in thread_dump()
True
"""
from __future__ import annotations

import os
import sys
import threading
import traceback


def thread_dump() -> str:
    """Every thread of this process, main first, with its stack innermost last."""
    frames = sys._current_frames()
    threads = {t.ident: t for t in threading.enumerate()}
    parts = [f"Process {os.getpid()}: {len(frames)} threads\n"]
    order = sorted(frames, key=lambda ident: (threads.get(ident) is not threading.main_thread(),
                                              getattr(threads.get(ident), "name", "")))
    for ident in order:
        thread = threads.get(ident)
        name = thread.name if thread is not None else f"thread {ident}"
        daemon = " daemon" if thread is not None and thread.daemon else ""
        parts.append(f'"{name}" id={ident}{daemon}\n')
        parts.extend("    " + line for entry in traceback.format_stack(frames[ident])
                     for line in entry.splitlines(keepends=True))
        parts.append("\n")
    return "".join(parts)
