"""Cluster security: the secret on every RPC, TLS on and off, malformed input, non-loopback binds."""
from __future__ import annotations

import grpc
import pytest

from sparklite import SparkConf, SparkContext
from sparklite.config import Settings
from sparklite.errors import ConfigError, SparkliteJobError
from sparklite.rpc.channels import RpcSecurity, make_channel
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.security import cluster_security
from sparklite.rpc.services import BLOCKS, DRIVER, MASTER, SERVICES, Stub
from tests.helpers.cluster import LocalCluster
from tests.helpers.tls import make_certs

SECRET = "cluster-secret-for-tests"
BASE = {"spark.authenticate": "true", "spark.authenticate.secret": SECRET, "spark.worker.timeout": "5s",
        "sparklite.worker.heartbeatInterval": "500ms"}


def driver(cluster, secret=SECRET, **conf):
    spark_conf = SparkConf(loadDefaults=False).setAll({
        "spark.authenticate": "true", "spark.authenticate.secret": secret,
        "sparklite.driver.allowMultipleContexts": "true", "spark.executor.memory": "256m",
        "spark.scheduler.maxRegisteredResourcesWaitingTime": "5s", "sparklite.executor.startTimeout": "5s",
        **conf}.items())
    return SparkContext(cluster.url, "security-test", conf=spark_conf)


@pytest.fixture
def cluster(tmp_path):
    c = LocalCluster(tmp_path, BASE)
    c.start_master()
    c.start_worker("a")
    try:
        c.wait_workers(1)
        yield c
    finally:
        c.close()


def test_app_with_the_wrong_secret_runs_nothing(cluster, tmp_path):
    marker = tmp_path / "ran"
    sc = driver(cluster, secret="not-the-secret")
    try:
        def touch(x):
            marker.write_text("a task ran")
            return x

        with pytest.raises(SparkliteJobError, match="refused this application|no executor registered"):
            sc.parallelize([1, 2]).map(touch).collect()
    finally:
        sc.stop()
    assert not marker.exists()
    assert [a for a in cluster.status().applications] == []


def test_worker_and_status_calls_need_the_secret(cluster):
    for secret in (None, "wrong"):
        channel = make_channel(f"{cluster.master_host}:{cluster.master_port}", RpcSecurity(secret))
        try:
            stub = Stub(channel, MASTER)
            with pytest.raises(grpc.RpcError) as info:
                stub.Status(pb.StatusRequest(), timeout=10)
            assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
            fake = iter([pb.WorkerMessage(register=pb.RegisterWorker(worker_id="intruder", host="h", cores=64,
                                                                     memory=1 << 40))])
            with pytest.raises(grpc.RpcError) as info:
                list(stub.WorkerConnect(fake, timeout=10))
            assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED
        finally:
            channel.close()
    assert [w.worker_id for w in cluster.status().workers if "intruder" in w.worker_id] == []


def _garbage_calls(address: str, security: RpcSecurity, service: str) -> list[grpc.StatusCode]:
    codes = []
    channel = make_channel(address, security)
    try:
        for method, kind, _, _ in SERVICES[service]:
            path = f"/{service}/{method}"
            call = getattr(channel, kind)(path, request_serializer=None, response_deserializer=None)
            garbage = b"\xff\x00garbage\x8a\x9f" * 3
            try:
                if kind.startswith("stream"):
                    result = call(iter([garbage, garbage]), timeout=10)
                else:
                    result = call(garbage, timeout=10)
                if kind.endswith("stream"):
                    list(result)
            except grpc.RpcError as exc:
                codes.append(exc.code())
    finally:
        channel.close()
    return codes


def test_garbage_payloads_leave_every_service_serving(cluster):
    sc = driver(cluster)
    try:
        assert sc.parallelize(range(10), 2).map(lambda x: (x % 2, x)).reduceByKey(lambda a, b: a + b).count() == 2
        security = RpcSecurity(SECRET)
        targets = [(f"{cluster.master_host}:{cluster.master_port}", MASTER), (sc._runtime.driver_address, DRIVER)]
        targets += [(h.block_address, BLOCKS) for h in sc._runtime.endpoint.executors.values()]
        for address, service in targets:
            codes = _garbage_calls(address, security, service)
            assert codes and all(c != grpc.StatusCode.OK for c in codes)
        # every service still answers properly
        assert cluster.status().master_id
        assert sc.parallelize(range(100), 4).map(lambda x: (x % 3, 1)).reduceByKey(lambda a, b: a + b).count() == 3
    finally:
        sc.stop()


def test_tls_cluster_runs_jobs_and_refuses_plaintext(tmp_path):
    certs = make_certs(tmp_path, ["127.0.0.1"])
    props = {**BASE, "spark.ssl.enabled": "true", "sparklite.ssl.certFile": certs["cert"],
             "sparklite.ssl.keyFile": certs["key"], "sparklite.ssl.caFile": certs["ca"]}
    c = LocalCluster(tmp_path, props)
    try:
        c.start_master()
        c.start_worker("a")
        c.wait_workers(1)
        sc = driver(c, **{k: v for k, v in props.items() if k.startswith(("spark.ssl", "sparklite.ssl"))})
        try:
            assert sc.parallelize(range(100), 4).map(lambda x: (x % 5, x)).reduceByKey(lambda a, b: a + b) \
                .collectAsMap() == {k: sum(range(k, 100, 5)) for k in range(5)}
        finally:
            sc.stop()
        plain = make_channel(f"{c.master_host}:{c.master_port}", RpcSecurity(SECRET))
        try:
            with pytest.raises(grpc.RpcError) as info:
                Stub(plain, MASTER).Status(pb.StatusRequest(), timeout=5)
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        finally:
            plain.close()
    finally:
        c.close()


def test_non_loopback_bind_requires_a_secret():
    with pytest.raises(ConfigError, match="spark.authenticate"):
        cluster_security(Settings({}), "10.11.12.13")
    with pytest.raises(ConfigError, match="no secret"):
        cluster_security(Settings({"spark.authenticate": "true"}), "127.0.0.1")
    assert cluster_security(Settings({}), "127.0.0.1").secret is None
    assert cluster_security(Settings({"spark.authenticate.secret": "s"}), "10.1.1.1").secret == "s"


def test_tls_needs_its_files(tmp_path):
    with pytest.raises(ConfigError, match="sparklite.ssl.certFile"):
        cluster_security(Settings({"spark.ssl.enabled": "true", "spark.authenticate.secret": "s"}), "127.0.0.1")


def test_a_worker_with_the_wrong_secret_stops_with_a_clear_error(cluster, tmp_path):
    import os
    import subprocess
    import sys

    from tests.helpers.cluster import write_properties

    props = write_properties(tmp_path / "wrong.properties", {**BASE, "spark.authenticate.secret": "wrong"})
    worker = os.path.join(os.path.dirname(sys.executable), "sparklite-worker")
    out = subprocess.run([worker, "--master", cluster.url, "--cores", "1", "--memory", "256m", "--host",
                          "127.0.0.1", "--work-dir", str(tmp_path / "w"), "--properties-file", str(props)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode != 0
    assert "refused this worker" in out.stderr and "spark.authenticate.secret" in out.stderr
    assert len(cluster.status().workers) == 1  # only the good worker ever registered
