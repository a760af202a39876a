"""Executor loss never exhausts a job's patience: an iterative, cached job keeps going while an
executor is SIGKILLed every 1.5 s, and gives the plain-Python answer (issue 11: it used to fail
with "Stage 23 has failed the maximum allowable number of times: 4 ... executor 17 lost")."""
from __future__ import annotations

import os
import random
import signal
import threading
import time
from operator import add

import pytest

from tests.helpers.faults import executor_pids

EDGES = [(str(i), str((i * 7 + j) % 200)) for i in range(200) for j in range(3)]
ITERATIONS = 8


def reference_ranks() -> dict[str, float]:
    out: dict[str, list[str]] = {}
    for u, v in EDGES:
        out.setdefault(u, []).append(v)
    ranks = {u: 1.0 for u in out}
    for _ in range(ITERATIONS):
        contrib: dict[str, float] = {}
        for u, vs in out.items():
            for v in vs:
                contrib[v] = contrib.get(v, 0.0) + ranks[u] / len(vs)
        ranks = {v: 0.15 + 0.85 * c for v, c in contrib.items()}
    return ranks


def _slow(iterator):
    time.sleep(0.05)  # some work per task, so that kills land inside stages
    return iterator


def pagerank(sc) -> dict[str, float]:
    links = sc.parallelize(EDGES, 4).groupByKey().cache()
    ranks = links.map(lambda u: (u[0], 1.0))
    for _ in range(ITERATIONS):
        contribs = links.join(ranks).mapPartitions(_slow).flatMap(
            lambda u: [(v, u[1][1] / len(u[1][0])) for v in u[1][0]])
        ranks = contribs.reduceByKey(add, 4).mapValues(lambda r: 0.15 + 0.85 * r)
        ranks.count()  # an action per iteration, as iterative programs do
    return dict(ranks.collect())


@pytest.mark.fault
@pytest.mark.timeout(240)
def test_an_iterative_cached_job_survives_a_kill_every_1_5_s(context_factory):
    sc = context_factory("local[2]")
    expected = reference_ranks()
    stop, kills = threading.Event(), [0]
    rng = random.Random(11)

    def killer() -> None:
        while not stop.wait(1.5):
            pids = list(executor_pids(sc).values())
            if pids:
                try:
                    os.kill(rng.choice(pids), signal.SIGKILL)
                    kills[0] += 1
                except ProcessLookupError:
                    pass

    thread = threading.Thread(target=killer, name="test-killer", daemon=True)
    thread.start()
    try:
        runs = 0
        while runs < 2 or kills[0] < 4:  # until kills have hit several runs
            got = pagerank(sc)
            runs += 1
            assert got.keys() == expected.keys()
            assert all(abs(got[k] - expected[k]) < 1e-9 for k in expected)
            assert runs < 20, "the killer did not get to kill"
    finally:
        stop.set()
        thread.join(10)
