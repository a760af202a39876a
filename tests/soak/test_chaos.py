"""Soak: the chaos benchmark for a few minutes; any wrong answer, failed run or hang fails the test.

Run with ``python -m pytest -m slow`` (minutes per run set by SPARKLITE_SOAK_MINUTES, default 3).
Both runs SIGKILL and SIGSTOP executors with two CPU-burning processes beside them; the
standalone run also SIGKILLs and SIGSTOPs workers of a loopback cluster.
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(7200)
@pytest.mark.parametrize("where", [[], ["--standalone", "2"]], ids=["local", "standalone"])
def test_chaos_run_has_no_wrong_answers_failures_or_hangs(where):
    minutes = os.environ.get("SPARKLITE_SOAK_MINUTES", "3")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "chaos.py"), "--minutes", minutes,
                          "--cpu-load", "2", "--min-interval", "1.5", "--max-interval", "4", *where],
                         capture_output=True, text=True, timeout=float(minutes) * 60 + 1800)
    print(out.stdout)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    total = [line for line in out.stdout.splitlines() if line.startswith("total")][0].split()
    runs, faults, recovered, wrong, failed = (int(x) for x in total[1:6])
    assert runs > 0 and faults > 0 and recovered > 0 and wrong == 0 and failed == 0
    assert "HANG" not in out.stdout
