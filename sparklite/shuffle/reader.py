"""Reduce side of a shuffle: read one reduce partition's segment from every map output.

Segments of map outputs on this host are read straight from their files;
others are streamed from the owning executor's BlockService (and so is every
segment when ``sparklite.shuffle.forceRemoteFetch`` is set). Any failure to
read a segment — a file gone, an executor unreachable, a truncated stream —
becomes a :class:`FetchFailed`, which is also recorded on the TaskContext so
that user code catching exceptions cannot hide it: the DAGScheduler must
learn that a map output is missing.
"""
from __future__ import annotations

import pickle
import time
from typing import Any, Iterator

import grpc

from sparklite.errors import FetchFailed
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.shuffle import index_file
from sparklite.shuffle.frames import decode_chunks, decode_frames
from sparklite.shuffle.map_status import MapStatus


#: same-host segments up to this size are read in one call; larger ones stream in chunks
WHOLE_SEGMENT_BYTES = 16 << 20


def read_batches(context: Any, shuffle_id: int, reduce_id: int) -> Iterator[list[Any]]:
    """Every batch of records for ``reduce_id``, map output by map output."""
    statuses = context.map_locations.get(shuffle_id)
    if statuses is None:
        raise RuntimeError(f"task has no map output locations for shuffle {shuffle_id}")
    env = context.env
    metrics = getattr(context, "task_metrics", None)  # counted per segment and batch, not per record
    for map_index, status in enumerate(statuses):
        if status is None:
            _fail(context, FetchFailed(shuffle_id, map_index, -1, reduce_id, "",
                                       "map output is missing"))
        size = status.sizes[reduce_id]
        if size == 0:
            continue
        try:
            local = status.host == env.host and not env.force_remote_fetch
            if metrics is not None:
                if local:
                    metrics.shuffle_local_blocks_fetched += 1
                    metrics.shuffle_local_bytes_read += size
                else:
                    metrics.shuffle_remote_blocks_fetched += 1
                    metrics.shuffle_remote_bytes_read += size
            if local:
                if status.sizes[reduce_id] <= WHOLE_SEGMENT_BYTES:
                    batches = decode_frames(index_file.read_segment(
                        status.shuffle_dir, shuffle_id, map_index, status.map_task_id, reduce_id))
                else:  # a large segment streams from its file, a frame at a time (bounded memory)
                    batches = decode_chunks(index_file.read_segment_chunks(
                        status.shuffle_dir, shuffle_id, map_index, status.map_task_id, reduce_id,
                        reduce_id + 1, env.fetch_chunk_size))
            else:
                batches = decode_chunks(_fetch_remote(env, status, shuffle_id, map_index, reduce_id,
                                                      metrics))
            if metrics is None:
                yield from batches
            else:
                for batch in batches:
                    metrics.shuffle_records_read += len(batch)
                    yield batch
        except (OSError, EOFError, ValueError, grpc.RpcError, pickle.UnpicklingError) as exc:
            _fail(context, FetchFailed(shuffle_id, map_index, status.map_task_id, reduce_id,
                                       status.executor_id, _describe(exc)))


def _fetch_remote(env: Any, status: MapStatus, shuffle_id: int, map_index: int,
                  reduce_id: int, metrics: Any = None) -> Iterator[bytes]:
    stub = env.block_stub(status.block_address)
    request = pb.SegmentRequest(shuffle_id=shuffle_id, map_index=map_index,
                                map_task_id=status.map_task_id, reduce_start=reduce_id,
                                reduce_end=reduce_id + 1)
    chunks = iter(stub.FetchShuffleSegment(request, timeout=env.fetch_timeout))
    waited = 0.0
    try:
        while True:  # the time blocked on the network is the fetch wait time (per chunk)
            started = time.perf_counter()
            chunk = next(chunks, None)
            waited += time.perf_counter() - started
            if chunk is None:
                return
            yield chunk.data
    finally:
        if metrics is not None:
            metrics.shuffle_fetch_wait_time += int(waited * 1000)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, grpc.RpcError) and hasattr(exc, "code"):
        return f"{exc.code().name}: {exc.details()}"  # type: ignore[attr-defined]
    return f"{type(exc).__name__}: {exc}"


def _fail(context: Any, failure: FetchFailed) -> None:
    context.fetch_failure = failure
    raise failure
