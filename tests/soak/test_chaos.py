"""Soak: the chaos benchmark for a few minutes; any wrong answer or failed run fails the test.

Run with ``python -m pytest -m slow`` (minutes set by SPARKLITE_SOAK_MINUTES, default 3).
"""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_chaos_run_has_no_wrong_answers():
    minutes = os.environ.get("SPARKLITE_SOAK_MINUTES", "3")
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "chaos.py"), "--minutes", minutes],
                         capture_output=True, text=True, timeout=float(minutes) * 60 + 900)
    print(out.stdout)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    total = [line for line in out.stdout.splitlines() if line.startswith("total")][0].split()
    runs, kills, recovered, wrong, failed = (int(x) for x in total[1:6])
    assert runs > 0 and kills > 0 and wrong == 0 and failed == 0
