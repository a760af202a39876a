"""Shuffle frames pickled without the memo: the same records come back, cycles and shared big
objects fall back to the memo, and what needs cloudpickle still gets it."""
from __future__ import annotations

import io
import math
import pickle

from hypothesis import given, settings
from hypothesis import strategies as st

from sparklite.resultiterable import ResultIterable
from sparklite.shuffle import frames
from sparklite.shuffle.frames import FAST_FLOOR, decode_frames, dumps_batch, write_frames

leaves = st.one_of(st.integers(), st.integers(min_value=1 << 64, max_value=1 << 90), st.floats(allow_nan=True),
                   st.sampled_from([-0.0, 0.0, float("inf")]), st.text(), st.binary(), st.none(), st.booleans())
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                                                      st.dictionaries(st.text(max_size=3), inner, max_size=3),
                                                      st.frozensets(st.integers(), max_size=3)),
                      max_leaves=12)


def same(a, b) -> bool:
    """Equal, with NaN equal to NaN and -0.0 told from 0.0 (pickle keeps both)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(values, values), max_size=30))
def test_memo_less_frames_give_back_the_same_records(records):
    assert same(pickle.loads(dumps_batch(records)), records)
    out = io.BytesIO()
    write_frames(out, records, 7)
    assert same([x for batch in decode_frames(out.getvalue()) for x in batch], records)


def test_cyclic_records_fall_back_to_the_memo():
    node: list = [1]
    node.append(node)
    back = pickle.loads(dumps_batch([("k", node)]))
    assert back[0][1][1] is back[0][1]


def test_records_sharing_a_big_object_do_not_repeat_it():
    shared = "x" * 100_000
    records = [(i, shared) for i in range(1000)]
    payload = dumps_batch(records)
    assert len(payload) < FAST_FLOOR  # written once (the memo), not 1000 times
    back = pickle.loads(payload)
    assert back == records and back[0][1] is back[1][1]


def test_small_shared_objects_are_copied_values_equal():
    shared = [1, 2]
    back = pickle.loads(dumps_batch([("a", shared), ("b", shared)]))
    assert back == [("a", [1, 2]), ("b", [1, 2])]


def test_records_needing_cloudpickle_still_pickle():
    back = pickle.loads(dumps_batch([("f", lambda x: x + 1)]))
    assert back[0][1](1) == 2


def test_result_iterables_and_frames_of_many_batches():
    records = [(i, ResultIterable(list(range(i % 5)))) for i in range(100)]
    out = io.BytesIO()
    written = frames.write_frames(out, records, 16)
    assert written == len(out.getvalue())
    back = [x for batch in decode_frames(out.getvalue()) for x in batch]
    assert [(k, list(v)) for k, v in back] == [(k, list(v)) for k, v in records]
