"""Resource keys of a configuration, discovery scripts and resources files (Spark 3's formats).

Spark's resource keys are patterns, one set per resource name:

* ``spark.{driver,executor,worker}.resource.<name>.amount``: how many addresses
  of ``<name>`` (``gpu``, ``fpga``...) the component needs;
* ``spark.{driver,executor,worker}.resource.<name>.discoveryScript``: a program
  that prints ``{"name": "<name>", "addresses": ["0", "1", ...]}`` (one JSON
  object) and exits 0 — ``examples/getGpusResources.sh`` for NVIDIA GPUs;
* ``...vendor`` is recorded (Kubernetes device plugins use it), nothing else;
* ``spark.task.resource.<name>.amount``: how much of one address a task needs
  (a fraction like 0.25 lets four tasks share an address; above 1 it must be
  whole);
* ``spark.{driver,worker}.resourcesFile``: a JSON list of allocations, each
  ``{"id": {"componentName": ..., "resourceName": "gpu"}, "addresses": [...]}``
  (``{"name": "gpu", "addresses": [...]}`` entries are accepted too), used
  instead of running discovery scripts.

Who discovers: the driver for ``sc.resources``; in local mode the driver too,
once, then hands each local executor its own slice of the addresses (executors
on one machine must not share a GPU unknowingly); on a standalone cluster each
worker discovers its own and the master gives every executor distinct addresses.
"""
from __future__ import annotations

import json
import os
import re
import subprocess
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

from sparklite.errors import ConfigError

#: a discovery script that runs longer than this is a broken one
DISCOVERY_TIMEOUT = 60.0

_KEY = re.compile(r"spark\.(driver|executor|worker|task)\.resource\.([^.]+)\.(amount|discoveryScript|vendor)")


@dataclass(frozen=True)
class ResourceRequest:
    """What one component asks of one resource name."""

    name: str
    amount: float
    discovery_script: str = ""
    vendor: str = ""


def resource_requests(raw: Mapping[str, str], component: str) -> dict[str, ResourceRequest]:
    """The resources ``component`` (driver, executor, worker, task) asks for in ``raw``.

    Raises ConfigError naming the key for an amount that is not a positive number, a task
    amount above 1 that is not whole, or a script/vendor without an amount.
    """
    found: dict[str, dict[str, str]] = {}
    for key, value in raw.items():
        m = _KEY.fullmatch(key)
        if m and m.group(1) == component:
            found.setdefault(m.group(2), {})[m.group(3)] = str(value).strip()
    requests: dict[str, ResourceRequest] = {}
    for name, fields in sorted(found.items()):
        key = f"spark.{component}.resource.{name}.amount"
        if "amount" not in fields and component == "executor":
            continue  # only a script: the default executors get none; profiles' executors may use it
        if "amount" not in fields:
            raise ConfigError(f"{key} must be set: spark.{component}.resource.{name}.* is configured "
                              f"but not how many {name} addresses are needed")
        try:
            amount = float(fields["amount"])
        except ValueError:
            raise ConfigError(f"invalid value {fields['amount']!r} for config key {key}: must be a "
                              f"number") from None
        if amount == 0 and component != "task":
            continue  # Spark: an amount of 0 asks for nothing
        if amount <= 0:
            raise ConfigError(f"invalid value {fields['amount']!r} for config key {key}: must be positive")
        if component != "task" and amount != int(amount):
            raise ConfigError(f"invalid value {fields['amount']!r} for config key {key}: must be a "
                              f"whole number of addresses")
        if component == "task":
            task_parts(name, amount, key)  # validates
        requests[name] = ResourceRequest(name, amount, fields.get("discoveryScript", ""),
                                         fields.get("vendor", ""))
    return requests


def task_parts(name: str, amount: float, what: str = "") -> Fraction:
    """The share of one address a task with ``amount`` of ``name`` takes (1 for whole amounts).

    As Spark: an amount below 1 is rounded down to 1/k for a whole k (0.3 -> a third, three
    tasks per address); above 1 it must be whole (that many addresses, each wholly).
    """
    if amount >= 1:
        if amount != int(amount):
            raise ConfigError(f"{what or name}: a task resource amount above 1 must be whole, got {amount:g}")
        return Fraction(1)
    parts = int(1 / amount + 1e-9)
    return Fraction(1, parts)


