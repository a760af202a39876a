"""DriverServicer: the driver's gRPC face; each method delegates to the DriverEndpoint or to the
BarrierCoordinator (``scheduler/barrier.py``)."""
from __future__ import annotations

from typing import Any, Iterator

import grpc

from sparklite.rpc.generated import sparklite_pb2 as pb


class DriverServicer:
    def __init__(self, endpoint: Any, barrier: Any = None):
        self._endpoint = endpoint
        self._barrier = barrier

    def Connect(self, request_iterator: Iterator[pb.ExecutorMessage],
                context: grpc.ServicerContext) -> Iterator[pb.DriverMessage]:
        return self._endpoint.connect(request_iterator, context)

    def FetchBlob(self, request: pb.BlobRequest, context: grpc.ServicerContext) -> Iterator[pb.Chunk]:
        return self._endpoint.fetch_blob(request, context)

    def BarrierSync(self, request: pb.BarrierRequest, context: grpc.ServicerContext) -> pb.BarrierReply:
        from sparklite.scheduler.barrier import BarrierSyncError

        try:
            messages = self._barrier.sync(request.stage_id, request.stage_attempt, request.num_tasks,
                                          request.partition, request.epoch, request.method,
                                          request.message, context.is_active)
        except BarrierSyncError as exc:
            context.abort(grpc.StatusCode.ABORTED, str(exc))
        return pb.BarrierReply(messages=messages)
