"""The console progress bar: the line renderer, the listener's bookkeeping, drawing and erasing,
and no bar unless stderr is a terminal."""
from __future__ import annotations

import io
import re
from types import SimpleNamespace

import pytest

from sparklite.config import Settings
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


def _stage(stage_id: int, jobs: set[int], attempt: int = 0) -> SimpleNamespace:
    return SimpleNamespace(id=stage_id, latest_attempt=attempt, job_ids=jobs)


def _launch(stage_id: int, attempt: int = 0) -> SimpleNamespace:
    return SimpleNamespace(stage_id=stage_id, stage_attempt=attempt)


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
    job, stage = SimpleNamespace(job_id=0), _stage(0, {0})
    bar.job_started(job, stage)
    bar.stage_submitted(stage, [0, 1, 2, 3])
    bar.task_started(stage, _launch(0))
    bar.task_started(stage, _launch(0))
    clock.now += SHOW_AFTER / 2
    bar.refresh()
    assert term.getvalue() == ""  # quick jobs draw nothing
    clock.now += SHOW_AFTER
    bar.refresh()
    first = render([StageProgress(0, 4, 0, 2)], 60)
    assert term.getvalue() == "\r" + first
    bar.refresh()
    assert term.getvalue() == "\r" + first  # unchanged: not redrawn
    bar.task_ended(stage, _launch(0), True)
    bar.task_ended(stage, _launch(0), False)  # a failed attempt is not completed
    bar.refresh()
    second = render([StageProgress(0, 4, 1, 0)], 60)
    assert term.getvalue() == "\r" + first + "\r" + second
    bar.job_returned(0)
    assert term.getvalue().endswith("\r" + " " * len(second) + "\r")
    end = len(term.getvalue())
    bar.stage_completed(stage, None)
    bar.job_ended(job, None)
    bar.refresh()
    assert len(term.getvalue()) == end  # nothing drawn after the action returned


def test_a_failed_job_drops_its_stages_and_a_shared_stage_stays_for_the_other_job():
    bar, term, clock = _bar()
    shared, result1 = _stage(0, {1}), _stage(1, {1})
    bar.job_started(SimpleNamespace(job_id=1), result1)
    bar.stage_submitted(shared, [0, 1])
    shared.job_ids.add(2)  # job 2 needs the same running map stage
    bar.job_started(SimpleNamespace(job_id=2), _stage(2, {2}))
    clock.now += 1
    assert [s.stage_id for s in bar.snapshot()] == [0]
    shared.job_ids.discard(1)
    bar.job_ended(SimpleNamespace(job_id=1), RuntimeError("failed"))
    assert [s.stage_id for s in bar.snapshot()] == [0]
    shared.job_ids.discard(2)
    bar.job_ended(SimpleNamespace(job_id=2), RuntimeError("failed"))
    assert bar.snapshot() == []


def test_a_resubmitted_stage_counts_only_its_new_attempt():
    bar, term, clock = _bar()
    stage = _stage(4, {0})
    bar.job_started(SimpleNamespace(job_id=0), stage)
    bar.stage_submitted(stage, [0, 1, 2])
    bar.task_started(stage, _launch(4))
    stage.latest_attempt = 1
    bar.stage_submitted(stage, [2])
    bar.task_ended(stage, _launch(4, attempt=0), True)  # late report of the old attempt
    bar.task_started(stage, _launch(4, attempt=1))
    clock.now += 1
    assert bar.snapshot() == [StageProgress(4, 1, 0, 1)]


def test_the_ticker_draws_from_its_own_thread():
    term = FakeTerminal()
    bar = ConsoleProgressBar(term, width=lambda: 80)
    try:
        stage = _stage(9, {5})
        bar.job_started(SimpleNamespace(job_id=5), stage)
        bar.stage_submitted(stage, list(range(10)))
        bar.task_started(stage, _launch(9))
        wait_until(lambda: "[Stage 9:>" in term.getvalue(), timeout=10, message="the bar drawn")
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
