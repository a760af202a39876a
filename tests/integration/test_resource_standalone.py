"""A standalone worker offers the addresses its discovery script finds; the master gives each
executor distinct ones, and tasks see their executor's addresses."""
from __future__ import annotations

import os

from sparklite import SparkConf, SparkContext, TaskContext
from tests.api.test_resource_scheduling import fake_script
from tests.helpers.cluster import LocalCluster

TIMING = {"spark.worker.timeout": "3s", "sparklite.worker.heartbeatInterval": "500ms"}


def test_a_standalone_worker_hands_out_addresses(tmp_path):
    script = fake_script(tmp_path, "gpus.sh", ["g0", "g1", "g2"])
    cluster = LocalCluster(tmp_path, {**TIMING, "spark.worker.resource.gpu.amount": "3",
                                      "spark.worker.resource.gpu.discoveryScript": script})
    try:
        cluster.start_master()
        cluster.start_worker("w0", cores=2, memory="1g")
        cluster.wait_workers(1)
        conf = SparkConf(loadDefaults=False).setAll({
            "sparklite.driver.allowMultipleContexts": "true", "spark.executor.memory": "256m",
            "spark.executor.cores": "1", "spark.executor.instances": "2",
            "spark.executor.resource.gpu.amount": "1", "spark.task.resource.gpu.amount": "1",
            "spark.scheduler.minRegisteredResourcesRatio": "1.0",
            "spark.scheduler.maxRegisteredResourcesWaitingTime": "30s"}.items())
        sc = SparkContext(cluster.url, "resources-test", conf=conf)
        try:
            assert sc.parallelize(range(2), 2).count() == 2
            seen = dict(sc.parallelize(range(30), 30).map(
                lambda _: (os.getpid(), tuple(TaskContext.get().resources()["gpu"].addresses))).collect())
            assert len(seen) == 2  # two executors
            addresses = sorted(a for (a,) in seen.values())
            assert len(set(addresses)) == 2 and set(addresses) <= {"g0", "g1", "g2"}
            assert sum(sc.parallelize(range(100), 4).map(lambda x: x * 2).collect()) == 9900
        finally:
            sc.stop()
    finally:
        cluster.close()
