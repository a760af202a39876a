"""DriverServicer: the driver's gRPC face; each method delegates to the DriverEndpoint or the
BlockManagerMaster."""
from __future__ import annotations

from typing import Any, Iterator

import grpc

from sparklite.rpc.generated import sparklite_pb2 as pb


class DriverServicer:
    def __init__(self, endpoint: Any, block_master: Any = None):
        self._endpoint = endpoint
        self._block_master = block_master

    def Connect(self, request_iterator: Iterator[pb.ExecutorMessage],
                context: grpc.ServicerContext) -> Iterator[pb.DriverMessage]:
        return self._endpoint.connect(request_iterator, context)

    def FetchBlob(self, request: pb.BlobRequest, context: grpc.ServicerContext) -> Iterator[pb.Chunk]:
        return self._endpoint.fetch_blob(request, context)

    def GetBlockLocations(self, request: pb.BlockLocationsRequest,
                          context: grpc.ServicerContext) -> pb.BlockLocations:
        return _locations(self._block_master.locations(request.block_id) if self._block_master else [])

    def GetPeers(self, request: pb.PeersRequest, context: grpc.ServicerContext) -> pb.BlockLocations:
        return _locations(self._block_master.peers(request.executor_id) if self._block_master else [])


def _locations(pairs: list[tuple[str, str]]) -> pb.BlockLocations:
    return pb.BlockLocations(locations=[pb.BlockLocation(executor_id=e, address=a) for e, a in pairs])
