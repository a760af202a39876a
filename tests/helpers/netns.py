"""Test hosts as Linux network namespaces on one bridge (iproute2; needs root).

Each host gets a namespace with one veth interface on a /24 carved from
198.18.0.0/15 (the range reserved for network tests), with a random third
octet so concurrent runs do not collide; the root namespace is on the same
bridge as ``.254``. ``cut``/``restore`` take a host's link down and up.
Everything is removed in ``close``.
"""
from __future__ import annotations

import os
import random
import shutil
import subprocess


def available() -> str | None:
    """None if namespaces can be made here, else why not."""
    if os.geteuid() != 0:
        return "needs root (CI runs as root)"
    if shutil.which("ip") is None:
        return "needs iproute2's ip command"
    probe = f"slprobe{os.getpid() % 100000}"
    result = subprocess.run(["ip", "netns", "add", probe], capture_output=True, text=True)
    if result.returncode != 0:
        return f"ip netns add failed: {result.stderr.strip()}"
    subprocess.run(["ip", "netns", "del", probe], capture_output=True)
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


class TestNetwork:
    def __init__(self, hosts: list[str]):
        tag = f"{os.getpid() % 1000:03d}{random.randrange(100):02d}"
        self.octet = random.randrange(2, 250)
        self.subnet = f"198.18.{self.octet}"
        self.bridge = f"slbr{tag}"
        self.driver_ip = f"{self.subnet}.254"
        self.hosts: dict[str, tuple[str, str, str]] = {}  # name -> (netns, root-side veth, ip)
        try:
            _ip("link", "add", self.bridge, "type", "bridge")
            _ip("addr", "add", f"{self.driver_ip}/24", "dev", self.bridge)
            _ip("link", "set", self.bridge, "up")
            for i, name in enumerate(hosts, 1):
                ns, veth, ip = f"sl{tag}{name}", f"sl{tag}{i}", f"{self.subnet}.{i}"
                _ip("netns", "add", ns)
                self.hosts[name] = (ns, veth, ip)
                _ip("link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns)
                _ip("link", "set", veth, "master", self.bridge)
                _ip("link", "set", veth, "up")
                _ip("-n", ns, "addr", "add", f"{ip}/24", "dev", "eth0")
                _ip("-n", ns, "link", "set", "eth0", "up")
                _ip("-n", ns, "link", "set", "lo", "up")
        except BaseException:
            self.close()
            raise

    def ns(self, host: str) -> str:
        return self.hosts[host][0]

    def ip(self, host: str) -> str:
        return self.hosts[host][2]

    def cut(self, host: str) -> None:
        """Take the host off the network (its processes keep running)."""
        _ip("link", "set", self.hosts[host][1], "down")

    def restore(self, host: str) -> None:
        _ip("link", "set", self.hosts[host][1], "up")

    def close(self) -> None:
        for ns, veth, _ in self.hosts.values():
            subprocess.run(["ip", "link", "del", veth], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        self.hosts.clear()
