"""Aggregator: the three functions of combineByKey, plus a hint for fast loops.

``kind`` names a common shape so the combine loops can skip Python calls per
record: ``"reduce"`` (createCombiner is the identity and the two merges are the
same function, as reduceByKey builds it) and ``"list"`` (groupByKey's
append/extend). Any other aggregator runs the general loop. A ``"reduce"``
aggregator whose function is ``+``, ``max`` or ``min`` (``op``, see
``combine_loops``) folds with that operation inline.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from sparklite.shuffle import combine_loops, known_functions


@dataclass(frozen=True)
class Aggregator:
    create_combiner: Callable[[Any], Any]
    merge_value: Callable[[Any, Any], Any]
    merge_combiners: Callable[[Any, Any], Any]
    kind: str = "general"
    #: "add", "max", "min": a reduce function the loops spell inline (see combine_loops)
    op: str = ""

    @classmethod
    def for_reduce(cls, func: Callable[[Any, Any], Any]) -> Aggregator:
        return cls(_identity, func, func, "reduce", known_functions.reducer_op(func))

    @classmethod
    def for_list(cls) -> Aggregator:
        return cls(_singleton, _append, _extend, "list")

    def combine_values(self, records: Iterable[Any], into: dict | None = None,
                       func: Callable[[Any], Any] | None = None) -> dict:
        """Fold (key, value) records into ``{key: combiner}`` (map side); with ``func`` the
        records are ``func(x)`` for each ``x`` (the pipeline's last map, see combine_loops)."""
        d: dict = {} if into is None else into
        if self.op and combine_loops.fold(self.op, records, d, func):
            return d
        if func is not None:
            if self.kind == "reduce":
                combine_loops.fold_reduce_mapped(records, d, func, self.merge_value)
                return d
            if self.kind == "list":
                combine_loops.fold_list_mapped(records, d, func)
                return d
            records = map(func, records)
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
        if self.op and combine_loops.fold(self.op, records, d):
            return d
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

