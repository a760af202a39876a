"""The progress bar's inputs on a real context: every launched task is announced, and nothing is
drawn when stderr is not a terminal (the shell tests see the bar on a real pseudo-terminal)."""
from __future__ import annotations

import io
import sys
import threading
from collections import Counter


class TaskCounter:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.started: Counter = Counter()
        self.ended: Counter = Counter()

    def on_task_start(self, event) -> None:
        with self.lock:
            self.started[event.stage_id] += 1

    def on_task_end(self, event) -> None:
        with self.lock:
            self.ended[event.stage_id] += 1


def test_every_launched_task_is_announced_to_listeners(context_factory):
    sc = context_factory("local[2]")
    counter = TaskCounter()
    sc._runtime.listeners.add(counter)
    pairs = sc.parallelize(range(100), 5).map(lambda x: (x % 7, x)).reduceByKey(lambda a, b: a + b, 3)
    assert sorted(pairs.collect()) == sorted({k: sum(x for x in range(100) if x % 7 == k)
                                              for k in range(7)}.items())
    assert sorted(counter.started.values()) == [3, 5]
    assert counter.started == counter.ended


def test_a_context_draws_nothing_when_stderr_is_not_a_terminal(context_factory, monkeypatch):
    captured = io.StringIO()
    monkeypatch.setattr(sys, "stderr", captured)
    sc = context_factory("local[2]", {"spark.ui.showConsoleProgress": "true"})
    assert sc._runtime.progress is None
    assert sc.parallelize(range(20), 4).map(lambda x: x * 2).sum() == 380
    assert "[Stage" not in captured.getvalue()
