"""Monitoring a standalone cluster: executors' stdout/stderr in the workers' work dirs, kept after
the application ends and linked from the application's UI and the master's page; the master's
/json with Spark's fields; 404 for unknown paths; old application dirs cleaned after their TTL."""
from __future__ import annotations

import json
import os
import re
import time

from sparklite.deploy.worker import Cleanup, Worker
from sparklite.rpc.channels import RpcSecurity
from tests.helpers.cluster import LocalCluster
from tests.helpers.waiting import wait_until
from tests.integration.test_standalone import PROPS, app
from tests.integration.test_web_ui import get, rest

MASTER_JSON = {"url", "workers", "aliveworkers", "cores", "coresused", "memory", "memoryused", "resources",
               "resourcesused", "activeapps", "completedapps", "activedrivers", "completeddrivers", "status"}
APP_JSON = {"id", "starttime", "name", "cores", "user", "memoryperexecutor", "memoryperslave",
            "resourcesperexecutor", "resourcesperslave", "submitdate", "state", "duration"}
WORKER_JSON = {"id", "host", "port", "webuiaddress", "cores", "coresused", "coresfree", "memory", "memoryused",
               "memoryfree", "resources", "resourcesused", "resourcesfree", "state", "lastheartbeat"}


def _master_page(cluster: LocalCluster) -> str:
    found = wait_until(lambda: re.search(r"status page (http://\S+?)/?$", cluster.log("master"), re.M), 30,
                       message="the master's status page address")
    return found.group(1).rstrip("/")


def test_executor_logs_outlive_the_app_and_are_linked_from_its_ui_and_the_master(tmp_path):
    cluster = LocalCluster(tmp_path, PROPS)
    cluster.start_master()
    cluster.start_worker("a")
    try:
        cluster.wait_workers(1)
        master_web = _master_page(cluster)
        sc = app(cluster, **{"spark.ui.port": "0"})
        try:
            app_id = sc.applicationId

            def shout(x):
                import sys

                print(f"cluster-out-{x}", flush=True)
                print(f"cluster-err-{x}", file=sys.stderr, flush=True)
                return x

            assert sc.parallelize(range(3), 3).map(shout).sum() == 3
            executors = [e for e in rest(sc, "/executors") if e["id"] != "driver"]
            assert executors and all(set(e["executorLogs"]) == {"stdout", "stderr"} for e in executors)
            pages = "".join(get(e["executorLogs"]["stdout"])[1] for e in executors)
            assert all(f"cluster-out-{i}" in pages for i in range(3))
            running = json.loads(get(master_web + "/json")[1])
            assert [a["id"] for a in running["activeapps"]] == [app_id]
            page = get(master_web + "/")[1]
            assert sc.uiWebUrl in page  # a running app links to its UI
        finally:
            sc.stop()
        work = tmp_path / "work-a" / app_id
        wait_until(lambda: not any(p.name.startswith("executor-") for p in work.iterdir()), 30,
                   message="the executors' scratch dirs removed")
        [executor_dir] = [p for p in work.iterdir() if p.is_dir()]
        assert "cluster-err-" in (executor_dir / "stderr").read_text()  # kept after the app ended
        state = wait_until(lambda: json.loads(get(master_web + "/json")[1]), 10)
        assert set(state) == MASTER_JSON and state["aliveworkers"] == 1 and state["status"] == "ALIVE"
        assert set(state["workers"][0]) == WORKER_JSON and state["workers"][0]["webuiaddress"].startswith("http://")
        wait_until(lambda: json.loads(get(master_web + "/json")[1])["completedapps"], 30,
                   message="the app among the completed ones")
        [done] = json.loads(get(master_web + "/json")[1])["completedapps"]
        assert set(done) == APP_JSON and done["id"] == app_id and done["state"] == "FINISHED"
        assert done["duration"] > 0 and done["memoryperexecutor"] == 256 and done["name"] == "standalone-test"
        page = get(master_web + "/")[1]
        assert "Completed Applications (1)" in page and "FINISHED" in page
        links = re.findall(r"href='([^']*logPage[^']*logType=stderr)'", page)
        assert links and "cluster-err-" in get(links[0].replace("&amp;", "&"))[1]  # opens after the app ended
        for path in ("/api/v1/applications", "/metrics", "/nope"):
            assert get(master_web + path)[0] == 404, path
    finally:
        cluster.close()


def test_finished_apps_dirs_are_removed_after_their_ttl(tmp_path):
    worker = Worker([("127.0.0.1", 1)], "127.0.0.1", 1, 1 << 30, str(tmp_path), RpcSecurity(None),
                    cleanup=Cleanup(True, 1.0, ttl=100.0))
    old, recent = tmp_path / "app-old", tmp_path / "app-recent"
    for path in (old, recent):
        (path / "0").mkdir(parents=True)
        (path / "0" / "stderr").write_text("log")
    now = time.time()
    os.utime(old, (now - 1000, now - 1000))
    assert worker.clean_old_apps(now) == ["app-old"]
    assert not old.exists() and (recent / "0" / "stderr").exists()
    assert worker.clean_old_apps(now + 1000) == ["app-recent"]
