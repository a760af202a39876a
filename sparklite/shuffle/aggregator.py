"""Aggregator: the three functions of combineByKey, plus a hint for fast loops.

``kind`` names a common shape so the combine loops can skip Python calls per
record: ``"reduce"`` (createCombiner is the identity and the two merges are the
same function, as reduceByKey builds it) and ``"list"`` (groupByKey's
append/extend). Any other aggregator runs the general loop.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable


@dataclass(frozen=True)
class Aggregator:
    create_combiner: Callable[[Any], Any]
    merge_value: Callable[[Any, Any], Any]
    merge_combiners: Callable[[Any, Any], Any]
    kind: str = "general"

    @classmethod
    def for_reduce(cls, func: Callable[[Any, Any], Any]) -> Aggregator:
        return cls(_identity, func, func, "reduce")

    @classmethod
    def for_list(cls) -> Aggregator:
        return cls(_singleton, _append, _extend, "list")

    def combine_values(self, records: Iterable[tuple[Any, Any]], into: dict | None = None) -> dict:
        """Fold (key, value) records into ``{key: combiner}`` (map side)."""
        d: dict = {} if into is None else into
        if self.kind == "reduce":
            f = self.merge_value
            for k, v in records:
                try:  # only the lookup is guarded: a KeyError from f must propagate
                    c = d[k]
                except KeyError:
                    d[k] = v
                    continue
                d[k] = f(c, v)
        elif self.kind == "list":
            for k, v in records:
                try:
                    d[k].append(v)
                except KeyError:
                    d[k] = [v]
        else:
            create, merge = self.create_combiner, self.merge_value
            for k, v in records:
                try:
                    c = d[k]
                except KeyError:
                    d[k] = create(v)
                    continue
                d[k] = merge(c, v)
        return d

    def combine_combiners(self, records: Iterable[tuple[Any, Any]], into: dict | None = None) -> dict:
        """Fold (key, combiner) records into ``{key: combiner}`` (reduce side)."""
        d: dict = {} if into is None else into
        if self.kind == "list":
            for k, c in records:
                try:
                    d[k].extend(c)
                except KeyError:
                    d[k] = c
        else:
            f = self.merge_combiners
            for k, c in records:
                try:
                    prev = d[k]
                except KeyError:
                    d[k] = c
                    continue
                d[k] = f(prev, c)
        return d


def _identity(x: Any) -> Any:
    return x


def _singleton(x: Any) -> list:
    return [x]


def _append(xs: list, x: Any) -> list:
    xs.append(x)
    return xs


def _extend(xs: list, ys: list) -> list:
    xs.extend(ys)
    return xs

