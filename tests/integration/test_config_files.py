"""A bad config file or an impossible setting stops the CLIs with one line that names it."""
from __future__ import annotations

import os
import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SUBMIT = [sys.executable, "-m", "sparklite.cli.submit"]
SHELL = [sys.executable, "-m", "sparklite.cli.shell"]


def run(args, env=None):
    full_env = dict(os.environ)
    full_env.pop("SPARKLITE_SUBMIT_CONF", None)
    full_env.update(env or {})
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120, env=full_env)


def _one_line(out) -> str:
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, out.stderr
    assert "Traceback" not in out.stderr
    return lines[0]


@pytest.mark.parametrize("cli", [SUBMIT + ["--properties-file", "{file}", "examples/pi.py"],
                                 SHELL + ["--properties-file", "{file}", "-c", "print(1)"]])
def test_a_properties_file_that_is_not_utf8(tmp_path, cli):
    bad = tmp_path / "latin1.conf"
    bad.write_bytes(b"spark.master local[1]\nspark.app.name d\xe9mo\n")
    out = run([a.replace("{file}", str(bad)) for a in cli])
    assert out.returncode == 2
    assert _one_line(out) == f"Error: {bad}:2: not UTF-8 text (byte 0xe9 at column 17); config files must be UTF-8"


def test_a_malformed_cluster_file(tmp_path):
    (tmp_path / "clusters").mkdir()
    (tmp_path / "clusters" / "c.conf").write_text("spark.master local[1]\noops\n")
    out = run(SUBMIT + ["--cluster", "c", "examples/pi.py"], env={"SPARKLITE_CONF_DIR": str(tmp_path)})
    assert out.returncode == 2
    assert _one_line(out).startswith(f"Error: {tmp_path / 'clusters' / 'c.conf'}:2: cannot parse line 'oops'")


def test_a_bad_defaults_file_stops_the_shell(tmp_path):
    (tmp_path / "sparklite-defaults.conf").write_bytes(b"\xff\n")
    out = run(SHELL + ["-c", "print(1)"], env={"SPARKLITE_CONF_DIR": str(tmp_path)})
    assert out.returncode == 2
    assert f"{tmp_path / 'sparklite-defaults.conf'}:1: not UTF-8" in _one_line(out)


def test_impossible_timeouts_are_refused_before_anything_starts():
    out = run(SUBMIT + ["--conf", "spark.network.timeout=5s", "--conf", "spark.executor.heartbeatInterval=10s",
                        "examples/pi.py"])
    assert out.returncode == 2
    assert _one_line(out) == ("Error: spark.network.timeout=5s must be greater than "
                              "spark.executor.heartbeatInterval=10s")


def test_a_bad_master_properties_file(tmp_path):
    bad = tmp_path / "m.conf"
    bad.write_bytes(b"spark.authenticate.secret \xe9\n")
    master = os.path.join(os.path.dirname(sys.executable), "sparklite-master")
    out = run([master, "--host", "127.0.0.1", "--port", "0", "--webui-port", "-1", "--properties-file", str(bad)])
    assert out.returncode == 2
    assert f"{bad}:1: not UTF-8" in _one_line(out)
