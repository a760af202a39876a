"""arrow_codec: exact round trips of values and types, typed columns when records are uniform.

The property tests are derandomized (the same examples every run, as the suite must be
deterministic); raise ``max_examples`` locally to search further.
"""
from __future__ import annotations

import math
import struct
from collections import namedtuple

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparklite.resultiterable import ResultIterable
from sparklite.storage.arrow_codec import (PICKLE, ChunkEncoder, Seq, decode_partition, encode_chunk,
                                           encode_partition, infer_shape, iter_batch, shape_of, unify)


def exact(value):
    """A comparison key that tells apart what == does not: bool/int, -0.0/0.0, NaN payloads, types."""
    t = type(value)
    if t is float:
        return (t, struct.pack("<d", value))
    if t in (tuple, list):
        return (t, tuple(exact(v) for v in value))
    if t is ResultIterable:
        return (t, tuple(exact(v) for v in value.data))
    return (t, value)


def assert_round_trip(records, chunk_records=65_536):
    table = encode_partition(records, chunk_records)
    out = decode_partition(table)
    assert [exact(r) for r in out] == [exact(r) for r in records]
    return table


# ------------------------------------------------------------------ strategies

scalars = {
    "int": st.integers(min_value=-2**63, max_value=2**63 - 1),
    "bigint": st.integers(),
    "float": st.floats(allow_nan=True, allow_infinity=True),
    "bool": st.booleans(),
    "str": st.text(),
    "bytes": st.binary(),
    "none": st.none(),
}
any_scalar = st.one_of(*scalars.values())


def uniform_lists():
    """Lists whose records share one type (maybe with None), or one tuple shape."""
    leaf = st.sampled_from(sorted(scalars)).flatmap(
        lambda k: st.lists(st.one_of(scalars[k], st.none()) if k != "none" else scalars[k], max_size=40))
    pair = st.tuples(st.sampled_from(sorted(scalars)), st.sampled_from(sorted(scalars))).flatmap(
        lambda ks: st.lists(st.tuples(scalars[ks[0]], scalars[ks[1]]), max_size=40))
    nested = st.lists(st.tuples(scalars["str"], st.tuples(scalars["int"], scalars["float"])), max_size=20)
    lists = st.sampled_from(sorted(scalars)).flatmap(
        lambda k: st.lists(st.lists(scalars[k], max_size=5), max_size=20))
    grouped = st.sampled_from(sorted(scalars)).flatmap(
        lambda k: st.lists(st.tuples(scalars["str"], st.lists(scalars[k], max_size=5).map(ResultIterable)),
                           max_size=20))
    return st.one_of(leaf, pair, nested, lists, grouped)


mixed_records = st.lists(st.one_of(any_scalar, st.tuples(any_scalar, any_scalar),
                                   st.lists(any_scalar, max_size=3),
                                   st.lists(any_scalar, max_size=3).map(ResultIterable)), max_size=40)


@settings(max_examples=1000, deadline=None, derandomize=True, database=None)
@given(uniform_lists(), st.integers(min_value=1, max_value=50))
def test_uniform_records_round_trip_exactly_in_any_chunking(records, chunk):
    assert_round_trip(records, chunk)


@settings(max_examples=1000, deadline=None, derandomize=True, database=None)
@given(mixed_records, st.integers(min_value=1, max_value=50))
def test_mixed_records_round_trip_exactly_in_any_chunking(records, chunk):
    assert_round_trip(records, chunk)


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(uniform_lists())
def test_round_trip_survives_ipc(records):
    table = encode_partition(records)
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, table.schema) as writer:
        writer.write_table(table)
    read = pa.ipc.open_stream(sink.getvalue()).read_all()
    assert [exact(r) for r in decode_partition(read)] == [exact(r) for r in records]


# ------------------------------------------------------------------ typed columns


@pytest.mark.parametrize("records, shape", [
    ([1, 2, 3], "int"),
    ([1.5, float("nan")], "float"),
    ([True, False], "bool"),
    (["a", "bé"], "str"),
    ([b"x", b""], "bytes"),
    ([None, None], "null"),
    ([1, None, 3], "int"),
    ([("a", 1), ("b", 2)], ("str", "int")),
    ([("a", (1, 2.0)), ("b", (3, 4.0))], ("str", ("int", "float"))),
    ([[1, 2], [], None], Seq("list", "int")),
    ([("a", ResultIterable(["x", "y"])), ("b", ResultIterable([]))], ("str", Seq("iterable", "str"))),
])
def test_uniform_records_get_typed_columns(records, shape):
    table = assert_round_trip(records)
    assert shape_of(table.schema) == shape
    assert table.num_rows == len(records)


