"""The wire: captured calls cannot be replayed, callers without the secret cannot make a server
buffer a big message, and authenticated bulk data (over the 4 MiB message limit) streams in chunks."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import grpc
import psutil
import pytest

from sparklite import StorageLevel
from sparklite.rpc.auth import AuthClientInterceptor
from sparklite.rpc.channels import MAX_MESSAGE, RpcSecurity, make_channel
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.services import BLOCKS, DRIVER, MASTER, Stub
from tests.helpers.cluster import LocalCluster
from tests.helpers.waiting import wait_until

BIG = 64 << 20  # in-test stand-in for the 1 GiB of benchmarks/unauthenticated_rss.py


class _Recorder(grpc.UnaryStreamClientInterceptor, grpc.UnaryUnaryClientInterceptor):
    """Keeps the metadata each call went out with (what a network capture would see)."""

    def __init__(self) -> None:
        self.metadata: list[list[tuple[str, str]]] = []

    def intercept_unary_stream(self, continuation, details, request):
        self.metadata.append(list(details.metadata or []))
        return continuation(details, request)

    def intercept_unary_unary(self, continuation, details, request):
        self.metadata.append(list(details.metadata or []))
        return continuation(details, request)


def _recording_channel(address: str, secret: str) -> tuple[grpc.Channel, grpc.Channel, _Recorder]:
    raw = grpc.insecure_channel(address)
    recorder = _Recorder()
    recorded = grpc.intercept_channel(raw, recorder)
    return grpc.intercept_channel(recorded, AuthClientInterceptor(secret, raw, address)), raw, recorder


def _blob_call(channel: grpc.Channel, metadata=None) -> grpc.StatusCode:
    call = channel.unary_stream("/sparklite.Driver/FetchBlob", request_serializer=pb.BlobRequest.SerializeToString,
                                response_deserializer=pb.Chunk.FromString)
    try:
        list(call(pb.BlobRequest(key="no-such-blob"), metadata=metadata, timeout=10))
    except grpc.RpcError as exc:
        return exc.code(), exc.details()
    return grpc.StatusCode.OK, ""


def test_a_captured_call_cannot_be_replayed(sc):
    secret = sc._runtime.security.secret
    channel, raw, recorder = _recording_channel(sc._runtime.driver_address, secret)
    try:
        assert _blob_call(channel)[0] == grpc.StatusCode.NOT_FOUND  # authenticated: reached the handler
        captured = [m for m in recorder.metadata if any(k == "sparklite-auth" for k, _ in m)][-1]
        assert secret not in repr(recorder.metadata)  # the secret itself never travels
        code, details = _blob_call(raw, captured)  # the same call, byte for byte, again
        assert code == grpc.StatusCode.PERMISSION_DENIED and "replayed" in details
        assert _blob_call(channel)[0] == grpc.StatusCode.NOT_FOUND  # the real client goes on
    finally:
        channel.close()


def test_a_call_captured_on_one_server_is_refused_by_another(sc):
    sc.parallelize(range(4), 2).count()
    secret = sc._runtime.security.secret
    first, second = [h.block_address for h in list(sc._runtime.endpoint.executors.values())[:2]]
    channel, raw, recorder = _recording_channel(first, secret)
    other = grpc.insecure_channel(second)
    try:
        with pytest.raises(grpc.RpcError) as info:
            list(Stub(channel, BLOCKS).FetchBlock(pb.BlockRequest(block_id="rdd_999_0"), timeout=10))
        assert info.value.code() == grpc.StatusCode.NOT_FOUND
        captured = [m for m in recorder.metadata if any(k == "sparklite-auth" for k, _ in m)][-1]
        fetch = other.unary_stream("/sparklite.BlockService/FetchBlock",
                                   request_serializer=pb.BlockRequest.SerializeToString,
                                   response_deserializer=pb.Chunk.FromString)
        with pytest.raises(grpc.RpcError) as info:
            list(fetch(pb.BlockRequest(block_id="rdd_999_0"), metadata=captured, timeout=10))
        assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED and "unknown session" in info.value.details()
    finally:
        channel.close()
        other.close()


_SEND_BIG = textwrap.dedent("""
    import sys, grpc
    address, method, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
    channel = grpc.insecure_channel(address, options=[("grpc.max_send_message_length", -1)])
    call = channel.unary_unary(method)
    try:
        call(b"\\x0a" * size, timeout=60)
        print("OK")
    except grpc.RpcError as exc:
        print(exc.code().name)
