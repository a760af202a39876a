"""The scheduler never swallows its own errors: a handler that raises fails the jobs it concerns
(or every active job), and the driver's waits notice a dead scheduler thread or a lost job
(Spark's DAGSchedulerEventProcessLoop.onError; issue 11)."""
from __future__ import annotations

import time

import pytest

from sparklite.errors import SparkliteError, SparkliteJobError
from sparklite.scheduler import runtime as runtime_module


def _injected(*args, **kwargs):
    raise RuntimeError("injected scheduler bug")


@pytest.mark.timeout(120)
def test_a_failing_handler_fails_its_job_and_the_context_stays_usable(context_factory, monkeypatch):
    sc = context_factory("local[2]")
    runtime = sc._runtime
    # a status update whose handling raises: the job it concerns fails
    monkeypatch.setattr(runtime.dag, "task_succeeded", _injected)
    started = time.monotonic()
    with pytest.raises(SparkliteJobError, match=r"failed while handling StatusUpdated: RuntimeError: "
                                                r"injected scheduler bug") as info:
        sc.parallelize(range(10), 2).map(lambda x: x * 2).collect()
    assert time.monotonic() - started < 60
    assert "Traceback" in info.value.remote_traceback and "_injected" in info.value.remote_traceback
    assert any("StatusUpdated" in e for e in runtime.scheduler_errors)
    monkeypatch.undo()
    assert sc.parallelize(range(10), 2).map(lambda x: x * 2).collect() == [x * 2 for x in range(10)]

    # an event no job can be told from (a cached block's report): every active job fails
    monkeypatch.setattr(runtime.block_master, "update", _injected)
    with pytest.raises(SparkliteJobError, match="failed while handling BlockUpdated"):
        sc.parallelize(range(10), 2).cache().count()
    monkeypatch.undo()

    # a job the scheduler lost without any error: the wait's liveness probe fails it
    monkeypatch.setattr(runtime_module, "LIVENESS_CHECK_EVERY", 0.2)
    monkeypatch.setattr(runtime.dag, "job_submitted", lambda event: None)
    with pytest.raises(SparkliteJobError, match="was lost by the scheduler"):
        sc.parallelize(range(4), 2).count()
    monkeypatch.undo()
    assert sc.parallelize(range(4), 2).count() == 4


@pytest.mark.timeout(120)
def test_a_dead_scheduler_thread_fails_waiting_and_later_actions(context_factory, monkeypatch):
    sc = context_factory("local[1]")
    runtime = sc._runtime
    monkeypatch.setattr(runtime.loop, "_due_timers", _injected)  # a bug in the loop itself
    runtime.loop.post_delayed(0.0, None)
    started = time.monotonic()
    with pytest.raises(SparkliteJobError, match="scheduler thread has stopped .*injected scheduler bug"):
        sc.parallelize(range(4), 2).count()
    with pytest.raises(SparkliteError, match="scheduler cannot answer"):
        runtime.call(lambda: 1)
    assert time.monotonic() - started < 30
    sc.stop()  # still stops cleanly (the leak check asserts its executors are gone)
