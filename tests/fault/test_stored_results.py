"""A big task result waits on its executor until the driver fetches it: an executor SIGKILLed
in the middle of that fetch loses the result, and the task runs again (not counted as a failure)."""
from __future__ import annotations

import pytest

from tests.helpers.faults import kill
from tests.helpers.waiting import wait_until

pytestmark = pytest.mark.fault


def test_an_executor_killed_while_its_result_is_fetched_has_the_task_rerun(context_factory, tmp_path):
    park = tmp_path / "park"
    park.mkdir()
    context = context_factory("local[2]", {"spark.task.maxFailures": "1",
                                           "sparklite.test.parkResultFetchDir": str(park)})
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        future = pool.submit(context.parallelize(range(4), 4).map(lambda i: bytes([i]) * 3_000_000).collect)
        marker = wait_until(lambda: [p for p in park.iterdir() if p.name.startswith("fetch-parked-")
                                     and not p.name.endswith(".tmp")], 60, message="a result fetch to park")[0]
        kill(int(marker.read_text()))
        marker.unlink()
        (park / "release").write_text("go")  # fetches from the surviving executor go on
        values = future.result(timeout=120)
    assert values == [bytes([i]) * 3_000_000 for i in range(4)]
    assert context._runtime.results.fetches > 4  # the lost one was fetched again, from its rerun