@pytest.mark.parametrize("records", [
    [1, True],                      # bool is an int subclass: never mixed into an int column
    [1, 2.0],                       # int and float stay apart
    [2**63],                        # beyond int64
    [-2**63 - 1],
    ["\ud800"],                     # not valid UTF-8
    [(1, 2), (1, 2, 3)],            # tuples of different lengths
    [(1, 2), [1, 2]],               # tuple and list
    [namedtuple("P", "x y")(1, 2)],  # tuple subclass keeps its type
    [ResultIterable([1, True])],    # items of mixed types
    [[[1]]],                        # lists of lists
    [()],
    [(1, None), None],
])
def test_non_uniform_records_are_pickled_and_keep_their_types(records):
    table = assert_round_trip(records)
    assert shape_of(table.schema) == PICKLE


def test_bool_column_decodes_to_bools_not_ints():
    out = decode_partition(encode_partition([True, False, None]))
    assert [type(x) for x in out] == [bool, bool, type(None)]


def test_ints_cost_eight_bytes_each():
    table = encode_partition(list(range(100_000)))
    assert table.get_total_buffer_size() == 800_000


def test_floats_cost_eight_bytes_each():
    table = encode_partition([i / 3 for i in range(100_000)])
    assert table.get_total_buffer_size() == 800_000


def test_strings_cost_their_utf8_bytes_plus_an_offset():
    words = [f"w{i}" for i in range(10_000)]
    table = encode_partition(words)
    assert table.get_total_buffer_size() == sum(len(w) for w in words) + 4 * (len(words) + 1)


def test_pairs_are_a_key_column_and_a_value_column():
    table = encode_partition([("k", 1), ("l", 2)])
    assert table.schema.names == ["0", "1"]
    assert table.column("1").to_pylist() == [1, 2]


# ------------------------------------------------------------------ shapes across chunks


def test_shape_widens_when_a_later_chunk_brings_values_to_an_all_none_column():
    records = [(1, None)] * 3 + [(2, "x")] * 3
    table = assert_round_trip(records, chunk_records=3)
    assert shape_of(table.schema) == ("int", "str")


def test_shape_falls_back_to_pickle_when_a_later_chunk_changes_type():
    records = [1, 2, 3, "a", "b"]
    table = assert_round_trip(records, chunk_records=2)
    assert shape_of(table.schema) == PICKLE


def test_encoder_reports_a_change_and_reencodes_earlier_batches():
    enc = ChunkEncoder()
    first, changed = enc.encode([None, None])
    assert not changed and shape_of(first.schema) == "null"
    second, changed = enc.encode([5])
    assert changed and enc.shape == "int"
    again = enc.reencode(first)
    assert list(iter_batch(again)) == [None, None] and shape_of(again.schema) == "int"


def test_unify_rules():
    assert unify("null", "int") == "int"
    assert unify(("int", "null"), ("int", "str")) == ("int", "str")
    assert unify("int", "str") == PICKLE
    assert unify(("int",), ("int", "int")) == PICKLE


def test_infer_shape_of_empty_and_of_nan():
    assert infer_shape([]) == "null"
    assert infer_shape([math.nan]) == "float"


def test_encode_chunk_with_a_shape_that_does_not_fit_raises():
    from sparklite.storage.arrow_codec import ShapeMismatch

    with pytest.raises(ShapeMismatch):
        encode_chunk(["a"], "int")
    with pytest.raises(ShapeMismatch):
        encode_chunk([2**64], "int")


def test_grouped_values_are_an_arrow_list_column_and_come_back_as_result_iterables():
    records = [(f"n{i}", ResultIterable([f"n{j}" for j in range(i % 7)])) for i in range(1000)]
    table = assert_round_trip(records)
    assert table.schema.field("1").type == pa.list_(pa.string())
    out = decode_partition(table)
    assert all(type(v) is ResultIterable and type(v.data) is list for _, v in out)
