"""Local executors forked from one template process (executor/forkserver.py), and without it."""
from __future__ import annotations

import os
import signal

import psutil

from tests.helpers.waiting import wait_until


def _parents(context):
    pids = context._runtime.backend.process_ids()
    return {eid: psutil.Process(pid).ppid() for eid, pid in pids.items()}


def test_executors_are_forked_from_one_template_that_ends_with_the_context(context_factory):
    context = context_factory("local[2]")
    assert context.parallelize(range(100), 4).map(lambda x: x * 2).sum() == 9900
    parents = set(_parents(context).values())
    assert len(parents) == 1
    template = psutil.Process(parents.pop())
    assert template.pid != os.getpid() and template.ppid() == os.getpid()
    assert "sparklite.executor.forkserver" in " ".join(template.cmdline())
    executors = [psutil.Process(p) for p in context._runtime.backend.process_ids().values()]
    context.stop()
    gone, alive = psutil.wait_procs([template, *executors], timeout=15)
    assert not alive


def test_without_the_fork_server_each_executor_is_an_interpreter(context_factory):
    context = context_factory("local[2]", {"sparklite.executor.forkServer": "false"})
    assert context.parallelize(range(10), 2).count() == 10
    assert set(_parents(context).values()) == {os.getpid()}


def test_a_killed_template_loses_no_job(context_factory):
    """Its orphaned executors exit; replacements are spawned as interpreters; the job is right."""
    context = context_factory("local[2]")
    data = context.parallelize(range(1000), 4).map(lambda x: (x % 7, x))
    assert dict(data.reduceByKey(lambda a, b: a + b).collect()) == {k: sum(range(k, 1000, 7)) for k in range(7)}
    template = psutil.Process(next(iter(_parents(context).values())))
    old = set(context._runtime.backend.process_ids().values())
    template.send_signal(signal.SIGKILL)
    template.wait(10)
    wait_until(lambda: not old & set(context._runtime.backend.process_ids().values()), 30,
               message="the orphaned executors to be replaced")
    assert dict(data.reduceByKey(lambda a, b: a + b).collect()) == {k: sum(range(k, 1000, 7)) for k in range(7)}
    assert set(_parents(context).values()) == {os.getpid()}
