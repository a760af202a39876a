"""Every RPC carries the application's secret; callers without it are refused before any payload is read."""
from __future__ import annotations

import grpc
import pytest

from sparklite.rpc.channels import RpcSecurity, make_channel
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.services import BLOCKS, DRIVER, Stub


def register_stream(executor_id):
    yield pb.ExecutorMessage(register=pb.RegisterExecutor(executor_id=executor_id, host="127.0.0.1",
                                                           block_port=1, cores=1, pid=1))


@pytest.mark.parametrize("secret", [None, "wrong-secret"])
def test_driver_refuses_callers_without_the_secret(sc, secret):
    address = sc._runtime.driver_address
    before = set(sc._runtime.endpoint.executors)
    channel = make_channel(address, RpcSecurity(secret))
    try:
        with pytest.raises(grpc.RpcError) as info:
            list(Stub(channel, DRIVER).Connect(register_stream("intruder"), timeout=10))
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert "authentication failed" in info.value.details()
        with pytest.raises(grpc.RpcError) as info:
            list(Stub(channel, DRIVER).FetchBlob(pb.BlobRequest(key="x"), timeout=10))
        assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
    finally:
        channel.close()
    assert set(sc._runtime.endpoint.executors) == before  # nothing registered


def test_executor_block_service_refuses_callers_without_the_secret(sc):
    sc.parallelize(range(4), 2).map(lambda x: (x, x)).reduceByKey(lambda a, b: a).count()
    address = next(iter(sc._runtime.endpoint.executors.values())).block_address
    for secret in (None, "nope"):
        channel = make_channel(address, RpcSecurity(secret))
        try:
            with pytest.raises(grpc.RpcError) as info:
                list(Stub(channel, BLOCKS).FetchShuffleSegment(pb.SegmentRequest(), timeout=10))
            assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
        finally:
            channel.close()


def test_the_right_secret_is_accepted(sc):
    channel = make_channel(sc._runtime.driver_address, sc._runtime.security)
    try:
        with pytest.raises(grpc.RpcError) as info:
            list(Stub(channel, DRIVER).FetchBlob(pb.BlobRequest(key="no-such-blob"), timeout=10))
        assert info.value.code() == grpc.StatusCode.NOT_FOUND  # got past auth to the handler
    finally:
        channel.close()


def test_local_mode_binds_loopback_only(sc):
    assert sc._runtime.driver_address.startswith("127.0.0.1:")
    for handle in sc._runtime.endpoint.executors.values():
        assert handle.block_address.startswith("127.0.0.1:")
