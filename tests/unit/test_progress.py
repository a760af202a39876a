"""The console progress bar: the line renderer, the listener's bookkeeping, drawing and erasing,
and no bar unless stderr is a terminal."""
from __future__ import annotations

import io
import re

import pytest

from sparklite.config import Settings
from sparklite.scheduler import listener_events as le
from sparklite.ui.progress import SHOW_AFTER, ConsoleProgressBar, StageProgress, console_progress, render
from tests.helpers.waiting import wait_until


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def _expected_part(s: StageProgress, share: int) -> str:
    head, tail = f"[Stage {s.stage_id}:", f"({s.completed} + {s.running}) / {s.total}]"
    room = share - len(head) - len(tail)
    done = room * s.completed // s.total
    cells = ["=" if i < done else ">" if i == done else " " for i in range(max(room, 0))]
    return head + "".join(cells) + tail


@pytest.mark.parametrize("stages,width", [
    ([StageProgress(3, 40, 12, 2)], 79),
    ([StageProgress(0, 1, 0, 1)], 40),
    ([StageProgress(7, 200, 200, 0)], 79),
    ([StageProgress(1, 10, 3, 2), StageProgress(2, 5, 0, 0)], 79),
    ([StageProgress(i, 8, i, 1) for i in range(5)], 120),
])
def test_render_matches_sparks_layout(stages, width):
    share = width // min(len(stages), 3)
    assert render(stages, width) == "".join(_expected_part(s, share) for s in stages[:3])
    assert len(render(stages, width)) == share * min(len(stages), 3)


def test_render_on_a_narrow_terminal_keeps_the_counts():
    assert render([StageProgress(12, 400, 17, 3)], 20) == "[Stage 12:(17 + 3) / 400]"
    assert render([], 80) == ""


def _info(stage_id: int, tasks: int, attempt: int = 0, failure: str | None = None) -> le.StageInfo:
    return le.StageInfo(stage_id, attempt, f"count at job.py:{stage_id}", tasks, (), (), "", False,
                        failure_reason=failure)


def _submitted(stage_id: int, tasks: int, attempt: int = 0) -> le.StageSubmitted:
    return le.StageSubmitted(_info(stage_id, tasks, attempt))


def _completed(stage_id: int, attempt: int = 0, failure: str | None = None) -> le.StageCompleted:
    return le.StageCompleted(_info(stage_id, 0, attempt, failure))


def _task(stage_id: int, attempt: int = 0) -> le.TaskInfo:
    return le.TaskInfo(0, 0, 0, 0, 1, "0", "h", le.PROCESS_LOCAL)


def _start(stage_id: int, attempt: int = 0) -> le.TaskStart:
    return le.TaskStart(stage_id, attempt, _task(stage_id))


def _end(stage_id: int, attempt: int = 0, ok: bool = True) -> le.TaskEnd:
    reason = le.SUCCESS if ok else le.TaskEndReason("ExceptionFailure", "boom")
    return le.TaskEnd(stage_id, attempt, "ResultTask", reason, _task(stage_id))


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _bar() -> tuple[ConsoleProgressBar, FakeTerminal, Clock]:
    term, clock = FakeTerminal(), Clock()
    return ConsoleProgressBar(term, clock=clock, width=lambda: 61, ticker=False), term, clock


def test_stages_appear_after_half_a_second_update_in_place_and_are_erased_when_the_action_returns():
    bar, term, clock = _bar()
    bar.on_stage_submitted(_submitted(0, 4))
    bar.on_task_start(_start(0))
    bar.on_task_start(_start(0))
    clock.now += SHOW_AFTER / 2
    bar.refresh()
    assert term.getvalue() == ""  # quick jobs draw nothing
    clock.now += SHOW_AFTER
    bar.refresh()
    first = render([StageProgress(0, 4, 0, 2, "count at job.py:0")], 60)
    assert "(count at job.py:0)" in first  # one stage shows its call site
    assert term.getvalue() == "\r" + first
    bar.refresh()
    assert term.getvalue() == "\r" + first  # unchanged: not redrawn
    bar.on_task_end(_end(0))
    bar.on_task_end(_end(0, ok=False))  # a failed attempt is not completed
    bar.refresh()
    second = render([StageProgress(0, 4, 1, 0, "count at job.py:0")], 60)
    assert term.getvalue() == "\r" + first + "\r" + second
    bar.on_stage_completed(_completed(0))
    bar.job_returned(0)
    assert term.getvalue().endswith("\r" + " " * len(second) + "\r")
    end = len(term.getvalue())
    bar.refresh()
    assert len(term.getvalue()) == end  # nothing drawn after the action returned


def test_a_failed_stage_is_dropped_and_another_stays():
    bar, term, clock = _bar()
    bar.on_stage_submitted(_submitted(0, 2))
    bar.on_stage_submitted(_submitted(1, 2))
    clock.now += 1
    assert [s.stage_id for s in bar.snapshot()] == [0, 1]
    bar.on_stage_completed(_completed(1, failure="Job 1 cancelled"))  # its job failed
    assert [s.stage_id for s in bar.snapshot()] == [0]
    bar.on_stage_completed(_completed(0))
    assert bar.snapshot() == []


def test_a_resubmitted_stage_counts_only_its_new_attempt():
    bar, term, clock = _bar()
    bar.on_stage_submitted(_submitted(4, 3))
    bar.on_task_start(_start(4))
    bar.on_stage_submitted(_submitted(4, 1, attempt=1))
    bar.on_task_end(_end(4, attempt=0))  # late report of the old attempt
    bar.on_stage_completed(_completed(4, attempt=0, failure="fetch failed"))  # ... and its end
    bar.on_task_start(_start(4, attempt=1))
    clock.now += 1
    assert bar.snapshot() == [StageProgress(4, 1, 0, 1, "count at job.py:4")]


def test_the_ticker_draws_from_its_own_thread():
    term = FakeTerminal()
    bar = ConsoleProgressBar(term, width=lambda: 80)
    try:
        bar.on_stage_submitted(_submitted(9, 10))
        bar.on_task_start(_start(9))
        wait_until(lambda: "[Stage 9 (count at job.py:9):>" in term.getvalue(), timeout=10,
                   message="the bar drawn")
        assert re.search(r"\(0 \+ 1\) / 10\]$", term.getvalue())
    finally:
        bar.close()
    assert term.getvalue().endswith("\r")  # erased on close


def test_no_bar_unless_enabled_and_on_a_terminal():
    on = Settings({"spark.ui.showConsoleProgress": "true"})
    assert console_progress(on, io.StringIO()) is None
    assert console_progress(Settings({}), FakeTerminal()) is None
    bar = console_progress(on, FakeTerminal())
    assert isinstance(bar, ConsoleProgressBar)
    bar.close()
