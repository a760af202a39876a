"""The listener bus: delivery off the posting thread, in order, bounded, never blocking or
breaking the poster; a job's end is visible to consistent queues when waited for."""
from __future__ import annotations

import threading
import time

from sparklite.scheduler import listener_events as le
from sparklite.scheduler.listener import LiveListenerBus
from tests.helpers.waiting import wait_until


class Recorder:
    def __init__(self) -> None:
        self.events: list = []
        self.threads: set[str] = set()

    def on_job_start(self, event: le.JobStart) -> None:
        self.threads.add(threading.current_thread().name)
        self.events.append(("start", event.job_id))

    def on_job_end(self, event: le.JobEnd) -> None:
        self.events.append(("end", event.job_id))


def _start(job_id: int) -> le.JobStart:
    return le.JobStart(job_id, 0, ())


def _end(job_id: int) -> le.JobEnd:
    return le.JobEnd(job_id, 1, True)


def test_events_are_delivered_in_order_on_the_queue_thread():
    bus = LiveListenerBus()
    recorder = Recorder()
    bus.add(recorder, "appStatus")
    for job_id in range(50):
        bus.post(_start(job_id))
        bus.post(_end(job_id))
    assert bus.wait_until_empty(10)
    assert recorder.events == [(kind, j) for j in range(50) for kind in ("start", "end")]
    assert recorder.threads == {"sparklite-listener-appStatus"}
    bus.stop()


def test_a_full_queue_drops_and_counts_instead_of_blocking_the_poster():
    bus = LiveListenerBus(capacity=5)
    release = threading.Event()

    class Stuck:
        def on_job_start(self, event: le.JobStart) -> None:
            release.wait(30)

    bus.add(Stuck(), "slow")
    fast = Recorder()
    bus.add(fast, "appStatus")
    started = time.monotonic()
    for job_id in range(100):
        bus.post(_start(job_id))
    assert time.monotonic() - started < 5  # posting never waited for the stuck listener
    slow_queue = bus.queues()["slow"]
    assert slow_queue.dropped >= 90  # at most the queue's capacity (+ the one being handled) kept
    assert bus.queues()["appStatus"].dropped + len(fast.events) >= 5
    release.set()
    assert bus.wait_until_empty(10)
    bus.stop()


def test_a_listener_that_raises_does_not_stop_the_others_or_later_events():
    bus = LiveListenerBus()

    class Broken:
        def on_job_start(self, event: le.JobStart) -> None:
            raise RuntimeError("listener bug")

    recorder = Recorder()
    bus.add(Broken(), "appStatus")
    bus.add(recorder, "appStatus")
    bus.post(_start(1))
    bus.post(_start(2))
    assert bus.wait_until_empty(10)
    assert recorder.events == [("start", 1), ("start", 2)]
    bus.stop()


def test_wait_for_job_end_sees_the_end_delivered_and_returns_at_once_for_unstarted_jobs():
    bus = LiveListenerBus()
    slow = threading.Event()

    class Slow(Recorder):
        def on_job_end(self, event: le.JobEnd) -> None:
            slow.wait(10)
            super().on_job_end(event)

    recorder = Slow()
    bus.add(recorder, "appStatus")
    started = time.monotonic()
    assert bus.wait_for_job_end(99, timeout=5)  # never started (failed while planned): no wait
    assert time.monotonic() - started < 1
    bus.post(_start(7))
    threading.Timer(0.2, lambda: bus.post(_end(7))).start()
    threading.Timer(0.4, slow.set).start()
    assert bus.wait_for_job_end(7, timeout=10)
    assert ("end", 7) in recorder.events
    bus.stop()


def test_stop_delivers_what_was_queued():
    bus = LiveListenerBus()
    recorder = Recorder()
    bus.add(recorder, "eventLog")
    for job_id in range(20):
        bus.post(_start(job_id))
    bus.stop(timeout=10)
    assert len(recorder.events) == 20
    bus.post(_start(21))  # after stop: ignored, no error
    wait_until(lambda: True, 1)
    assert len(recorder.events) == 20
