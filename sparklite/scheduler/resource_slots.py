"""The addresses of one executor's resources and the share of each that running tasks hold.

An executor registers with its addresses (``{"gpu": ["0", "1"]}``). A task that
needs ``amount`` of a resource takes, as Spark does, either one share of a single
address (an amount below 1 is rounded down to 1/k: 0.25 lets four tasks share an
address) or ``amount`` whole addresses. Shares are exact fractions, so tasks of
stages with different amounts can share an executor without float drift.

THREADING: used only on the scheduler thread (through TaskScheduler).
"""
from __future__ import annotations

from fractions import Fraction
from typing import Mapping

from sparklite.resource_discovery import task_parts

Assignment = dict[str, list[str]]


class ExecutorResources:
    def __init__(self, addresses: Mapping[str, list[str]]):
        #: name -> address -> free share of that address (1 = unused)
        self.free: dict[str, dict[str, Fraction]] = {
            name: {a: Fraction(1) for a in addrs} for name, addrs in addresses.items()}

    def addresses(self) -> dict[str, list[str]]:
        return {name: list(shares) for name, shares in self.free.items()}

    def capacity(self, wants: Mapping[str, float]) -> int | None:
        """How many more tasks wanting ``wants`` fit now (None: no limit from resources)."""
        limit: int | None = None
        for name, amount in wants.items():
            shares = self.free.get(name, {})
            part = task_parts(name, amount)
            if amount >= 1:
                fit = sum(1 for s in shares.values() if s == 1) // int(amount)
            else:
                fit = sum(int(s / part) for s in shares.values())
            limit = fit if limit is None else min(limit, fit)
        return limit

    def acquire(self, wants: Mapping[str, float]) -> Assignment | None:
        """Take what one task wants; None (and nothing taken) if it does not fit now."""
        if self.capacity(wants) == 0:
            return None
        assigned: Assignment = {}
        for name, amount in wants.items():
            shares = self.free[name]
            part = task_parts(name, amount)
            if amount >= 1:
                picked = [a for a, s in shares.items() if s == 1][:int(amount)]
            else:
                # the most used address that still has room: keeps whole addresses free
                candidates = [a for a, s in shares.items() if s >= part]
                picked = [min(candidates, key=lambda a: (shares[a], list(shares).index(a)))]
            for a in picked:
                shares[a] -= part
            assigned[name] = picked
        return assigned

    def release(self, assigned: Assignment, wants: Mapping[str, float]) -> None:
        for name, picked in assigned.items():
            shares = self.free.get(name)
            if shares is None:
                continue
            part = task_parts(name, wants.get(name, 1.0))
            for a in picked:
                if a in shares:
                    shares[a] = min(Fraction(1), shares[a] + part)

    def offers(self, name: str) -> int:
        """How many addresses of ``name`` this executor has (free or not)."""
        return len(self.free.get(name, {}))
