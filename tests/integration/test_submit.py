"""sparklite-submit and the examples, run as a user runs them (subprocesses)."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys
import textwrap
from collections import Counter

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
SUBMIT = [sys.executable, "-m", "sparklite.cli.submit"]


def run(args, cwd=ROOT, env=None, timeout=120):
    full_env = dict(os.environ)
    full_env.pop("SPARKLITE_SUBMIT_CONF", None)
    full_env.update(env or {})
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=full_env)


def test_wordcount_example_matches_python():
    out = run(SUBMIT + ["examples/wordcount.py"])
    assert out.returncode == 0, out.stderr
    text = (ROOT / "examples" / "data" / "sample.txt").read_text()
    counts = Counter(text.lower().split())
    top = sorted(counts.items(), key=lambda wc: (-wc[1], wc[0]))[:10]
    printed = re.findall(r"^\s*(\d+)\s+(\S+)$", out.stdout, re.M)
    assert [(w, int(c)) for c, w in printed] == top
    assert f"{len(counts)} distinct words" in out.stdout
    assert "executor processes" in out.stdout


def test_pi_example():
    out = run(SUBMIT + ["--master", "local[2]", "examples/pi.py", "3"])
    assert out.returncode == 0, out.stderr
    value = float(re.search(r"Pi is roughly ([\d.]+)", out.stdout).group(1))
    assert 3.0 < value < 3.3


def test_submit_precedence_end_to_end(tmp_path):
    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent("""
        import sys
        from sparklite import SparkConf, SparkContext
        conf = SparkConf().set("spark.locality.wait", "9s")
        sc = SparkContext(conf=conf)
        c = sc.getConf()
        print("ARGS", sys.argv[1:])
        for key in ["spark.master", "spark.app.name", "spark.locality.wait", "spark.task.maxFailures",
                    "spark.logConf"]:
            print(key, c.get(key))
        print("SUM", sc.parallelize(range(10)).sum())
        sc.stop()
    """))
    conf_dir = tmp_path / "conf"
    conf_dir.mkdir()
    (conf_dir / "sparklite-defaults.conf").write_text("spark.logConf false\nspark.task.maxFailures 9\n")
    props = tmp_path / "props.conf"
    props.write_text("spark.task.maxFailures 7\nspark.locality.wait 1s\nspark.app.name from-props\n")
    out = run(SUBMIT + ["--master", "local[1]", "--properties-file", str(props), "--conf",
                        "spark.task.maxFailures=5", str(app), "a1", "--flag"],
              env={"SPARKLITE_CONF_DIR": str(conf_dir)})
    assert out.returncode == 0, out.stderr
    lines = dict(line.split(" ", 1) for line in out.stdout.splitlines())
    assert lines["ARGS"] == "['a1', '--flag']"
    assert lines["spark.master"] == "local[1]"
    assert lines["spark.app.name"] == "from-props"
    assert lines["spark.locality.wait"] == "9s"       # code beats everything
    assert lines["spark.task.maxFailures"] == "5"     # --conf beats the properties file
    assert lines["spark.logConf"] == "false"          # the defaults file is read
    assert lines["SUM"] == "45"


@pytest.mark.parametrize("args,key", [
    (["--conf", "spark.executor.memory=lots"], "spark.executor.memory"),
    (["--master", "mesos://x"], "spark.master"),
    (["--conf", "sparklite.shuffle.batchSize=-3"], "sparklite.shuffle.batchSize"),
])
def test_bad_config_fails_at_start_naming_the_key(args, key):
    out = run(SUBMIT + args + ["examples/pi.py"])
    assert out.returncode == 2
    assert key in out.stderr


def test_missing_app_file():
    out = run(SUBMIT + ["no/such/app.py"])
    assert out.returncode == 2 and "not found" in out.stderr


def test_submit_reads_the_cluster_file(tmp_path):
    conf_dir = tmp_path / "conf"
    (conf_dir / "clusters").mkdir(parents=True)
    (conf_dir / "clusters" / "two.conf").write_text("spark.master local[2]\nspark.app.name from-cluster\n")
    app = tmp_path / "app.py"
    app.write_text(textwrap.dedent("""
        from sparklite import SparkContext
        sc = SparkContext()
        print(sc.master, sc.appName, sc.parallelize(range(10)).sum())
        sc.stop()
    """))
    env = {"SPARKLITE_CONF_DIR": str(conf_dir)}
    out = run(SUBMIT + ["--cluster", "two", str(app)], env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["local[2]", "from-cluster", "45"]
    missing = run(SUBMIT + ["--cluster", "three", str(app)], env=env)
    assert missing.returncode == 2
    assert str(conf_dir / "clusters" / "three.conf") in missing.stderr


@pytest.mark.parametrize("body,error", [
    ("raise RuntimeError('boom in the script')", "RuntimeError: boom in the script"),
    ("sc.parallelize(range(2), 2).map(lambda x: threading.Lock()).collect()",
     "could not be pickled to send it to the driver: cannot pickle '_thread.lock' object"),
])
def test_a_failing_script_shows_its_own_traceback(tmp_path, body, error):
    """As `python app.py` would: the script's frames and the error, not the launcher's or the engine's."""
    script = tmp_path / "fails.py"
    script.write_text(f"import threading\nfrom sparklite import SparkContext\nsc = SparkContext('local[2]')\n{body}\n")
    out = run(SUBMIT + [str(script)], cwd=tmp_path)
    assert out.returncode == 1
    assert error in out.stderr
    frames = re.findall(r'File "([^"]+)"', out.stderr)
    assert frames and frames[0] == str(script)
    assert not [f for f in frames if "click" in f or "runpy" in f or "cloudpickle" in f or "/sparklite/" in f]


