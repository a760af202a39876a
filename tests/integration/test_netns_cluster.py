"""Three test hosts as network namespaces: a master on one, workers on two, the driver on the bridge.

Submits a word count and a join with ``sparklite-submit --cluster`` and checks
the answers against plain Python; then runs a job during which one worker's
host is cut off the network, and the answer is still right. Needs root and
iproute2 (CI has both: .ci/run installs iproute2 when it is missing).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from collections import Counter

import psutil
import pytest

from tests.helpers import netns
from tests.helpers.cluster import LocalCluster
from tests.helpers.faults import Parker
from tests.helpers.waiting import wait_until

WHY_NOT = netns.available()
pytestmark = pytest.mark.skipif(WHY_NOT is not None, reason=f"network namespaces: {WHY_NOT}")

WORDCOUNT = """
import json, sys
from operator import add
from sparklite import SparkContext
sc = SparkContext(appName="netns-wordcount")
lines = [f"alpha beta w{i % 37} w{i % 11}" for i in range(4000)]
counts = sc.parallelize(lines, 6).flatMap(str.split).map(lambda w: (w, 1)).reduceByKey(add, 4)
print("RESULT", json.dumps(sorted(counts.collect())))
sc.stop()
"""

JOIN = """
import json
from sparklite import SparkContext
sc = SparkContext(appName="netns-join")
left = sc.parallelize([(i % 97, i) for i in range(5000)], 5)
right = sc.parallelize([(i % 89, -i) for i in range(3000)], 3)
joined = left.join(right)
print("RESULT", json.dumps([joined.count(), joined.map(lambda kv: kv[1][0] + kv[1][1]).sum()]))
sc.stop()
"""

CUT = """
import json, sys
from operator import add
sys.path.insert(0, {root!r})
from sparklite import SparkContext
from tests.helpers.faults import Parker
parker = Parker({park!r})
sc = SparkContext(appName="netns-cut")
data = [(i % 23, i) for i in range(20000)]
rdd = sc.parallelize(data, 8).mapPartitionsWithIndex(parker.gate({{5}})).reduceByKey(add, 4)
print("RESULT", json.dumps(sorted(rdd.collect())), flush=True)
sc.stop()
"""


@pytest.fixture
def hosts(tmp_path):
    net = netns.TestNetwork(["m", "a", "b"])
    secret = tmp_path / "secret"
    secret.write_text("netns-cluster-secret\n")
    props = {"spark.authenticate": "true", "sparklite.authenticate.secretFile": str(secret),
             "spark.worker.timeout": "5s", "sparklite.worker.heartbeatInterval": "500ms"}
    cluster = LocalCluster(tmp_path, props, host=net.ip("m"))
    try:
        cluster.start_master(port=7077, ns=net.ns("m"))
        cluster.start_worker("a", cores=2, memory="1g", host=net.ip("a"), ns=net.ns("a"))
        cluster.start_worker("b", cores=2, memory="1g", host=net.ip("b"), ns=net.ns("b"))
        conf_dir = tmp_path / "conf"
        (conf_dir / "clusters").mkdir(parents=True)
        (conf_dir / "clusters" / "nstest.conf").write_text(textwrap.dedent(f"""
            spark.master                      {cluster.url}
            spark.authenticate                true
            sparklite.authenticate.secretFile {secret}
            spark.driver.host                 {net.driver_ip}
            spark.executor.memory             256m
            spark.network.timeout             6s
            spark.executor.heartbeatInterval  500ms
        """))
        yield net, cluster, conf_dir
    finally:
        cluster.close()
        net.close()


def submit(tmp_path, conf_dir, name, code, timeout=180):
    app = tmp_path / f"{name}.py"
    app.write_text(code)
    env = dict(os.environ, SPARKLITE_CONF_DIR=str(conf_dir))
    env.pop("SPARKLITE_SUBMIT_CONF", None)
    script = os.path.join(os.path.dirname(sys.executable), "sparklite-submit")
    return subprocess.Popen([script, "--cluster", "nstest", str(app)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, cwd=str(tmp_path))


def result_of(proc, timeout=180):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, err[-4000:]
    line = [x for x in out.splitlines() if x.startswith("RESULT ")][-1]
    return json.loads(line[len("RESULT "):])


def test_word_count_and_join_across_three_hosts(hosts, tmp_path):
    net, cluster, conf_dir = hosts
    cluster.wait_workers(2)
    start = time.monotonic()
    counts = result_of(submit(tmp_path, conf_dir, "wc", WORDCOUNT))
    elapsed = time.monotonic() - start
    lines = [f"alpha beta w{i % 37} w{i % 11}" for i in range(4000)]
    assert [tuple(x) for x in counts] == sorted(Counter(w for line in lines for w in line.split()).items())
    joined = result_of(submit(tmp_path, conf_dir, "join", JOIN))
    left = [(i % 97, i) for i in range(5000)]
    right = [(i % 89, -i) for i in range(3000)]
    pairs = [(v, w) for k, v in left for k2, w in right if k == k2]
    assert joined == [len(pairs), sum(v + w for v, w in pairs)]
    print(f"\n[netns] word count submitted to a 3-host cluster: {elapsed:.2f} s end to end")


def test_job_survives_a_worker_cut_off_mid_job(hosts, tmp_path):
    net, cluster, conf_dir = hosts
    cluster.wait_workers(2)
    park = tmp_path / "park"
    code = CUT.format(root=os.getcwd(), park=str(park))
    start = time.monotonic()
    proc = submit(tmp_path, conf_dir, "cut", code)
    parker = Parker(park)
    pid = parker.wait_parked(5, timeout=120)
    worker_of = {name: {c.pid for c in psutil.Process(p.pid).children()} for name, p in cluster.workers.items()}
    victim = next(name for name, pids in worker_of.items() if pid in pids)
    cut_at = time.monotonic()
    net.cut(victim)
    try:
        result = result_of(proc)
    except (AssertionError, subprocess.TimeoutExpired) as exc:  # keep what the daemons said
        logs = "\n".join(f"--- {name}:\n{cluster.log(name)[-3000:]}"
                          for name in ["master", *(f"worker-{w}" for w in cluster.workers)])
        raise AssertionError(f"{exc}\n{logs}") from exc
    done = time.monotonic()
    data = [(i % 23, i) for i in range(20000)]
    expected = {}
    for k, v in data:
        expected[k] = expected.get(k, 0) + v
    assert [tuple(x) for x in result] == sorted(expected.items())
    print(f"\n[netns] job with worker {victim} cut off mid-job: {done - start:.2f} s in all, "
          f"{done - cut_at:.2f} s from the cut to the right answer")
    net.restore(victim)
    wait_until(lambda: len([w for w in cluster.status().workers if w.state == "ALIVE"]) == 2, 60,
               message="the cut-off worker to come back")
