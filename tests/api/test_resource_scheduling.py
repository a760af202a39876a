"""Resource scheduling with real executor processes and fake discovery scripts: tasks get
distinct addresses, never more at once than the addresses allow, fractions share, and what no
executor can offer fails at once naming the resource."""
from __future__ import annotations

import json
import os
import pathlib
import time

import pytest

from sparklite import TaskContext
from sparklite.errors import ConfigError, SparkliteJobError
from sparklite.resource import ResourceInformation, ResourceProfileBuilder, TaskResourceRequests
from sparklite.resource_discovery import read_resources_file, resource_requests


def fake_script(tmp: pathlib.Path, name: str, addresses: list[str], resource: str = "gpu") -> str:
    path = tmp / name
    path.write_text("#!/bin/sh\necho '" + json.dumps({"name": resource, "addresses": addresses}) + "'\n")
    path.chmod(0o755)
    return str(path)


def _holding(marks: str):
    """A task that claims its addresses with O_EXCL marker files while it runs: a second task
    holding the same address at the same time fails, and it records how many ran at once."""
    def run(iterator):
        context = TaskContext.get()
        addresses = context.resources()["gpu"].addresses
        mine = []
        for address in addresses:
            path = os.path.join(marks, f"{address}.{context.taskAttemptId()}")
            if any(n.split(".")[0] == address for n in os.listdir(marks)):
                raise RuntimeError(f"address {address} is already held by another task")
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
            os.close(fd)
            mine.append(path)
        at_once = len(os.listdir(marks))
        time.sleep(0.15)
        for path in mine:
            os.remove(path)
        yield addresses, at_once, sum(iterator)
    return run


def test_one_of_two_gpus_per_task(context_factory, tmp_path):
    marks = tmp_path / "marks"
    marks.mkdir()
    script = fake_script(tmp_path, "gpus.sh", ["0", "1"])
    context = context_factory("local[1]", {
        "spark.executor.cores": "4", "spark.executor.resource.gpu.amount": "2",
        "spark.executor.resource.gpu.discoveryScript": script, "spark.task.resource.gpu.amount": "1"})
    out = context.parallelize(range(40), 8).mapPartitions(_holding(str(marks))).collect()
    assert sum(total for _, _, total in out) == sum(range(40))
    assert all(len(a) == 1 and a[0] in ("0", "1") for a, _, _ in out)
    assert max(at_once for _, at_once, _ in out) <= 2
    assert {a[0] for a, _, _ in out} == {"0", "1"}


def test_fractional_amounts_share_an_address(context_factory, tmp_path):
    script = fake_script(tmp_path, "gpu.sh", ["7"])
    context = context_factory("local[1]", {
        "spark.executor.cores": "4", "spark.executor.resource.gpu.amount": "1",
        "spark.executor.resource.gpu.discoveryScript": script, "spark.task.resource.gpu.amount": "0.25"})

    def run(iterator):
        start = time.time()
        time.sleep(0.3)
        yield TaskContext.get().resources()["gpu"].addresses, start, time.time()

    out = context.parallelize(range(4), 4).mapPartitions(run).collect()
    assert [a for a, _, _ in out] == [["7"]] * 4
    # four quarter-GPU tasks on one address: they ran together (all four started before any ended)
    assert max(s for _, s, _ in out) < min(e for _, _, e in out)


def test_local_executors_get_distinct_addresses(context_factory, tmp_path):
    script = fake_script(tmp_path, "gpus.sh", ["a", "b", "c"])
    context = context_factory("local[2]", {
        "spark.executor.resource.gpu.amount": "1", "spark.executor.resource.gpu.discoveryScript": script,
        "spark.task.resource.gpu.amount": "1"})

    def where(_):
        return os.getpid(), tuple(TaskContext.get().resources()["gpu"].addresses)

    assert context._runtime.wait_for_executors(2, 60)
    seen = dict(context.parallelize(range(40), 40).map(where).collect())
    assert len(seen) == 2 and len(set(seen.values())) == 2  # one address per executor, not shared


def test_unmeetable_profile_fails_fast(context_factory, tmp_path):
    script = fake_script(tmp_path, "gpus.sh", ["0", "1"])
    context = context_factory("local[1]", {
        "spark.executor.resource.gpu.amount": "2", "spark.executor.resource.gpu.discoveryScript": script})
    started = time.monotonic()
    three = ResourceProfileBuilder().require(TaskResourceRequests().resource("gpu", 3)).build
    with pytest.raises(SparkliteJobError, match=r"need 3 gpu each, but the executors have only 2"):
        context.parallelize(range(2), 2).withResources(three).collect()
    fpga = ResourceProfileBuilder().require(TaskResourceRequests().resource("fpga", 1)).build
    with pytest.raises(SparkliteJobError, match=r"no executor offers fpga"):
        context.parallelize(range(2), 2).withResources(fpga).collect()
    assert time.monotonic() - started < 20
    two = ResourceProfileBuilder().require(TaskResourceRequests().resource("gpu", 2)).build
    got = context.parallelize(range(2), 2).withResources(two).map(
        lambda _: TaskContext.get().resources()["gpu"].addresses).collect()
    assert got == [["0", "1"], ["0", "1"]]


