"""The master gives executors distinct worker addresses and never more than a worker has."""
from __future__ import annotations

from sparklite.deploy.master_state import MasterState
from sparklite.rpc.generated import sparklite_pb2 as pb


def _launches(commands):
    return [m.launch for kind, _, m in commands if kind == "worker" and m.WhichOneof("kind") == "launch"]


def test_addresses_are_distinct_and_bound_the_executor_count():
    state = MasterState("m")
    state.register_worker(pb.RegisterWorker(worker_id="w", host="h", cores=8, memory=8 << 30,
                                            resource_addresses={"gpu": pb.ResourceAddresses(addresses=["0", "1"])}), 0.0)
    commands = state.register_app(pb.RegisterApplication(
        app_id="a", driver_address="d:1", executor_cores=1, executor_memory=1 << 20,
        executor_resources={"gpu": 1}))
    launches = _launches(commands)
    assert sorted(l.resources["gpu"].addresses[0] for l in launches) == ["0", "1"]  # 8 cores, 2 gpus
    # an executor exits: its address is free for the next one
    again = _launches(state.executor_state_changed("w", pb.ExecutorStateChanged(
        app_id="a", executor_id=launches[0].executor_id, state="EXITED")))
    assert len(again) == 1 and list(again[0].resources["gpu"].addresses) == list(launches[0].resources["gpu"].addresses)
    # an application without resource requests still gets the worker's cores
    plain = _launches(state.register_app(pb.RegisterApplication(
        app_id="b", driver_address="d:2", executor_cores=1, executor_memory=1 << 20)))
    assert len(plain) == 6 and all(not l.resources for l in plain)
