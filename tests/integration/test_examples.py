"""The Spark RDD example programs, run as users run them (sparklite-submit, a subprocess) on small
inputs; every answer is checked against a plain-Python computation of the same thing."""
from __future__ import annotations

import ast
import importlib.util
import math
import random
import re
from collections import defaultdict

import pytest

from tests.integration.test_submit import ROOT, SUBMIT, run


def submit(*args):
    out = run(SUBMIT + ["--master", "local[2]", *map(str, args)])
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_sort(tmp_path):
    rng = random.Random(3)
    numbers = [rng.randrange(-1000, 1000) for _ in range(500)]
    path = tmp_path / "numbers.txt"
    path.write_text("\n".join(" ".join(map(str, numbers[i:i + 7])) for i in range(0, len(numbers), 7)))
    printed = [int(line) for line in submit("examples/sort.py", path).split()]
    assert printed == sorted(numbers)


def _pagerank_reference(pairs, iterations):
    links = defaultdict(list)
    for src, dst in sorted(set(pairs)):
        links[src].append(dst)
    ranks = {url: 1.0 for url in links}
    for _ in range(iterations):
        contribs = defaultdict(float)
        for url, neighbors in links.items():
            if url in ranks:
                for n in neighbors:
                    contribs[n] += ranks[url] / len(neighbors)
        ranks = {url: c * 0.85 + 0.15 for url, c in contribs.items()}
    return ranks


def test_pagerank(tmp_path):
    rng = random.Random(5)
    pages = [f"p{i}" for i in range(30)]
    pairs = [(rng.choice(pages), rng.choice(pages)) for _ in range(150)] + [("p0", "p1")] * 3
    path = tmp_path / "links.txt"
    path.write_text("\n".join(f"{a} {b}" for a, b in pairs))
    out = submit("examples/pagerank.py", path, 6)
    ranks = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\S+) has rank: (\S+)\.$", out, re.M)}
    expected = _pagerank_reference(pairs, 6)
    assert ranks.keys() == expected.keys()
    for url, rank in expected.items():
        assert ranks[url] == pytest.approx(rank, rel=1e-9)


