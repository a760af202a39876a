"""MasterState's application records: dead drivers expire to FAILED, ended apps are retained boundedly."""
from __future__ import annotations

from sparklite.deploy.master_state import MasterState
from sparklite.rpc.generated import sparklite_pb2 as pb


def _worker(state: MasterState, worker_id: str = "w1", cores: int = 4) -> None:
    state.register_worker(pb.RegisterWorker(worker_id=worker_id, host="h", cores=cores, memory=8 << 30), 0.0)


def _app(state: MasterState, app_id: str) -> list:
    return state.register_app(pb.RegisterApplication(app_id=app_id, name=app_id, driver_address="d:1",
                                                     executor_cores=1, executor_memory=1 << 30,
                                                     executor_instances=1))


def _kills(commands: list) -> list[str]:
    return [msg.kill.app_id for target, _, msg in commands if target == "worker" and msg.WhichOneof("kind") == "kill"]


def test_a_driver_that_does_not_come_back_ends_failed_without_killing_its_executors():
    state = MasterState("m")
    _worker(state)
    _app(state, "a")
    state.app_disconnected("a", now=100.0)
    assert state.expire_apps(now=150.0, timeout=60.0) == []  # it may still come back
    assert state.apps["a"].state == "DISCONNECTED"
    commands = state.expire_apps(now=161.0, timeout=60.0)
    assert state.apps["a"].state == "FAILED" and "did not come back within 60 s" in state.apps["a"].reason
    assert _kills(commands) == []  # they end with their driver's connection
    status = {a.app_id: a for a in state.status(161.0).applications}
    assert status["a"].state == "FAILED" and status["a"].reason


def test_a_failed_app_that_re_registers_runs_again():
    state = MasterState("m")
    _worker(state)
    _app(state, "a")
    state.app_disconnected("a", now=0.0)
    state.expire_apps(now=100.0, timeout=60.0)
    _app(state, "a")
    assert state.apps["a"].state == "RUNNING" and state.apps["a"].reason == ""


def test_unregistering_ends_finished_or_failed_and_kills_the_executors():
    state = MasterState("m")
    _worker(state)
    _app(state, "ok")
    _app(state, "bad")
    assert _kills(state.unregister_app("ok", "FINISHED", "", now=1.0)) == ["ok"]
    assert _kills(state.unregister_app("bad", "FAILED", "RuntimeError: boom", now=2.0)) == ["bad"]
    assert (state.apps["ok"].state, state.apps["ok"].reason) == ("FINISHED", "")
    assert (state.apps["bad"].state, state.apps["bad"].reason) == ("FAILED", "RuntimeError: boom")
    state.app_disconnected("ok", now=3.0)  # its stream ends after the unregister: still FINISHED
    assert state.apps["ok"].state == "FINISHED"


def test_only_the_last_retained_ended_apps_are_kept():
    state = MasterState("m", retained_apps=3)
    _worker(state, cores=64)
    for i in range(10):
        _app(state, f"app{i}")
    _app(state, "alive")
    for i in range(10):
        state.unregister_app(f"app{i}", "FINISHED", "", now=float(i))
    assert sorted(state.apps) == ["alive", "app7", "app8", "app9"]
    for i in range(5):
        _app(state, f"gone{i}")
        state.app_disconnected(f"gone{i}", now=100.0 + i)
    state.expire_apps(now=1000.0, timeout=60.0)
    assert len([a for a in state.apps.values() if a.ended]) == 3 and "alive" in state.apps
