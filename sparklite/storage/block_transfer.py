"""BlockTransfer: an executor's client side of cached-block traffic with the driver and its peers.

The driver answers where a block lives and which executors are alive
(``GetBlockLocations``, ``GetPeers``); peers serve a block's Arrow IPC bytes
(``FetchBlock``) and accept replicas (``PutBlock``). Every call is signed with
the application's secret (rpc/auth.py) and carries a deadline. A peer that
cannot be reached is not an error here: the caller falls back (another
holder, recompute, fewer replicas), so failures are logged and answered with
None/False.

THREADING: stateless apart from the channels, which ExecutorEnv shares under its lock.
"""
from __future__ import annotations

import logging
from typing import Any, Callable, Iterator

import grpc

from sparklite.rpc.generated import sparklite_pb2 as pb

log = logging.getLogger(__name__)


class BlockTransfer:
    def __init__(self, executor_id: str, driver: Any, block_stub: Callable[[str], Any], timeout: float,
                 chunk_size: int):
        self.executor_id = executor_id
        self._driver = driver
        self._block_stub = block_stub
        self._timeout = timeout
        self._chunk_size = chunk_size

    def locations(self, block_id: str) -> list[tuple[str, str]]:
        """(executor id, address) of the executors holding ``block_id``, per the driver."""
        try:
            reply = self._driver.GetBlockLocations(pb.BlockLocationsRequest(block_id=block_id),
                                                   timeout=self._timeout)
        except grpc.RpcError as exc:
            log.warning("executor %s: could not ask the driver where block %s is: %s", self.executor_id,
                        block_id, _describe(exc))
            return []
        return [(loc.executor_id, loc.address) for loc in reply.locations]

    def peers(self) -> list[tuple[str, str]]:
        try:
            reply = self._driver.GetPeers(pb.PeersRequest(executor_id=self.executor_id), timeout=self._timeout)
        except grpc.RpcError as exc:
            log.warning("executor %s: could not get peers from the driver: %s", self.executor_id, _describe(exc))
            return []
        return [(loc.executor_id, loc.address) for loc in reply.locations]

    def fetch(self, address: str, block_id: str) -> bytes | None:
        try:
            parts = [c.data for c in self._block_stub(address).FetchBlock(
                pb.BlockRequest(block_id=block_id), timeout=self._timeout)]
        except grpc.RpcError as exc:
            log.info("executor %s: fetching block %s from %s failed: %s", self.executor_id, block_id,
                     address, _describe(exc))
            return None
        return b"".join(parts)

    def push(self, address: str, block_id: str, level: str, data: Any) -> bool:
        def chunks() -> Iterator[pb.BlockChunk]:
            view = memoryview(data)
            yield pb.BlockChunk(block_id=block_id, storage_level=level,
                                data=bytes(view[:self._chunk_size]))
            for start in range(self._chunk_size, len(view), self._chunk_size):
                yield pb.BlockChunk(data=bytes(view[start:start + self._chunk_size]))

        try:
            reply = self._block_stub(address).PutBlock(chunks(), timeout=self._timeout)
        except grpc.RpcError as exc:
            log.warning("executor %s: pushing a replica of block %s to %s failed: %s", self.executor_id,
                        block_id, address, _describe(exc))
            return False
        return reply.stored


def _describe(exc: grpc.RpcError) -> str:
    code = getattr(exc, "code", None)
    return f"{code().name}: {exc.details()}" if callable(code) else str(exc)  # type: ignore[attr-defined]
