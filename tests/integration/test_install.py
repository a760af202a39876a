"""A non-editable install works: a wheel built from this tree, installed into a fresh virtualenv,
runs ``sparklite-submit --cluster local`` and finds the config templates without SPARKLITE_HOME.

The fresh venv gets the project's dependencies through a ``.pth`` line pointing at the test
environment's site-packages (no download, and that environment's editable sparklite is not
activated by it), so the sparklite it imports is the installed wheel's.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap

import pytest

from tests.integration.test_submit import ROOT


def _clean_env(venv):
    env = {k: v for k, v in os.environ.items()
           if k not in ("SPARKLITE_HOME", "SPARKLITE_CONF_DIR", "SPARKLITE_SUBMIT_CONF", "PYTHONPATH",
                        "VIRTUAL_ENV", "PYTHONHOME")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    return env


@pytest.mark.slow
def test_wheel_install_finds_conf_and_runs_submit(tmp_path):
    source = tmp_path / "src"  # build from a copy: the working tree gets no build/ directory
    shutil.copytree(ROOT / "sparklite", source / "sparklite", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "conf", source / "conf")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, source / name)
    wheels = tmp_path / "wheels"
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                            "-w", str(wheels), str(source)], capture_output=True, text=True, timeout=300)
    assert build.returncode == 0, build.stderr
    [wheel] = list(wheels.glob("sparklite-*.whl"))

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    with open(os.path.join(purelib, "deps.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run([str(python), "-m", "pip", "install", "-q", "--no-deps", str(wheel)],
                             capture_output=True, text=True, timeout=300)
    assert install.returncode == 0, install.stderr

    work = tmp_path / "elsewhere"
    work.mkdir()
    app = work / "app.py"
    app.write_text(textwrap.dedent("""
        import sparklite, sparklite.config
        from sparklite import SparkContext
        sc = SparkContext()
        print("file", sparklite.__file__)
        print("conf", sparklite.config.conf_dir())
        print("master", sc.master, "sum", sc.parallelize(range(100), 4).map(lambda x: x * 2).sum())
        sc.stop()
    """))
    run = subprocess.run([str(venv / "bin" / "sparklite-submit"), "--cluster", "local", str(app)], cwd=work,
                         capture_output=True, text=True, timeout=300, env=_clean_env(venv))
    assert run.returncode == 0, run.stderr
    lines = dict(line.split(" ", 1) for line in run.stdout.splitlines())
    assert lines["file"].startswith(purelib)  # the installed copy, not this checkout
    conf = lines["conf"]
    assert conf.startswith(purelib) and conf.endswith(os.path.join("sparklite", "_conf"))
    assert os.path.isfile(os.path.join(conf, "sparklite-defaults.conf.template"))
    assert lines["master"] == "local[*] sum 9900"
