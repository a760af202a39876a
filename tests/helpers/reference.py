"""Plain-Python reference implementations that sparklite results are compared with."""
from __future__ import annotations

from collections import Counter, defaultdict
from functools import reduce
from typing import Any, Callable, Iterable


def reduce_by_key(pairs: Iterable[tuple[Any, Any]], f: Callable[[Any, Any], Any]) -> dict[Any, Any]:
    out: dict[Any, Any] = {}
    for k, v in pairs:
        out[k] = f(out[k], v) if k in out else v
    return out


def group_by_key(pairs: Iterable[tuple[Any, Any]]) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = defaultdict(list)
    for k, v in pairs:
        out[k].append(v)
    return dict(out)


def join(left: list[tuple[Any, Any]], right: list[tuple[Any, Any]], how: str = "inner") -> list[tuple[Any, Any]]:
    lg, rg = group_by_key(left), group_by_key(right)
    out = []
    keys = set(lg) | set(rg)
    for k in keys:
        vs, ws = lg.get(k, []), rg.get(k, [])
        if vs and ws:
            out.extend((k, (v, w)) for v in vs for w in ws)
        elif vs and how in ("left", "full"):
            out.extend((k, (v, None)) for v in vs)
        elif ws and how in ("right", "full"):
            out.extend((k, (None, w)) for w in ws)
    return out


def word_count(lines: Iterable[str]) -> Counter:
    return Counter(w for line in lines for w in line.split())


def multiset(items: Iterable[Any]) -> Counter:
    return Counter(repr(x) for x in items)


def fold(items: list[Any], zero: Any, op: Callable[[Any, Any], Any]) -> Any:
    return reduce(op, items, zero)
