"""A standalone cluster of real processes for tests: a master and workers, started with the CLIs.

Everything it starts it stops (by PID) in ``close``; ports are chosen by the
OS (port 0) and read back from the master's output.
"""
from __future__ import annotations

import os
import pathlib
import re
import signal
import subprocess
import sys
from typing import Any

import grpc

from sparklite.config import Settings
from sparklite.rpc.channels import RpcSecurity, TLSConfig, make_channel
from sparklite.rpc.security import read_secret
from sparklite.rpc.generated import sparklite_pb2 as pb
from sparklite.rpc.services import MASTER, Stub
from tests.helpers.waiting import wait_until


def write_properties(path: pathlib.Path, props: dict[str, str]) -> pathlib.Path:
    path.write_text("".join(f"{k} {v}\n" for k, v in props.items()))
    return path


class LocalCluster:
    def __init__(self, tmp: pathlib.Path, props: dict[str, str], host: str = "127.0.0.1",
                 netns: dict[str, str] | None = None):
        self.tmp = tmp
        self.host = host
        self.props = dict(props)
        self.props_file = write_properties(tmp / "cluster.properties", self.props)
        self.netns = netns or {}
        self.master: subprocess.Popen | None = None
        self.master_port = 0
        self.workers: dict[str, subprocess.Popen] = {}
        self._procs: list[subprocess.Popen] = []
        self._logs: list[Any] = []

    # ------------------------------------------------------------------ processes

    def _spawn(self, name: str, args: list[str], ns: str | None = None) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "w")
        self._logs.append(log)
        script = os.path.join(os.path.dirname(sys.executable), args[0])  # the installed console script
        cmd = [script, *args[1:]]
        if ns:
            cmd = ["ip", "netns", "exec", ns, *cmd]
        env = dict(os.environ)
        env.pop("SPARKLITE_SUBMIT_CONF", None)
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=log, text=True, env=env,
                                cwd=str(self.tmp))
        self._procs.append(proc)
        return proc

    def start_master(self, port: int = 0, host: str | None = None, ns: str | None = None) -> str:
        host = host or self.host
        self.master = self._spawn("master", ["sparklite-master", "--host", host, "--port", str(port),
                                             "--webui-port", "0", "--properties-file",
                                             str(self.props_file)], ns)
        line = self.master.stdout.readline()
        match = re.search(r"MASTER_URL sparklite://(.+):(\d+)", line)
        if not match:
            raise RuntimeError(f"master did not start: {line!r}\n{self.log('master')}")
        self.master_port = int(match.group(2))
        self.master_host = match.group(1)
        return self.url

    @property
    def url(self) -> str:
        return f"sparklite://{self.master_host}:{self.master_port}"

    def start_worker(self, name: str, cores: int = 1, memory: str = "1g", host: str | None = None,
                     ns: str | None = None) -> subprocess.Popen:
        work = self.tmp / f"work-{name}"
        proc = self._spawn(f"worker-{name}", ["sparklite-worker", "--master", self.url, "--cores", str(cores),
                                              "--memory", memory, "--work-dir", str(work), "--host",
                                              host or self.host, "--webui-port", "0",
                                              "--properties-file", str(self.props_file)], ns)
        self.workers[name] = proc
        return proc

    def log(self, name: str) -> str:
        path = self.tmp / f"{name}.log"
        return path.read_text() if path.exists() else ""

    # ------------------------------------------------------------------ status

    def security(self) -> RpcSecurity:
        tls = None
        if self.props.get("spark.ssl.enabled") == "true":
            tls = TLSConfig(self.props["sparklite.ssl.certFile"], self.props["sparklite.ssl.keyFile"],
                            self.props["sparklite.ssl.caFile"])
        return RpcSecurity(read_secret(Settings(self.props)), tls, self.props.get("sparklite.ssl.serverName"))

    def status(self) -> pb.ClusterStatus:
        channel = make_channel(f"{self.master_host}:{self.master_port}", self.security())
        try:
            return Stub(channel, MASTER).Status(pb.StatusRequest(), timeout=10)
        finally:
            channel.close()

    def wait_workers(self, count: int, timeout: float = 60) -> None:
        def alive() -> bool:
            try:
                return len([w for w in self.status().workers if w.state == "ALIVE"]) == count
            except grpc.RpcError:
                return False

        wait_until(alive, timeout, message=f"{count} alive workers")

    # ------------------------------------------------------------------ teardown

    def stop_process(self, proc: subprocess.Popen | None, sig: int = signal.SIGTERM) -> None:
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)

    def close(self) -> None:
        for proc in self.workers.values():
            self.stop_process(proc)
        for proc in self._procs:
            self.stop_process(proc)
            if proc.stdout is not None:
                proc.stdout.close()
        for log in self._logs:
            log.close()