""")


def _send_unauthenticated(address: str, method: str, size: int = BIG) -> str:
    out = subprocess.run([sys.executable, "-c", _SEND_BIG, address, method, str(size)], capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def _rss(pid: int) -> int:
    return psutil.Process(pid).memory_info().rss


@pytest.mark.parametrize("method", ["/sparklite.Driver/Connect", "/sparklite.Driver/GetPeers",
                                    "/sparklite.Auth/Hello"])
def test_a_big_message_without_the_secret_is_refused_before_it_is_read_by_the_driver(sc, method):
    before = _rss(os.getpid())
    assert _send_unauthenticated(sc._runtime.driver_address, method) in ("PERMISSION_DENIED",
                                                                          "RESOURCE_EXHAUSTED")
    assert _rss(os.getpid()) - before < BIG // 2  # the 64 MiB were never buffered
    assert sc.parallelize(range(10), 2).sum() == 45


def test_a_big_message_without_the_secret_is_refused_by_an_executor(sc):
    sc.parallelize(range(4), 2).count()
    handle = next(iter(sc._runtime.endpoint.executors.values()))
    before = _rss(handle.pid)
    for method in ("/sparklite.BlockService/PutBlock", "/sparklite.BlockService/FetchShuffleSegment"):
        assert _send_unauthenticated(handle.block_address, method) in ("PERMISSION_DENIED", "RESOURCE_EXHAUSTED")
    assert _rss(handle.pid) - before < BIG // 2
    assert sc.parallelize(range(10), 2).sum() == 45


def test_a_big_message_without_the_secret_is_refused_by_the_master(tmp_path):
    cluster = LocalCluster(tmp_path, {"spark.authenticate.secret": "cluster-secret"})
    try:
        cluster.start_master()
        before = _rss(cluster.master.pid)
        address = f"{cluster.master_host}:{cluster.master_port}"
        for method in ("/sparklite.Master/WorkerConnect", "/sparklite.Master/Status"):
            assert _send_unauthenticated(address, method) in ("PERMISSION_DENIED", "RESOURCE_EXHAUSTED")
        assert _rss(cluster.master.pid) - before < BIG // 2
        assert cluster.status().master_id
    finally:
        cluster.close()


def test_no_message_over_the_limit_is_accepted_even_with_the_secret(sc):
    channel = make_channel(sc._runtime.driver_address, sc._runtime.security)
    try:
        with pytest.raises(grpc.RpcError) as info:
            Stub(channel, DRIVER).GetPeers(pb.PeersRequest(executor_id="x" * (MAX_MESSAGE + 1)), timeout=10)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    finally:
        channel.close()


def test_bulk_data_over_the_message_limit_streams_in_chunks(sc):
    """Closures, broadcasts, results and failures of several MiB each cross the 4 MiB limit."""
    big = list(range(1_500_000))  # ~ 8 MB pickled, captured by the closure
    table = sc.broadcast({i: str(i) for i in range(300_000)})  # ~ 5 MB
    got = sc.parallelize(range(4), 4).map(lambda i: (big[i * 7], len(table.value), b"r" * 5_000_000)).collect()
    assert [(a, n, len(r)) for a, n, r in got] == [(i * 7, 300_000, 5_000_000) for i in range(4)]

    def fail(x):
        raise ValueError("v" * 5_000_000)

    with pytest.raises(ValueError) as info:
        sc.parallelize([1], 1).map(fail).collect()
    assert "v" * 1000 in str(info.value)
    cached = sc.parallelize(range(4), 2).map(lambda i: "c" * 3_000_000).persist(StorageLevel.MEMORY_ONLY_2)
    assert cached.map(len).collect() == [3_000_000] * 4  # 6 MB blocks, each pushed to a second executor
    wait_until(lambda: all(len(sc._runtime.block_master.executors_with(f"rdd_{cached.id()}_{p}")) == 2
                           for p in range(2)), 30, message="both blocks replicated")
    cached.unpersist()


def test_no_secret_on_either_side_still_works(tmp_path):
    cluster = LocalCluster(tmp_path, {})
    try:
        cluster.start_master()
        channel = make_channel(f"{cluster.master_host}:{cluster.master_port}", RpcSecurity(None))
        try:
            assert Stub(channel, MASTER).Status(pb.StatusRequest(), timeout=10).master_id
        finally:
            channel.close()
    finally:
        cluster.close()
