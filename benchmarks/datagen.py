"""Deterministic inputs for the benchmark workloads (the spec in ../shared/BASELINES.md).

Generated files are cached under benchmarks/data/ (not committed).
"""
from __future__ import annotations

import itertools
import os
import pathlib
import random

DATA = pathlib.Path(__file__).resolve().parent / "data"

MASK32 = 0xFFFFFFFF


def mix(x: int) -> int:
    """A deterministic 32-bit integer mix hash (for keys made in-engine)."""
    x &= MASK32
    x = ((x ^ (x >> 16)) * 0x45D9F3B) & MASK32
    x = ((x ^ (x >> 16)) * 0x45D9F3B) & MASK32
    return x ^ (x >> 16)


def _zipf_cumulative(n: int, s: float = 1.0) -> list[float]:
    return list(itertools.accumulate(1.0 / (k ** s) for k in range(1, n + 1)))


def corpus(scale: float = 1.0) -> pathlib.Path:
    """W1: ~200 MiB at scale 1: 2.74M lines of 5-15 Zipf(1) words from a 100k vocabulary."""
    lines_total = int(2_740_000 * scale)
    path = DATA / f"w1_corpus_{lines_total}.txt"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    letters = "abcdefghijklmnopqrstuvwxyz"
    vocab = list(dict.fromkeys("".join(rng.choice(letters) for _ in range(rng.randint(2, 12)))
                               for _ in range(110_000)))[:100_000]
    cum = _zipf_cumulative(len(vocab))
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        batch = []
        for _ in range(lines_total):
            n = rng.randint(5, 15)
            batch.append(" ".join(rng.choices(vocab, cum_weights=cum, k=n)))
            if len(batch) >= 10_000:
                f.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            f.write("\n".join(batch) + "\n")
    os.replace(tmp, path)
    return path


def edges(scale: float = 1.0) -> pathlib.Path:
    """W5: 'src dst' lines: 100k nodes, 1M unique edges, in-degree Zipf-skewed (at scale 1)."""
    nodes = max(100, int(100_000 * scale))
    target = int(1_000_000 * scale)
    path = DATA / f"w5_edges_{nodes}_{target}.txt"
    if path.exists():
        return path
    DATA.mkdir(parents=True, exist_ok=True)
    rng = random.Random(5)
    cum = _zipf_cumulative(nodes, 0.8)
    seen: set[tuple[int, int]] = set()
    while len(seen) < target:
        srcs = [rng.randrange(nodes) for _ in range(100_000)]
        dsts = rng.choices(range(nodes), cum_weights=cum, k=100_000)
        for s, d in zip(srcs, dsts):
            if s != d:
                seen.add((s, d))
                if len(seen) >= target:
                    break
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as f:
        for s, d in sorted(seen):
            f.write(f"{s} {d}\n")
    os.replace(tmp, path)
    return path
