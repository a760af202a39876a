"""BlockServicer: an executor serves its shuffle segments and cached blocks to other executors.

Thin: each RPC delegates to plain functions over files (``shuffle.index_file``),
to the block manager or to the task result store, and streams the bytes in chunks. ``PutBlock``
receives a replica of a cached block (``_2`` storage levels); like every RPC
it passes the shared-secret interceptor before its first message is read.
"""
from __future__ import annotations

import os
import time
from typing import Any, Callable, Iterator

import grpc

from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.shuffle import index_file


class BlockServicer:
    def __init__(self, shuffle_dir: str, chunk_size: Any, block_bytes: Any = None,
                 executor_id: str = "", settings: Any = None,
                 put_block: Callable[[str, str, bytes], bool] | None = None,
                 task_result: Callable[[int, int], Iterator[bytes] | None] | None = None):
        self._shuffle_dir = shuffle_dir
        self._chunk_size = chunk_size  # callable: the configured chunk size, known after registration
        self._block_bytes = block_bytes
        self._executor_id = executor_id
        self._settings = settings  # callable: the app's Settings once registered, else None
        self._put_block = put_block
        self._task_result = task_result

    def _test_flag(self, key: str) -> str | None:
        settings = self._settings() if self._settings is not None else None
        return settings.test_flag(key) if settings is not None else None

    def _refuses_fetches(self) -> bool:
        """Test hook: the file named by sparklite.test.failFetchesFromFile holds this executor's id."""
        path = self._test_flag("sparklite.test.failFetchesFromFile")
        if not path or not os.path.exists(path):
            return False
        with open(path) as f:
            return f.read().strip() == self._executor_id

    def FetchShuffleSegment(self, request: pb.SegmentRequest, context: grpc.ServicerContext) -> Iterator[pb.Chunk]:
        if request.reduce_end < request.reduce_start or request.reduce_start < 0:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad reduce range")
        if self._refuses_fetches():
            context.abort(grpc.StatusCode.UNAVAILABLE, "test: this executor refuses fetches")
        try:
            chunks = list(index_file.read_segment_chunks(
                self._shuffle_dir, request.shuffle_id, request.map_index, request.map_task_id,
                request.reduce_start, request.reduce_end, self._chunk_size()))
        except (OSError, EOFError, ValueError) as exc:
            context.abort(grpc.StatusCode.NOT_FOUND, f"shuffle {request.shuffle_id} map "
                                                     f"{request.map_index}: {exc}")
            return
        park_dir = self._test_flag("sparklite.test.parkFetchDir")
        for i, chunk in enumerate(chunks):
            yield pb.Chunk(data=chunk)
            if i == 0 and park_dir:
                _park(park_dir)

    def FetchBlock(self, request: pb.BlockRequest, context: grpc.ServicerContext) -> Iterator[pb.Chunk]:
        data = self._block_bytes(request.block_id) if self._block_bytes is not None else None
        if data is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no block {request.block_id}")
            return
        size = self._chunk_size()
        view = memoryview(data)
        for start in range(0, len(view), size):
            yield pb.Chunk(data=bytes(view[start:start + size]))

    def PutBlock(self, request_iterator: Iterator[pb.BlockChunk], context: grpc.ServicerContext) -> pb.PutBlockReply:
        if self._put_block is None:
            context.abort(grpc.StatusCode.UNAVAILABLE, "this executor is not ready to store blocks")
        block_id = level = ""
        parts: list[bytes] = []
        for chunk in request_iterator:
            if not block_id:
                block_id, level = chunk.block_id, chunk.storage_level
            parts.append(chunk.data)
        if not block_id or not level:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "PutBlock needs a block id and a storage level")
        try:
            stored = self._put_block(block_id, level, b"".join(parts))  # type: ignore[misc]
        except (ValueError, OSError) as exc:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"block {block_id}: {exc}")
            return pb.PutBlockReply()
        return pb.PutBlockReply(stored=stored)


    def FetchTaskResult(self, request: pb.TaskResultRequest, context: grpc.ServicerContext) -> Iterator[pb.Chunk]:
        chunks = self._task_result(request.task_id, self._chunk_size()) if self._task_result else None
        if chunks is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"executor {self._executor_id} holds no result of "
                                                     f"task {request.task_id}")
            return
        park_dir = self._test_flag("sparklite.test.parkResultFetchDir")
        for i, chunk in enumerate(chunks):
            yield pb.Chunk(data=chunk)
            if i == 0 and park_dir:
                _park(park_dir)


def _park(directory: str) -> None:
    """Test hook: announce a fetch stream is half sent, then wait for release (or for a kill)."""
    marker = os.path.join(directory, f"fetch-parked-{os.getpid()}")
    with open(marker + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.replace(marker + ".tmp", marker)  # readers never see it half written
    deadline = time.monotonic() + 60
    while not os.path.exists(os.path.join(directory, "release")) and time.monotonic() < deadline:
        time.sleep(0.01)
