"""DriverServicer: the driver's gRPC face; each method delegates to the DriverEndpoint."""
from __future__ import annotations

from typing import Any, Iterator

import grpc

from sparklite.rpc.generated import sparklite_pb2 as pb


class DriverServicer:
    def __init__(self, endpoint: Any):
        self._endpoint = endpoint

    def Connect(self, request_iterator: Iterator[pb.ExecutorMessage],
                context: grpc.ServicerContext) -> Iterator[pb.DriverMessage]:
        return self._endpoint.connect(request_iterator, context)

    def FetchBlob(self, request: pb.BlobRequest, context: grpc.ServicerContext) -> Iterator[pb.Chunk]:
        return self._endpoint.fetch_blob(request, context)
