"""Service wiring for the proto contract, written by hand instead of generated.

Generated ``*_pb2_grpc.py`` modules pin a minimum grpcio version; these few
lines do the same job for any grpcio. Servicer objects implement the
PascalCase methods named here and delegate to snake_case code.
"""
from __future__ import annotations

from typing import Any

import grpc

from sparklite.rpc.generated import sparklite_pb2 as pb

DRIVER = "sparklite.Driver"
BLOCKS = "sparklite.BlockService"
MASTER = "sparklite.Master"

# (method, kind, request type, response type)
_DRIVER_METHODS = [
    ("Connect", "stream_stream", pb.ExecutorMessage, pb.DriverMessage),
    ("FetchBlob", "unary_stream", pb.BlobRequest, pb.Chunk),
    ("GetBlockLocations", "unary_unary", pb.BlockLocationsRequest, pb.BlockLocations),
    ("GetPeers", "unary_unary", pb.PeersRequest, pb.BlockLocations),
    ("BarrierSync", "unary_unary", pb.BarrierRequest, pb.BarrierReply),
]
_BLOCK_METHODS = [
    ("FetchShuffleSegment", "unary_stream", pb.SegmentRequest, pb.Chunk),
    ("FetchBlock", "unary_stream", pb.BlockRequest, pb.Chunk),
    ("PutBlock", "stream_unary", pb.BlockChunk, pb.PutBlockReply),
    ("FetchTaskResult", "unary_stream", pb.TaskResultRequest, pb.Chunk),
]

_MASTER_METHODS = [
    ("WorkerConnect", "stream_stream", pb.WorkerMessage, pb.MasterToWorker),
    ("ApplicationConnect", "stream_stream", pb.ApplicationMessage, pb.MasterToApplication),
    ("Status", "unary_unary", pb.StatusRequest, pb.ClusterStatus),
]

SERVICES: dict[str, list[tuple[str, str, Any, Any]]] = {
    DRIVER: _DRIVER_METHODS, BLOCKS: _BLOCK_METHODS, MASTER: _MASTER_METHODS}


def generic_handler(service: str, servicer: Any) -> grpc.GenericRpcHandler:
    handlers = {}
    for method, kind, req, resp in SERVICES[service]:
        factory = getattr(grpc, f"{kind}_rpc_method_handler")
        handlers[method] = factory(getattr(servicer, method), request_deserializer=req.FromString,
                                   response_serializer=resp.SerializeToString)
    return grpc.method_handlers_generic_handler(service, handlers)


class Stub:
    """Client for one service on a channel: ``Stub(channel, DRIVER).FetchBlob(request)``."""

    def __init__(self, channel: grpc.Channel, service: str):
        for method, kind, req, resp in SERVICES[service]:
            factory = getattr(channel, kind)
            setattr(self, method, factory(f"/{service}/{method}", request_serializer=req.SerializeToString,
                                          response_deserializer=resp.FromString))
