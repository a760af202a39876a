"""BlockServicer: an executor serves its shuffle segments and cached blocks to other executors.

Thin: each RPC delegates to plain functions over files (``shuffle.index_file``)
or to the block manager, and streams the bytes in chunks. ``PutBlock``
receives a replica of a cached block (``_2`` storage levels); like every RPC
it passes the shared-secret interceptor before its first message is read.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

import grpc

from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.shuffle import index_file


class BlockServicer:
    def __init__(self, shuffle_dir: str, chunk_size: Callable[[], int],
                 block_bytes: Callable[[str], Any] | None = None,
                 put_block: Callable[[str, str, bytes], bool] | None = None):
        self._shuffle_dir = shuffle_dir
        self._chunk_size = chunk_size  # callable: the configured chunk size, known after registration
        self._block_bytes = block_bytes
        self._put_block = put_block

    def FetchShuffleSegment(self, request: pb.SegmentRequest, context: grpc.ServicerContext) -> Iterator[pb.Chunk]:
        if request.reduce_end < request.reduce_start or request.reduce_start < 0:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "bad reduce range")
        try:
            chunks = list(index_file.read_segment_chunks(
                self._shuffle_dir, request.shuffle_id, request.map_index, request.map_task_id,
                request.reduce_start, request.reduce_end, self._chunk_size()))
        except (OSError, EOFError, ValueError) as exc:
            context.abort(grpc.StatusCode.NOT_FOUND, f"shuffle {request.shuffle_id} map "
                                                     f"{request.map_index}: {exc}")
            return
        for chunk in chunks:
            yield pb.Chunk(data=chunk)

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