def run_discovery_script(name: str, script: str, key: str) -> list[str]:
    """Run ``script`` and return the addresses it reports for ``name``."""
    if not os.path.isfile(script) or not os.access(script, os.X_OK):
        raise ConfigError(f"{key}={script}: the discovery script for resource {name!r} is not an "
                          f"executable file")
    try:
        done = subprocess.run([script], capture_output=True, text=True, timeout=DISCOVERY_TIMEOUT,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise ConfigError(f"{key}={script}: the discovery script for resource {name!r} did not finish "
                          f"within {DISCOVERY_TIMEOUT:.0f} s") from None
    if done.returncode != 0:
        raise ConfigError(f"{key}={script}: the discovery script for resource {name!r} exited with code "
                          f"{done.returncode}: {done.stderr.strip()[-500:]}")
    try:
        data = json.loads(done.stdout)
    except ValueError as exc:
        raise ConfigError(f"{key}={script}: the discovery script for resource {name!r} must print one "
                          f"JSON object like {{\"name\": \"{name}\", \"addresses\": [\"0\"]}}; it printed "
                          f"{done.stdout.strip()[:200]!r} ({exc})") from None
    if not isinstance(data, dict) or data.get("name") != name or not isinstance(data.get("addresses"), list):
        raise ConfigError(f"{key}={script}: the discovery script reported {str(data)[:200]}, expected "
                          f"{{\"name\": \"{name}\", \"addresses\": [...]}}")
    return [str(a) for a in data["addresses"]]


def read_resources_file(path: str, key: str) -> dict[str, list[str]]:
    """Allocations from a resources file (``spark.worker.resourcesFile`` and friends)."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise ConfigError(f"{key}={path}: cannot read the resources file: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise ConfigError(f"{key}={path}: the resources file is not JSON: {exc}") from None
    if not isinstance(data, list):
        raise ConfigError(f"{key}={path}: the resources file must hold a JSON list of allocations")
    found: dict[str, list[str]] = {}
    for item in data:
        name = item.get("name") or (item.get("id") or {}).get("resourceName") if isinstance(item, dict) else None
        if not name or not isinstance(item.get("addresses"), list):
            raise ConfigError(f"{key}={path}: an allocation must name its resource and list its "
                              f"addresses, got {str(item)[:200]}")
        found.setdefault(str(name), []).extend(str(a) for a in item["addresses"])
    return found


def discover(raw: Mapping[str, str], component: str) -> dict[str, list[str]]:
    """Addresses of every resource ``component`` asks for: from its resources file, else from
    its discovery scripts. Raises ConfigError when fewer addresses exist than the amount asks."""
    requests = resource_requests(raw, component)
    if not requests:
        return {}
    file_key = f"spark.{component}.resourcesFile"
    from_file = read_resources_file(raw[file_key], file_key) if raw.get(file_key) else {}
    found: dict[str, list[str]] = {}
    for name, request in requests.items():
        key = f"spark.{component}.resource.{name}.discoveryScript"
        if name in from_file:
            addresses = from_file[name]
        elif request.discovery_script:
            addresses = run_discovery_script(name, request.discovery_script, key)
        else:
            raise ConfigError(f"spark.{component}.resource.{name}.amount is set but neither {key} nor "
                              f"{file_key} says which {name} addresses exist")
        if len(addresses) < request.amount:
            raise ConfigError(f"spark.{component}.resource.{name}.amount={request.amount:g} but only "
                              f"{len(addresses)} {name} address(es) were found: {addresses}")
        found[name] = addresses
    return found


class AddressPool:
    """Free addresses of one machine's resources, handed out whole to executors.

    Used by the local backend (the driver's machine) and per worker by the master,
    so no two executors are ever given the same address.
    """

    def __init__(self, found: Mapping[str, list[str]]):
        self.total = {name: list(addresses) for name, addresses in found.items()}
        self._free = {name: list(addresses) for name, addresses in found.items()}

    def add(self, name: str, addresses: list[str]) -> None:
        """Addresses of a resource discovered later (one a ResourceProfile asks for)."""
        self.total[name] = list(addresses)
        self._free[name] = list(addresses)

    def can_take(self, amounts: Mapping[str, float]) -> bool:
        return all(len(self._free.get(name, [])) >= int(amount) for name, amount in amounts.items())

    def take(self, amounts: Mapping[str, float]) -> dict[str, list[str]] | None:
        """``amounts`` addresses of each resource, or None (nothing taken) if some are short."""
        if not self.can_take(amounts):
            return None
        taken: dict[str, list[str]] = {}
        for name, amount in amounts.items():
            need = int(amount)
            taken[name], self._free[name] = self._free[name][:need], self._free[name][need:]
        return taken

    def give_back(self, taken: Mapping[str, list[str]]) -> None:
        for name, addresses in taken.items():
            free = self._free.setdefault(name, [])
            order = self.total.get(name, [])
            free.extend(a for a in addresses if a not in free)
            free.sort(key=lambda a: order.index(a) if a in order else len(order))
