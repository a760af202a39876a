"""Shuffle writer, index files and frames on tmp_path: segments, spills, combining."""
from __future__ import annotations

import os
from operator import add

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sparklite.rdd.partitioner import hash_partitioner
from sparklite.shuffle import index_file
from sparklite.shuffle.aggregator import Aggregator
from sparklite.shuffle.frames import decode_chunks, decode_frames, write_frames
from sparklite.shuffle.map_status import ShuffleWriteSpec
from sparklite.shuffle.writer import ShuffleWriter
from tests.helpers import reference as ref


def read_all(tmp_path, status, shuffle_id, map_index, n):
    out = []
    for r in range(n):
        data = index_file.read_segment(str(tmp_path), shuffle_id, map_index, status.map_task_id, r)
        assert len(data) == status.sizes[r]
        out.append([x for batch in decode_frames(data) for x in batch])
    return out


def write(tmp_path, records, spec, memory_limit=1 << 30, batch_size=7, expect_spills=None):
    writer = ShuffleWriter(spec, str(tmp_path), 0, 99, "e1", "h", "h:1", batch_size, memory_limit)
    status = writer.write(iter(records))
    if expect_spills is not None:
        assert (writer.spills > 0) == expect_spills
    return status


#: a buffer budget of a few KB: thousands of records spill several times
SPILLS = [(1 << 30, False), (4096, True)]


@pytest.mark.parametrize("limit, spills", SPILLS)
def test_routing_without_combine(tmp_path, limit, spills):
    records = [(i % 11, i) for i in range(5000)] + [(None, "n"), ("s", "t")]
    spec = ShuffleWriteSpec(0, hash_partitioner(3))
    status = write(tmp_path, records, spec, limit, expect_spills=spills)
    parts = read_all(tmp_path, status, 0, 0, 3)
    p = hash_partitioner(3)
    for r, part in enumerate(parts):
        assert all(p(k) == r for k, _ in part)
    assert ref.multiset(x for part in parts for x in part) == ref.multiset(records)
    assert not [f for f in os.listdir(tmp_path) if f.endswith(".tmp")]


@pytest.mark.parametrize("limit, spills", SPILLS)
def test_map_side_combine_with_spills_merges_on_read(tmp_path, limit, spills):
    records = [(i % 1013, i) for i in range(20_000)]
    agg = Aggregator.for_reduce(add)
    status = write(tmp_path, records, ShuffleWriteSpec(1, hash_partitioner(4), agg, True), limit,
                   expect_spills=spills)
    merged: dict = {}
    for part in read_all(tmp_path, status, 1, 0, 4):
        agg.combine_combiners(part, into=merged)
    assert merged == ref.reduce_by_key(records, add)


def test_list_aggregator_and_general_aggregator():
    records = [("a", 1), ("b", 2), ("a", 3)]
    assert Aggregator.for_list().combine_values(records) == {"a": [1, 3], "b": [2]}
    general = Aggregator(lambda v: {v}, lambda s, v: s | {v}, lambda a, b: a | b)
    assert general.combine_values(records) == {"a": {1, 3}, "b": {2}}


def test_user_key_error_is_not_swallowed():
    def bad(a, b):
        raise KeyError("from user code")

    with pytest.raises(KeyError, match="from user code"):
        Aggregator.for_reduce(bad).combine_values([("a", 1), ("a", 2)])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(), max_size=20), max_size=10), st.integers(1, 64))
def test_frames_decode_in_any_chunking(tmp_path_factory, batches, chunk):
    import io

    buf = io.BytesIO()
    for b in batches:
        write_frames(buf, b, 5)
    data = buf.getvalue()
    whole = [x for batch in decode_frames(data) for x in batch]
    chunks = [data[i:i + chunk] for i in range(0, len(data), chunk)]
    assert [x for batch in decode_chunks(chunks) for x in batch] == whole == [x for b in batches for x in b]


def test_truncated_segment_is_an_error():
    import io

    buf = io.BytesIO()
    write_frames(buf, [1, 2, 3], 10)
    with pytest.raises(ValueError, match="truncated"):
        list(decode_frames(buf.getvalue()[:-1]))
    with pytest.raises(ValueError, match="truncated"):
        list(decode_chunks([buf.getvalue()[:-1]]))
