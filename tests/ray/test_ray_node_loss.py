"""master="ray" on a two-node Ray cluster (ray.cluster_utils.Cluster, loopback only): removing
the node that runs an executor mid-job is an executor loss; the job still gives the plain-Python
answer, on a replacement actor Ray places on the surviving node."""
from __future__ import annotations

import os
import threading
import time

import pytest

from sparklite import SparkConf, SparkContext
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.ray
ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def cluster():
    import shutil
    import tempfile

    from ray.cluster_utils import Cluster

    assert not ray.is_initialized()
    temp = tempfile.mkdtemp(prefix="sl-ray-")  # Ray's session files in our own dir
    two = Cluster(initialize_head=True, head_node_args={
        "num_cpus": 2, "node_ip_address": "127.0.0.1", "include_dashboard": False, "temp_dir": temp})
    try:
        yield two
    finally:
        if ray.is_initialized():
            ray.shutdown()
        two.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


def test_a_removed_node_is_an_executor_loss(cluster, tmp_path):
    worker = cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1", resources={"spare": 1})
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, log_to_driver=False)
    conf = SparkConf(loadDefaults=False).setAll({
        "sparklite.driver.allowMultipleContexts": "true", "spark.executor.instances": "2",
        "spark.executor.cores": "1", "spark.executor.memory": "128m",
        "sparklite.ray.placementStrategy": "SPREAD"}.items())
    sc = SparkContext("ray", "ray-node-loss", conf=conf)
    try:
        assert sc._runtime.wait_for_executors(2, 120)
        backend = sc._runtime.backend
        nodes = {n["NodeID"]: n for n in ray.nodes() if n["Alive"]}
        assert len(nodes) == 2
        placed = {i["node_id"] for i in backend.actor_info().values()}
        assert placed == set(nodes)  # SPREAD: one executor per node
        marks = str(tmp_path)
        data = sc.parallelize(range(300), 6).cache()
        assert data.count() == 300

        def slow(x):
            open(os.path.join(marks, f"{os.getpid()}-{x}"), "w").close()
            time.sleep(0.03)
            return (x % 5, x)

        result: dict = {}

        def run():
            result["sums"] = sorted(data.map(slow).reduceByKey(lambda a, b: a + b).collect())

        job = threading.Thread(target=run)
        job.start()
        wait_until(lambda: len(os.listdir(marks)) >= 15, timeout=120)
        cluster.remove_node(worker)
        job.join(300)
        assert not job.is_alive()
        expected: dict = {}
        for x in range(300):
            expected[x % 5] = expected.get(x % 5, 0) + x
        assert result["sums"] == sorted(expected.items())
        # the executor of the removed node was lost and replaced on the surviving one
        wait_until(lambda: backend.failures == 1 and len(sc._runtime.endpoint.executors) == 2, timeout=120)
        assert {i["node_id"] for i in backend.actor_info().values()} == set(nodes) - {worker.node_id}
        assert sorted(sc.parallelize(range(100), 4).map(lambda x: (x % 3, 1))
                      .reduceByKey(lambda a, b: a + b).collect()) == [(0, 34), (1, 33), (2, 33)]
        assert data.sum() == sum(range(300))
    finally:
        sc.stop()
