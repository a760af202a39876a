"""The cost curve: W1 and W2 at several data sizes and executor counts, fixed and per-record costs.

    python benchmarks/scaling.py                       # W1, W2 at 0.1x, 1x, 4x; 1, 2, 4 executors
    python benchmarks/scaling.py W2 --scales 0.1 0.5 1 --executors 1 2 --repeat 3
    python benchmarks/scaling.py --chart benchmarks/scaling.png --markdown /tmp/scaling.md

Every point is a fresh process timed from outside (``run.measure``), plain Python
and sparklite alternating, as ``run.py`` does. For each engine and executor count
a least-squares line ``seconds = fixed + per_record * records`` is fitted: its
intercept is what a job costs whatever its size (start-up, scheduling, the
tail of the last task), its slope what each record costs, and the largest
relative distance of a point from the line says how straight the curve is.
The chart (matplotlib, the ``bench`` extra) plots the points and the lines.
"""
from __future__ import annotations

import argparse
import os
import pathlib
import statistics
import subprocess
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from run import measure, precompile  # noqa: E402

#: records at scale 1 (see ../shared/BASELINES.md): W1 words, W2 ints
RECORDS = {"W1": 27_400_000, "W2": 20_000_000}
WHAT = {"W1": "word count (words)", "W2": "reduceByKey (ints)"}


def fit(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """(intercept, slope, largest |residual| / value) of the least-squares line through points."""
    n = len(points)
    mx = sum(x for x, _ in points) / n
    my = sum(y for _, y in points) / n
    sxx = sum((x - mx) ** 2 for x, _ in points)
    slope = sum((x - mx) * (y - my) for x, y in points) / sxx if sxx else 0.0
    intercept = my - slope * mx
    worst = max(abs(y - (intercept + slope * x)) / y for x, y in points) if points else 0.0
    return intercept, slope, worst


def run_point(workload: str, engine: str, scale: float, executors: int, timeout: float) -> float:
    script = str(HERE / "workloads.py")
    cmd = [sys.executable, script, workload, engine, "--scale", str(scale)]
    if engine == "sparklite":
        cmd += ["--master", f"local[{executors}]"]
    wall, _, _ = measure(cmd, timeout)
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workloads", nargs="*", default=["W1", "W2"])
    parser.add_argument("--scales", type=float, nargs="+", default=[0.1, 1.0, 4.0])
    parser.add_argument("--executors", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--chart", default=str(HERE / "scaling.png"), help="PNG to write ('' for none)")
    parser.add_argument("--markdown", help="also write the tables to this file")
    args = parser.parse_args()
    precompile()
    configs = ["plain"] + [f"local[{n}]" for n in args.executors]
    results: dict[str, dict[str, list[tuple[float, float]]]] = {}
    lines: list[str] = [f"{os.cpu_count()} cores; median of {args.repeat} run(s) per point; seconds, "
                        f"process start to exit\n"]
    for workload in args.workloads:
        workload = workload.upper()
        results[workload] = {c: [] for c in configs}
        header = f"| {workload} scale | records | " + " | ".join(configs) + " |"
        lines += [f"\n{workload}: {WHAT[workload]}\n", header, "|" + "---|" * (len(configs) + 2)]
        print("\n".join(lines[-3:]), flush=True)
        for scale in args.scales:
            subprocess.run([sys.executable, str(HERE / "workloads.py"), workload, "prepare", "--scale", str(scale)],
                           check=True)
            times: dict[str, list[float]] = {c: [] for c in configs}
            for _ in range(args.repeat):
                times["plain"].append(run_point(workload, "plain", scale, 0, args.timeout))
                for n in args.executors:
                    times[f"local[{n}]"].append(run_point(workload, "sparklite", scale, n, args.timeout))
            records = RECORDS[workload] * scale
            row = f"| {scale:g}x | {records / 1e6:.2f}M | " + " | ".join(
                f"{statistics.median(times[c]):.2f}" for c in configs) + " |"
            for c in configs:
                results[workload][c].append((records, statistics.median(times[c])))
            lines.append(row)
            print(row, flush=True)
        lines += ["", f"| {workload} fit | fixed s | per 1M records s | worst point off the line |",
                  "|---|---|---|---|"]
        for c in configs:
            a, b, worst = fit(results[workload][c])
            lines.append(f"| {c} | {a:.2f} | {b * 1e6:.3f} | {100 * worst:.0f}% |")
        print("\n".join(lines[-len(configs) - 3:]), flush=True)
    if args.markdown:
        pathlib.Path(args.markdown).write_text("\n".join(lines) + "\n")
    if args.chart:
        chart(results, args.chart)
        print(f"\nchart: {args.chart}")


def chart(results: dict[str, dict[str, list[tuple[float, float]]]], path: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    for ax, (workload, by_config) in zip(axes[0], results.items()):
        for config, points in by_config.items():
            xs = [x / 1e6 for x, _ in points]
            ys = [y for _, y in points]
            a, b, _ = fit(points)
            line = ax.plot(xs, ys, "o", label=f"{config}: {a:.2f} s + {b * 1e6:.3f} s/M")[0]
            span = [0, max(xs)]
            ax.plot(span, [a + b * x * 1e6 for x in span], "--", color=line.get_color(), linewidth=1)
        ax.set_title(f"{workload}: {WHAT[workload]}")
        ax.set_xlabel("records (millions)")
        ax.set_ylabel("seconds, process start to exit")
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


if __name__ == "__main__":
    main()
