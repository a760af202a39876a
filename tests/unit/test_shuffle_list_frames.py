"""groupByKey's map output in bounded frames, and large same-host segments read as a stream."""
from __future__ import annotations

import io
from types import SimpleNamespace

import pytest

from sparklite.rdd.partitioner import hash_partitioner
from sparklite.shuffle import reader
from sparklite.shuffle.aggregator import Aggregator
from sparklite.shuffle.frames import decode_frames, write_list_frames
from sparklite.shuffle.map_status import ShuffleWriteSpec
from sparklite.shuffle.writer import ShuffleWriter
from tests.helpers import reference as ref


def test_list_frames_cut_long_lists_and_bound_values_per_frame():
    records = [("hot", list(range(25))), ("a", [1]), ("b", list(range(7)))]
    buf = io.BytesIO()
    write_list_frames(buf, records, batch_size=100, max_values=10)
    frames = list(decode_frames(buf.getvalue()))
    assert all(sum(len(v) for _, v in frame) <= 10 for frame in frames)
    merged: dict = {}
    for frame in frames:
        Aggregator.for_list().combine_combiners(frame, into=merged)
    assert merged == {"hot": list(range(25)), "a": [1], "b": list(range(7))}


@pytest.mark.parametrize("whole_segment_bytes", [1 << 30, 0])
def test_same_host_segments_read_whole_or_streamed_give_the_same_records(tmp_path, monkeypatch,
                                                                          whole_segment_bytes):
    monkeypatch.setattr(reader, "WHOLE_SEGMENT_BYTES", whole_segment_bytes)
    records = [("hot" if i % 10 else i, i) for i in range(50_000)]
    spec = ShuffleWriteSpec(3, hash_partitioner(2), Aggregator.for_list(), True)
    status = ShuffleWriter(spec, str(tmp_path), 0, 7, "e", "h", "h:1", 512).write(iter(records))
    env = SimpleNamespace(host="h", force_remote_fetch=False, fetch_chunk_size=4096)
    context = SimpleNamespace(map_locations={3: [status]}, env=env, fetch_failure=None)
    got: dict = {}
    for r in range(2):
        for batch in reader.read_batches(context, 3, r):
            Aggregator.for_list().combine_combiners(batch, into=got)
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in ref.group_by_key(records).items()}
