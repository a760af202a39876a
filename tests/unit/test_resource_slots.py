"""Per-executor resource accounting: whole addresses, fractional shares, mixed amounts, release."""
from __future__ import annotations

from sparklite.resource_discovery import AddressPool, task_parts
from sparklite.scheduler.resource_slots import ExecutorResources


def test_whole_addresses_are_exclusive():
    res = ExecutorResources({"gpu": ["0", "1", "2"]})
    assert res.capacity({"gpu": 1}) == 3 and res.capacity({"gpu": 2}) == 1
    a = res.acquire({"gpu": 2})
    b = res.acquire({"gpu": 1})
    assert a == {"gpu": ["0", "1"]} and b == {"gpu": ["2"]}
    assert res.acquire({"gpu": 1}) is None and res.capacity({"gpu": 1}) == 0
    res.release(a, {"gpu": 2})
    assert res.capacity({"gpu": 1}) == 2


def test_fractions_share_and_round_down_as_spark():
    assert task_parts("gpu", 0.25).denominator == 4 and task_parts("gpu", 0.3).denominator == 3
    res = ExecutorResources({"gpu": ["0", "1"]})
    assert res.capacity({"gpu": 0.25}) == 8
    held = [res.acquire({"gpu": 0.25}) for _ in range(4)]
    assert all(h == {"gpu": ["0"]} for h in held)  # packed on one address, the other stays whole
    assert res.capacity({"gpu": 1}) == 1
    half = res.acquire({"gpu": 0.5})
    assert half == {"gpu": ["1"]} and res.capacity({"gpu": 1}) == 0 and res.capacity({"gpu": 0.5}) == 1
    for h in held:
        res.release(h, {"gpu": 0.25})
    res.release(half, {"gpu": 0.5})
    assert res.capacity({"gpu": 1}) == 2


def test_no_resource_asked_means_no_limit_and_pool_hands_out_distinct():
    assert ExecutorResources({}).capacity({}) is None
    assert ExecutorResources({}).capacity({"gpu": 1}) == 0
    pool = AddressPool({"gpu": ["a", "b", "c"]})
    first, second = pool.take({"gpu": 1}), pool.take({"gpu": 2})
    assert first == {"gpu": ["a"]} and second == {"gpu": ["b", "c"]} and pool.take({"gpu": 1}) is None
    pool.give_back(first)
    assert pool.take({"gpu": 1}) == {"gpu": ["a"]}