def test_too_few_addresses_fail_at_start(context_factory, tmp_path):
    script = fake_script(tmp_path, "gpu.sh", ["0"])
    with pytest.raises(ConfigError, match=r"spark.executor.resource.gpu.amount=1 for 2 local executors"):
        context_factory("local[2]", {"spark.executor.resource.gpu.amount": "1",
                                     "spark.executor.resource.gpu.discoveryScript": script})


def test_driver_resources_and_conf_parsing(context_factory, tmp_path):
    script = fake_script(tmp_path, "fpga.sh", ["x"], resource="fpga")
    context = context_factory("local[1]", {"spark.driver.resource.fpga.amount": "1",
                                           "spark.driver.resource.fpga.discoveryScript": script})
    info = context.resources["fpga"]
    assert isinstance(info, ResourceInformation) and (info.name, info.addresses) == ("fpga", ["x"])
    with pytest.raises(ConfigError, match="must be whole"):
        resource_requests({"spark.task.resource.gpu.amount": "1.5"}, "task")
    assert resource_requests({"spark.task.resource.gpu.amount": "0.3"}, "task")["gpu"].amount == 0.3
    alloc = tmp_path / "res.json"
    alloc.write_text(json.dumps([{"id": {"componentName": "spark.worker", "resourceName": "gpu"},
                                  "addresses": ["0", "1"]}]))
    assert read_resources_file(str(alloc), "spark.worker.resourcesFile") == {"gpu": ["0", "1"]}


def test_the_shipped_gpu_discovery_script(tmp_path):
    """examples/getGpusResources.sh against a stand-in nvidia-smi, in Spark's output format."""
    import subprocess

    fake = tmp_path / "nvidia-smi"
    fake.write_text('#!/bin/sh\n[ "$1" = "--query-gpu=index" ] && printf "0\\n1\\n3\\n"\n')
    fake.chmod(0o755)
    script = pathlib.Path(__file__).resolve().parents[2] / "examples" / "getGpusResources.sh"
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    env.pop("CUDA_VISIBLE_DEVICES", None)
    out = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=30)
    assert json.loads(out.stdout) == {"name": "gpu", "addresses": ["0", "1", "3"]}
    env["CUDA_VISIBLE_DEVICES"] = "3,0"
    out = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=30)
    assert json.loads(out.stdout)["addresses"] == ["0", "3"]


def test_stage_level_profile_starts_and_stops_its_executors(context_factory, tmp_path):
    """A stage whose profile asks for 2-core executors with a GPU runs only on executors started
    for it (the default ones have one core, no GPU); they stop once idle."""
    from sparklite.resource import ExecutorResourceRequests
    from tests.helpers.waiting import wait_until

    script = fake_script(tmp_path, "gpus.sh", ["0", "1"])
    context = context_factory("local[2]", {
        "spark.executor.resource.gpu.discoveryScript": script,
        "spark.dynamicAllocation.executorIdleTimeout": "1s"})
    assert context._runtime.wait_for_executors(2, 60)
    default_pids = set(context._runtime.backend.process_ids().values())
    profile = (ResourceProfileBuilder().require(ExecutorResourceRequests().cores(2).resource("gpu", 1, script))
               .require(TaskResourceRequests().cpus(2).resource("gpu", 1)).build)

    def where(x):
        context_ = TaskContext.get()
        return x * x, os.getpid(), context_.cpus(), context_.resources()["gpu"].addresses[0]

    out = context.parallelize(range(20), 4).withResources(profile).map(where).collect()
    assert [v for v, _, _, _ in out] == [x * x for x in range(20)]
    assert not {pid for _, pid, _, _ in out} & default_pids
    assert {c for _, _, c, _ in out} == {2} and {g for _, _, _, g in out} <= {"0", "1"}
    # the default executors still run plain stages; the profile's executors go once idle
    assert context.parallelize(range(10), 2).map(lambda x: x + 1).sum() == 55
    backend = context._runtime.backend
    wait_until(lambda: set(backend.process_ids().values()) == default_pids, timeout=60)
    # and come back when a stage wants the profile again
    again = context.parallelize(range(6), 2).withResources(profile).map(lambda x: -x).collect()
    assert again == [-x for x in range(6)]
