"""Console progress bar: Spark's ``[Stage 3:=====>     (12 + 2) / 40]`` line on stderr.

What it shows: every stage that has been running for more than ``SHOW_AFTER``
seconds (so quick jobs draw nothing), at most ``MAX_STAGES`` of them side by
side on one line, as Spark's console bar does: completed tasks as ``=``, the
head as ``>``, then ``(completed + running) / total``. The line is redrawn in
place (carriage return) when it changes and erased when the job's action
returns, before the shell prints the result or the error.

It is only drawn on a terminal (see :func:`console_progress`): redirected
stderr gets no control characters.

THREADING: the listener methods run on the listener bus's thread; they only
update counters under ``_lock``. Drawing happens on the bar's own ticker
thread (every ``INTERVAL`` seconds while stages are tracked, asleep
otherwise), so a slow terminal can never stall scheduling. ``job_returned``
is called on the thread whose action waited; it erases the line under
``_write_lock``, which also serialises the ticker's writes.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence, TextIO

from sparklite.scheduler import listener_events as le

SHOW_AFTER = 0.5
INTERVAL = 0.2
MAX_STAGES = 3
DEFAULT_WIDTH = 80


@dataclass(frozen=True)
class StageProgress:
    stage_id: int
    total: int
    completed: int
    running: int
    #: the stage's call site (``count at job.py:3``), shown when one stage has the line to itself
    name: str = ""


#: columns the bar itself keeps when a stage's name is shown
MIN_BAR_WITH_NAME = 10


def render(stages: Sequence[StageProgress], width: int) -> str:
    """The progress line for ``stages`` in ``width`` columns (each stage gets an equal share).

    >>> render([StageProgress(3, 40, 12, 2)], 40)
    '[Stage 3:=====>           (12 + 2) / 40]'
    >>> render([StageProgress(0, 4, 4, 0)], 30)
    '[Stage 0:=========(4 + 0) / 4]'
    >>> render([StageProgress(1, 10, 0, 2), StageProgress(2, 10, 5, 1)], 60)
    '[Stage 1:>       (0 + 2) / 10][Stage 2:====>   (5 + 1) / 10]'
    >>> render([StageProgress(3, 40, 12, 2, "count at job.py:3")], 60)
    '[Stage 3 (count at job.py:3):=====>           (12 + 2) / 40]'
    """
    shown = list(stages)[:MAX_STAGES]
    if not shown:
        return ""
    share = width // len(shown)
    parts = []
    for s in shown:
        head = f"[Stage {s.stage_id}:"
        tail = f"({s.completed} + {s.running}) / {s.total}]"
        named = f"[Stage {s.stage_id} ({s.name}):"
        if len(shown) == 1 and s.name and share - len(named) - len(tail) >= MIN_BAR_WITH_NAME:
            head = named
        room = share - len(head) - len(tail)
        bar = ""
        if room > 0:
            done = room * min(s.completed, s.total) // max(s.total, 1)
            bar = ("=" * done + ">").ljust(room)[:room]
        parts.append(head + bar + tail)
    return "".join(parts)


@dataclass
class _Tracked:
    attempt: int
    total: int
    submitted_at: float
    name: str
    completed: int = 0
    running: int = 0


class ConsoleProgressBar:
    """A listener (``appStatus`` queue) that draws running stages on a terminal stream."""

    def __init__(self, stream: TextIO, clock: Callable[[], float] = time.monotonic,
                 width: Callable[[], int] | None = None, ticker: bool = True):
        self._stream = stream
        self._clock = clock
        self._width = width or (lambda: _terminal_width(stream))
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._stages: dict[int, _Tracked] = {}
        self._last = ""
        self._work = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None
        if ticker:
            self._thread = threading.Thread(target=self._tick, name="sparklite-progress", daemon=True)
            self._thread.start()

    # ------------------------------------------------------------------ listener events

    def on_stage_submitted(self, event: le.StageSubmitted) -> None:
        info = event.stage_info
        with self._lock:
            self._stages[info.stage_id] = _Tracked(info.attempt_id, info.num_tasks, self._clock(), info.name)
            self._work.set()

    def on_stage_completed(self, event: le.StageCompleted) -> None:
        info = event.stage_info
        with self._lock:
            tracked = self._stages.get(info.stage_id)
            if tracked is not None and tracked.attempt == info.attempt_id:
                del self._stages[info.stage_id]

    def on_task_start(self, event: le.TaskStart) -> None:
        with self._lock:
            tracked = self._stages.get(event.stage_id)
            if tracked is not None and tracked.attempt == event.stage_attempt_id:
                tracked.running += 1

    def on_task_end(self, event: le.TaskEnd) -> None:
        with self._lock:
            tracked = self._stages.get(event.stage_id)
            if tracked is not None and tracked.attempt == event.stage_attempt_id:
                tracked.running = max(0, tracked.running - 1)
                if event.reason.succeeded:
                    tracked.completed += 1

    # ------------------------------------------------------------------ any thread

    def snapshot(self) -> list[StageProgress]:
        """The stages to show now: running for more than SHOW_AFTER seconds, by stage id."""
        now = self._clock()
        with self._lock:
            shown = [StageProgress(sid, t.total, t.completed, min(t.running, t.total - t.completed), t.name)
                     for sid, t in sorted(self._stages.items()) if now - t.submitted_at >= SHOW_AFTER]
            if not self._stages:
                self._work.clear()
        return shown

    def refresh(self) -> None:
        """Redraw the line if it changed (the ticker calls this; tests call it directly)."""
        line = render(self.snapshot(), self._width() - 1)  # the last column would wrap the cursor
        with self._write_lock:
            if self._closed.is_set() or line == self._last:
                return
            if line:
                self._write("\r" + line.ljust(len(self._last)))
            else:
                self._erase()
            self._last = line

    def job_returned(self, job_id: int) -> None:
        """The action waiting for ``job_id`` returns or raises: erase the line before the
        caller prints (stages another job still runs are drawn again on the next tick)."""
        with self._write_lock:
            self._erase()
            self._last = ""

    def close(self) -> None:
        self._closed.set()
        self._work.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(2.0)
        with self._write_lock:
            self._erase()
            self._last = ""

    def _erase(self) -> None:
        if self._last:
            self._write("\r" + " " * len(self._last) + "\r")

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # the terminal went away (closed pty, closed stream)
            pass

    def _tick(self) -> None:
        while not self._closed.is_set():
            self._work.wait()
            if self._closed.wait(INTERVAL):
                return
            self.refresh()


def _terminal_width(stream: TextIO) -> int:
    try:
        return os.get_terminal_size(stream.fileno()).columns or DEFAULT_WIDTH
    except (OSError, ValueError, AttributeError):
        try:
            return int(os.environ.get("COLUMNS", DEFAULT_WIDTH))
        except ValueError:
            return DEFAULT_WIDTH


def console_progress(settings: Any, stream: TextIO) -> ConsoleProgressBar | None:
    """A progress bar when ``spark.ui.showConsoleProgress`` is on and ``stream`` is a terminal."""
    if not settings.get("spark.ui.showConsoleProgress"):
        return None
    try:
        if not stream.isatty():
            return None
    except (AttributeError, ValueError):
        return None
    return ConsoleProgressBar(stream)
