"""DriverServicer: the driver's gRPC face; each method delegates to the DriverEndpoint, the
BlockManagerMaster or the BarrierCoordinator (``scheduler/barrier.py``)."""
from __future__ import annotations

from typing import Any, Iterator

import grpc

from sparklite.rpc.generated import sparklite_pb2 as pb


class DriverServicer:
    def __init__(self, endpoint: Any, block_master: Any = None, barrier: Any = None):
        self._endpoint = endpoint
        self._block_master = block_master
        self._barrier = barrier

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

    def BarrierSync(self, request: pb.BarrierRequest, context: grpc.ServicerContext) -> pb.BarrierReply:
        from sparklite.scheduler.barrier import BarrierSyncError

        try:
            messages = self._barrier.sync(request.stage_id, request.stage_attempt, request.num_tasks,
                                          request.partition, request.epoch, request.method,
                                          request.message, context.is_active)
        except BarrierSyncError as exc:
            context.abort(grpc.StatusCode.ABORTED, str(exc))
        return pb.BarrierReply(messages=messages)


def _locations(pairs: list[tuple[str, str]]) -> pb.BlockLocations:
    return pb.BlockLocations(locations=[pb.BlockLocation(executor_id=e, address=a) for e, a in pairs])