def test_verbose_masks_secrets_tokens_and_access_keys(tmp_path):
    script = tmp_path / "ok.py"
    script.write_text("print('ran')\n")
    out = run(SUBMIT + ["--verbose", "--conf", "spark.authenticate.secret=s3cr3t", "--conf",
                        "spark.hadoop.fs.s3a.access.key=AKIAEXAMPLE", "--conf", "spark.my.token=tok123",
                        "--conf", "spark.app.name=visible", str(script)], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for hidden in ("s3cr3t", "AKIAEXAMPLE", "tok123"):
        assert hidden not in out.stderr
    assert "spark.app.name=visible" in out.stderr


# ---------------------------------------------------------------- spark-submit habits (issue 16)


def test_version_prints_and_exits():
    out = run(SUBMIT + ["--version"])
    assert out.returncode == 0 and re.match(r"sparklite version \d+\.\d+", out.stdout)


@pytest.mark.parametrize("args,message", [
    (["--deploy-mode", "cluster"], "--deploy-mode cluster is not supported yet"),
    (["--deploy-mode", "yarn"], "--deploy-mode must be client or cluster"),
    (["--supervise"], "--supervise is not supported: --supervise restarts a driver"),
    (["--jars", "a.jar"], "--jars is not supported: sparklite has no JVM.*--py-files"),
    (["--packages", "org.x:y:1"], "--packages is not supported: .*pip install"),
    (["--class", "org.Main"], "--class is not supported: sparklite runs Python scripts"),
    (["--deploy-mod", "client"], "unknown option --deploy-mod"),
    (["--master", "local[1]", "--bogus=1"], "unknown option --bogus"),
])
def test_spark_submit_options_sparklite_refuses_say_why(tmp_path, args, message):
    script = tmp_path / "ok.py"
    script.write_text("print('ran')\n")
    out = run(SUBMIT + args + [str(script)], cwd=tmp_path)
    assert out.returncode == 2 and "ran" not in out.stdout
    assert re.search(message, " ".join(out.stderr.split())), out.stderr


def test_client_mode_driver_memory_and_archives_are_accepted(tmp_path):
    import tarfile

    (tmp_path / "env").mkdir()
    (tmp_path / "env" / "marker.txt").write_text("42")
    with tarfile.open(tmp_path / "pyenv.tar.gz", "w:gz") as t:
        t.add(tmp_path / "env" / "marker.txt", "lib/marker.txt")
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent("""
        import os
        from sparklite import SparkContext, SparkFiles
        sc = SparkContext()
        read = sc.parallelize([0], 1).map(
            lambda _: open(os.path.join(SparkFiles.get("environment"), "lib", "marker.txt")).read()).collect()
        print("got", read, sc.getConf().get("spark.driver.memory"), sc.getConf().get("spark.submit.deployMode"))
        print("archives", sc.listArchives)
    """))
    out = run(SUBMIT + ["--master", "local[1]", "--deploy-mode", "client", "--driver-memory", "2g",
                        "--archives", f"{tmp_path / 'pyenv.tar.gz'}#environment", str(script)], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "got ['42'] 2g client" in out.stdout
    assert f"archives ['file:{tmp_path / 'pyenv.tar.gz'}#environment']" in out.stdout


def test_verbose_says_where_every_key_came_from(tmp_path):
    conf_dir = tmp_path / "conf"
    (conf_dir / "clusters").mkdir(parents=True)
    (conf_dir / "sparklite-defaults.conf").write_text("spark.locality.wait 1s\nspark.task.cpus 1\n")
    (conf_dir / "clusters" / "tiny.conf").write_text("spark.master local[1]\nspark.network.timeout 90s\n")
    props = tmp_path / "app.properties"
    props.write_text("spark.network.timeout 100s\nspark.executor.heartbeatInterval 5s\n")
    script = tmp_path / "app.py"
    script.write_text(textwrap.dedent("""
        from sparklite import SparkConf, SparkContext
        conf = SparkConf().set("spark.task.maxFailures", "3").set("spark.hadoop.fs.s3a.secret.key", "SEKRET")
        sc = SparkContext(conf=conf)
        print("sum", sc.parallelize(range(4)).sum())
        sc.stop()
    """))
    out = run(SUBMIT + ["--verbose", "--cluster", "tiny", "--properties-file", str(props),
                        "--conf", "spark.app.name=from-conf", "--executor-memory", "600m", str(script), "x"],
              cwd=tmp_path, env={"SPARKLITE_CONF_DIR": str(conf_dir)})
    assert out.returncode == 0, out.stderr
    assert "sum 6" in out.stdout
    err = out.stderr
    assert "Parsed arguments:" in err
    assert re.search(r"^  executorMemory\s+600m$", err, re.M) and re.search(r"^  childArgs\s+\[x\]$", err, re.M)
    assert re.search(r"^  deployMode\s+null$", err, re.M)

    def origin(block, key):
        m = re.search(rf"^  {re.escape(key)}=\S*\s+\((.+)\)$", block, re.M)
        assert m, (key, block)
        return m.group(1)

    parsed, resolved = err.split("Resolved configuration of ")
    assert origin(parsed, "spark.master") == f"cluster file {conf_dir / 'clusters' / 'tiny.conf'}"
    assert origin(parsed, "spark.network.timeout") == f"properties file {props}"
    assert origin(parsed, "spark.app.name") == "--conf"
    assert origin(parsed, "spark.executor.memory") == "--executor-memory"
    assert origin(parsed, "spark.locality.wait") == f"defaults file {conf_dir / 'sparklite-defaults.conf'}"
    assert origin(resolved, "spark.task.maxFailures") == "code"
    assert origin(resolved, "spark.hadoop.fs.s3a.secret.key") == "code"
    assert origin(resolved, "spark.network.timeout") == f"properties file {props}"
    assert origin(resolved, "spark.master") == f"cluster file {conf_dir / 'clusters' / 'tiny.conf'}"
    assert origin(resolved, "spark.locality.wait") == f"defaults file {conf_dir / 'sparklite-defaults.conf'}"
    assert "SEKRET" not in err and "spark.hadoop.fs.s3a.secret.key=*****" in err
