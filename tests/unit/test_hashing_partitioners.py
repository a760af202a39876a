"""portable_hash is the same in every process; partitioners route as documented."""
from __future__ import annotations

import json
import subprocess
import sys

from hypothesis import given, settings
from hypothesis import strategies as st

from sparklite.hashing import portable_hash
from sparklite.rdd.partitioner import Partitioner, RangePartitioner, hash_partitioner

KEYS = [None, 0, -1, 2**70, 1.5, True, "word", "ünïcode", b"bytes", ("a", 1, None), (("x",), 2.0), ""]


def test_hash_agrees_across_processes_with_different_seeds():
    code = ("import json,sys; from sparklite.hashing import portable_hash; "
            "keys = json.loads(sys.argv[1]); keys = [tuple(k) if isinstance(k, list) else k for k in keys]; "
            "print(json.dumps([portable_hash(k) for k in keys]))")
    keys = [None, 0, -1, 12345, "word", "ünïcode", ["a", 1, None], ""]
    results = []
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code, json.dumps(keys)], capture_output=True, text=True,
                             check=True, env={"PYTHONHASHSEED": seed, "PATH": ""}, timeout=60)
        results.append(json.loads(out.stdout))
    local = [portable_hash(tuple(k) if isinstance(k, list) else k) for k in keys]
    assert results[0] == results[1] == local


def test_hash_of_basic_values():
    assert portable_hash(None) == 0
    assert portable_hash(42) == 42
    assert portable_hash(("a", 1)) == portable_hash(("a", 1))
    assert portable_hash("a") != portable_hash("b")
    for key in KEYS:
        assert isinstance(portable_hash(key), int)


@given(st.lists(st.one_of(st.integers(), st.text(), st.none(), st.tuples(st.text(), st.integers())), max_size=50),
       st.integers(min_value=1, max_value=16))
def test_hash_partitioner_is_a_function_into_range(keys, n):
    p = hash_partitioner(n)
    for key in keys:
        assert 0 <= p(key) < n
        assert p(key) == p(key)


def test_partitioner_equality():
    assert Partitioner(3) == Partitioner(3)
    assert Partitioner(3) != Partitioner(4)
    assert Partitioner(3, lambda k: 1) != Partitioner(3)


@given(st.lists(st.integers(-1000, 1000), min_size=1, max_size=200), st.integers(1, 6))
def test_range_partitioner_orders_partitions(keys, nbounds):
    bounds = sorted(set(keys))[:: max(1, len(set(keys)) // nbounds)][:nbounds]
    for ascending in (True, False):
        p = RangePartitioner(bounds, ascending)
        ordered = sorted(keys, key=lambda k: p(k))
        parts = [p(k) for k in ordered]
        assert all(0 <= x < p.numPartitions for x in parts)
        flat = [k for k in ordered]
        grouped = [sorted(k for k in keys if p(k) == i) for i in range(p.numPartitions)]
        concat = [k for g in grouped for k in (g if ascending else sorted(g, reverse=True))]
        assert concat == sorted(flat, reverse=not ascending)


SEED_ZERO_KEYS = ["", "a", "abcdefgh", "abcdefghi", "word", "ünïcode", "日本語", "emoji 😀", "\ud800lone", "x" * 300,
                  b"", b"bytes", b"\x00\xff" * 9, ("a", 1, None), ("ü", b"b", (2.5, "c"))]


@settings(max_examples=8, deadline=None)  # one subprocess per example
@given(st.lists(st.one_of(st.text(), st.binary(), st.tuples(st.text(), st.integers())), max_size=60))
def test_emulated_seed_zero_hash_matches_cpython(keys):
    # the driver (random seed) must route str/bytes exactly as PYTHONHASHSEED=0 executors (and PySpark) do
    code = ("import pickle,sys; from sparklite.hashing import portable_hash, NATIVE_SEED_ZERO; "
            "keys = pickle.loads(bytes.fromhex(sys.argv[1])); assert NATIVE_SEED_ZERO; "
            "print(repr([portable_hash(k) for k in keys] + [hash(k) for k in keys if not isinstance(k, tuple)]))")
    import pickle
    keys = SEED_ZERO_KEYS + keys
    out = subprocess.run([sys.executable, "-c", code, pickle.dumps(keys).hex()], capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "0", "PATH": ""}, timeout=60)
    native = eval(out.stdout)
    mine = [portable_hash(k) for k in keys]
    assert native[:len(keys)] == mine
    assert native[len(keys):] == [m for m, k in zip(mine, keys) if not isinstance(k, tuple)]