def test_transitive_closure():
    spec = importlib.util.spec_from_file_location("tc_example", ROOT / "examples" / "transitive_closure.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines generateGraph with the example's seeded Random(42)
    edges = module.generateGraph()
    successors = defaultdict(set)
    for a, b in edges:
        successors[a].add(b)
    closure = 0
    for start in {a for a, _ in edges}:
        seen, stack = set(), [start]
        while stack:
            for nxt in successors[stack.pop()]:
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        closure += len(seen)
    out = submit("examples/transitive_closure.py", 3)
    assert re.search(r"^TC has (\d+) edges$", out, re.M).group(1) == str(closure)


def _lloyd(points, centers, converge):
    centers = list(centers)
    moved = 1.0
    while moved > converge:
        sums = {}
        for p in points:
            best = min(range(len(centers)), key=lambda i: sum((a - b) ** 2 for a, b in zip(p, centers[i])))
            total, n = sums.get(best, ((0.0,) * len(p), 0))
            sums[best] = (tuple(a + b for a, b in zip(total, p)), n + 1)
        new = {i: tuple(x / n for x in total) for i, (total, n) in sums.items()}
        moved = sum(sum((a - b) ** 2 for a, b in zip(centers[i], c)) for i, c in new.items())
        for i, c in new.items():
            centers[i] = c
    return centers


def test_kmeans(tmp_path):
    rng = random.Random(11)
    blobs = [(0.0, 0.0), (10.0, 10.0), (-10.0, 8.0)]
    points = [tuple(round(c + rng.gauss(0, 1), 4) for c in rng.choice(blobs)) for _ in range(300)]
    path = tmp_path / "points.txt"
    path.write_text("\n".join(" ".join(map(str, p)) for p in points))
    out = submit("examples/kmeans.py", path, 3, 0.0001)
    initial = ast.literal_eval(re.search(r"^Initial centers: (.*)$", out, re.M).group(1))
    final = ast.literal_eval(re.search(r"^Final centers: (.*)$", out, re.M).group(1))
    assert len(initial) == 3 and all(c in points for c in initial)
    expected = _lloyd(points, initial, 0.0001)
    for got, want in zip(final, expected):
        assert got == pytest.approx(want, abs=1e-9)


def test_logistic_regression(tmp_path):
    rng = random.Random(13)
    true_w = [1.5, -2.0, 0.5]
    lines = []
    for _ in range(400):
        x = [rng.uniform(-1, 1) for _ in true_w]
        label = 1 if sum(a * b for a, b in zip(true_w, x)) + rng.gauss(0, 0.3) > 0 else -1
        lines.append(" ".join(map(str, [label] + x)))
    path = tmp_path / "lr.txt"
    path.write_text("\n".join(lines))
    out = submit("examples/logistic_regression.py", path, 5)
    w = ast.literal_eval(re.search(r"^Initial w: (.*)$", out, re.M).group(1))
    final = ast.literal_eval(re.search(r"^Final w: (.*)$", out, re.M).group(1))
    data = [(float(v[0]), [float(x) for x in v[1:]]) for v in (line.split() for line in lines)]
    for _ in range(5):
        step = [0.0] * len(w)
        for y, x in data:
            scale = (1.0 / (1.0 + math.exp(-y * sum(a * b for a, b in zip(w, x)))) - 1.0) * y
            step = [s + scale * xi for s, xi in zip(step, x)]
        w = [wi - si for wi, si in zip(w, step)]
    assert final == pytest.approx(w, rel=1e-9)
    assert all(a * b > 0 for a, b in zip(final, true_w))  # it learned the right directions


# ---------------------------------------------------------------- no arguments: bundled inputs (issue 16)

DATA = ROOT / "examples" / "data"


def test_sort_runs_with_no_arguments():
    numbers = [int(x) for x in (DATA / "numbers.txt").read_text().split()]
    assert [int(line) for line in submit("examples/sort.py").split()] == sorted(numbers)


def test_pagerank_runs_with_no_arguments():
    pairs = [tuple(line.split()) for line in (DATA / "pagerank_data.txt").read_text().splitlines() if line]
    out = submit("examples/pagerank.py")
    ranks = {m.group(1): float(m.group(2)) for m in re.finditer(r"^(\S+) has rank: (\S+)\.$", out, re.M)}
    expected = _pagerank_reference(pairs, 10)
    assert ranks.keys() == expected.keys()
    assert all(ranks[u] == pytest.approx(r, rel=1e-9) for u, r in expected.items())


def test_kmeans_runs_with_no_arguments():
    points = [tuple(map(float, line.split())) for line in (DATA / "kmeans_data.txt").read_text().splitlines()]
    out = submit("examples/kmeans.py")
    initial = ast.literal_eval(re.search(r"^Initial centers: (.*)$", out, re.M).group(1))
    final = ast.literal_eval(re.search(r"^Final centers: (.*)$", out, re.M).group(1))
    assert len(initial) == 3 and all(c in points for c in initial)
    for got, want in zip(final, _lloyd(points, initial, 0.0001)):
        assert got == pytest.approx(want, abs=1e-9)


def test_logistic_regression_runs_with_no_arguments():
    data = [(float(v[0]), [float(x) for x in v[1:]])
            for v in (line.split() for line in (DATA / "lr_data.txt").read_text().splitlines())]
    out = submit("examples/logistic_regression.py")
    w = ast.literal_eval(re.search(r"^Initial w: (.*)$", out, re.M).group(1))
    for _ in range(5):
        step = [0.0] * len(w)
        for y, x in data:
            scale = (1.0 / (1.0 + math.exp(-y * sum(a * b for a, b in zip(w, x)))) - 1.0) * y
            step = [s + scale * xi for s, xi in zip(step, x)]
        w = [wi - si for wi, si in zip(w, step)]
    assert ast.literal_eval(re.search(r"^Final w: (.*)$", out, re.M).group(1)) == pytest.approx(w, rel=1e-9)


def _by_city(rows):
    totals = defaultdict(lambda: [0, 0])
    for row in rows:
        totals[row["city"]][0] += row["age"]
        totals[row["city"]][1] += 1
    return {city: (n, age / n) for city, (age, n) in totals.items()}


def test_parquet_example_reads_transforms_and_writes_parquet(tmp_path):
    import pyarrow.parquet as pq

    expected = _by_city(pq.read_table(DATA / "people.parquet").to_pylist())
    out = submit("examples/parquet_rdd.py")  # no arguments: bundled input, temporary output
    printed = {m.group(1): (int(m.group(2)), float(m.group(3)))
               for m in re.finditer(r"^(\w+): (\d+) people, average age (\S+)$", out, re.M)}
    assert printed == expected
    assert "|-- age: integer (nullable = true)" in out
    assert re.search(r"^Wrote 4 rows to (\S+)$", out, re.M)
    target = tmp_path / "by_city"
    submit("examples/parquet_rdd.py", DATA / "people.parquet", target)
    written = pq.read_table(target).to_pylist()
    assert {r["city"]: (r["people"], r["average_age"]) for r in written} == expected
    assert "_SUCCESS" in {p.name for p in target.iterdir()}
