"""The Ray actor that hosts one sparklite executor process (used by ray_backend.py).

Ray only places the executor and bounds its life: the actor starts
``python -m sparklite.executor`` on its node, which connects to the driver over
sparklite's own authenticated gRPC, exactly like a local executor. The process
watches the actor's pid (``--parent-pid``), so when Ray kills the actor, or its
node goes away, the executor exits too; the driver then sees its stream close.

Accelerator ids Ray assigns to the actor (``GPU``) become the executor's ``gpu``
addresses; other resources get the addresses their discovery script reports on
this node, else ``0..amount-1``.

This module imports ray only inside the actor, so it loads without the extra.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from typing import Any


class ExecutorHost:
    """Actor body (wrapped with ``ray.remote`` by the backend)."""

    def __init__(self, executor_id: str, driver_address: str, app_id: str, cores: int,
                 security: dict[str, str], env: dict[str, str], resource_amounts: dict[str, float],
                 scripts: dict[str, str], profile_id: int = 0):
        import ray

        self.executor_id = executor_id
        self.node_ip = node_address()
        self.resources = _addresses(ray.get_runtime_context().get_accelerator_ids(), resource_amounts,
                                    scripts)
        self.local_dir = os.path.join(tempfile.gettempdir(), "sparklite-ray", app_id)
        os.makedirs(self.local_dir, exist_ok=True)
        child_env = dict(os.environ)
        child_env.update(env)
        child_env.update(security)  # the secret and TLS paths, never on the command line
        child_env["PYTHONHASHSEED"] = "0"  # every executor hashes alike (see sparklite.hashing)
        cmd = [sys.executable, "-m", "sparklite.executor", "--driver", driver_address,
               "--executor-id", executor_id, "--cores", str(cores), "--app-id", app_id,
               "--local-dir", self.local_dir, "--host", self.node_ip, "--parent-pid", str(os.getpid()),
               "--resources", json.dumps(self.resources), "--profile-id", str(profile_id)]
        self.proc = subprocess.Popen(cmd, env=child_env, stdin=subprocess.DEVNULL, close_fds=True)

    def info(self) -> dict[str, Any]:
        """Where it runs: the executor's pid, the actor's own pid, node address, resources."""
        import ray

        return {"pid": self.proc.pid, "actor_pid": os.getpid(), "node_ip": self.node_ip,
                "node_id": ray.get_runtime_context().get_node_id(), "resources": self.resources}

    def wait(self) -> int:
        """Block until the executor process exits; its exit code (the backend watches this)."""
        code = self.proc.wait()
        try:
            os.rmdir(self.local_dir)  # the app's directory on this node, once no executor uses it
        except OSError:
            pass
        return code

    def stop(self, timeout: float = 5.0) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        shutil.rmtree(os.path.join(self.local_dir, f"executor-{self.executor_id}"), ignore_errors=True)


def node_address() -> str:
    """The address of this process's Ray node as the cluster knows it (``ray start
    --node-ip-address``), not whatever the default route would pick."""
    import ray

    node_id = ray.get_runtime_context().get_node_id()
    for node in ray.nodes():
        if node.get("NodeID") == node_id and node.get("NodeManagerAddress"):
            return str(node["NodeManagerAddress"])
    return ray.util.get_node_ip_address()


def _addresses(accelerators: dict[str, list[Any]], amounts: dict[str, float],
               scripts: dict[str, str]) -> dict[str, list[str]]:
    from sparklite.resource_discovery import run_discovery_script

    found: dict[str, list[str]] = {}
    for name, amount in amounts.items():
        if name == "gpu":
            found[name] = [str(a) for a in accelerators.get("GPU", [])]
        elif scripts.get(name):
            found[name] = run_discovery_script(name, scripts[name],
                                               f"spark.executor.resource.{name}.discoveryScript")
        else:
            found[name] = [str(i) for i in range(int(amount))]
    return found
