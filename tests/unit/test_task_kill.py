"""TaskKills: a killed task thread stops (a sleep included), reports once, and no kill leaks into
the next task its thread runs."""
from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from sparklite.executor.task_kill import TaskKills
from tests.helpers.waiting import wait_until


def _spin(stop_after: int) -> int:
    total = 0
    for i in range(stop_after):
        total += i
    return total


def test_a_killed_python_loop_stops_and_reports_killed():
    kills = TaskKills()
    progress: list[int] = []
    started = threading.Event()

    def body() -> str:
        started.set()
        while True:
            progress.append(1)

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(kills.run, 7, body, lambda: "killed")
        started.wait(10)
        assert kills.running_ids() == [7]
        assert kills.kill(7)
        assert future.result(timeout=10) == "killed"
        stopped_at = len(progress)
        # the same pool thread runs the next task: it must finish normally, untouched by the kill
        assert pool.submit(kills.run, 8, lambda: _spin(200_000), lambda: "killed").result(10) == \
            sum(range(200_000))
    assert len(progress) == stopped_at
    assert kills.running_ids() == []
    assert not kills.kill(7)  # finished tasks cannot be killed


def test_sleep_in_a_task_thread_returns_when_the_task_is_killed():
    kills = TaskKills()
    started = threading.Event()
    after_sleep: list[str] = []

    def body() -> str:
        started.set()
        kills.sleep(120)
        after_sleep.append("ran on")  # never: TaskKilled is raised as the sleep returns
        return "finished"

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(kills.run, 1, body, lambda: "killed")
        started.wait(10)
        t0 = time.monotonic()
        kills.kill(1)
        assert future.result(timeout=10) == "killed"
        assert time.monotonic() - t0 < 5
    assert after_sleep == []


def test_sleep_outside_tasks_is_the_real_sleep():
    kills = TaskKills()
    t0 = time.monotonic()
    kills.sleep(0.05)
    assert time.monotonic() - t0 >= 0.05


def test_a_kill_landing_after_the_body_returned_is_withdrawn_not_leaked():
    """The narrow window: the body has returned, the thread waits for the lock to unregister,
    and the kill is injected right then. The task must still report once, and the kill must not
    surface later in the next task the thread runs."""
    kills = TaskKills()
    proceed = threading.Event()
    idents: list[int] = []

    def body() -> int:
        idents.append(threading.get_ident())
        proceed.wait(10)
        return 42

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(kills.run, 3, body, lambda: "killed")
        wait_until(lambda: idents and 3 in kills.running_ids(), timeout=10)
        with kills._lock:
            proceed.set()
            # wait until the task thread is blocked on the lock in run(), after the body
            wait_until(lambda: sys._current_frames()[idents[0]].f_code.co_name == "run", timeout=10)
            kills._inject(kills._tasks[3])
        assert future.result(timeout=10) in (42, "killed")
        assert pool.submit(kills.run, 4, lambda: _spin(100_000), lambda: "killed").result(10) == \
            sum(range(100_000))
    assert kills.running_ids() == []


def test_kills_racing_with_task_ends_never_leak_or_lose_a_status():
    """Kill each task at a varying moment around its end, with fine thread switching: every run
    returns exactly one outcome, and the thread's next task is never hit by a stale kill."""
    kills = TaskKills()
    outcomes: list[object] = []
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        with ThreadPoolExecutor(1) as pool:
            for task_id in range(300):
                started = threading.Event()

                def body(n: int = task_id * 50) -> int:
                    started.set()
                    return _spin(n)

                future = pool.submit(kills.run, task_id, body, lambda: "killed")
                assert started.wait(10)
                kills.kill(task_id)
                outcome = future.result(timeout=10)
                assert outcome in ("killed", sum(range(task_id * 50)))
                outcomes.append(outcome)
                check = pool.submit(kills.run, -1, lambda: _spin(5000), lambda: "killed")
                assert check.result(timeout=10) == sum(range(5000))
    finally:
        sys.setswitchinterval(interval)
    assert "killed" in outcomes
    assert kills.running_ids() == []

