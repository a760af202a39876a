"""Soak: 10,000 small shuffle jobs on one context leave local-dir files, open fds, threads and
the driver's RSS flat (benchmarks/many_jobs.py exits 1 if any grew). ``pytest -m slow``."""
from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.timeout(7200)
def test_ten_thousand_shuffle_jobs_keep_resources_flat():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "many_jobs.py"), "--jobs", "10000"],
                         capture_output=True, text=True, timeout=7000)
    print(out.stdout)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "flat:" in out.stdout
