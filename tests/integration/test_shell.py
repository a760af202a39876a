"""sparklite-shell driven as a user drives it: in a pseudo-terminal (pexpect), or with pipes.

Every expect is bounded by a timeout; nothing sleeps for a fixed time. The shell runs with
HOME in the test's tmp dir (its history file goes there) and with --no-ipython, so the
standard library console is what is tested whether or not IPython is installed; the IPython
path has its own test, skipped when IPython is missing.
"""
from __future__ import annotations

import fcntl
import importlib.metadata
import io
import os
import re
import signal
import struct
import subprocess
import sys
import termios
import textwrap
import zipfile

import pexpect
import pexpect.fdpexpect
import psutil
import pytest

SHELL = [sys.executable, "-m", "sparklite.cli.shell"]
PROMPT = ">>> "
TIMEOUT = 30


def _env(home) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("SPARKLITE_SUBMIT_CONF", None)
    env.update({"HOME": str(home), "TERM": "dumb", "PYTHONUNBUFFERED": "1", "PYTHONFAULTHANDLER": "1"})
    return env


class Shell:
    """A sparklite-shell in a pseudo-terminal, with its whole transcript kept for assertions.

    It is started with posix_spawn, not fork: a forked copy of this process (which has live
    gRPC channels: the shared contexts) can abort in grpcio's fork handlers before it execs
    (grpc/grpc#43055). The spawned child starts a session and opens the terminal, which makes
    it the shell's controlling terminal, so Ctrl-C written to it raises SIGINT there.
    """

    def __init__(self, tmp_path, *args: str, sigint_ignored: bool = False):
        self.transcript = io.StringIO()
        master, terminal = os.openpty()
        fcntl.ioctl(master, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
        # sh sets the working directory (posix_spawn cannot here) and, if asked, ignores SIGINT
        # as a program started in the background does; exec keeps the shell's pid
        script = 'cd "$1" && shift && ' + ('trap "" INT && ' if sigint_ignored else "") + 'exec "$@"'
        argv = ["/bin/sh", "-c", script, "sh", str(tmp_path), *SHELL, *args]
        opens = [(os.POSIX_SPAWN_OPEN, 0, os.ttyname(terminal), os.O_RDWR, 0),
                 (os.POSIX_SPAWN_DUP2, 0, 1), (os.POSIX_SPAWN_DUP2, 0, 2)]
        try:
            self.pid = os.posix_spawn(argv[0], argv, _env(tmp_path), file_actions=opens, setsid=True)
        finally:
            os.close(terminal)
        self.status: int | None = None
        self.child = pexpect.fdpexpect.fdspawn(master, encoding="utf-8", timeout=TIMEOUT)
        self.child.logfile_read = self.transcript

    def exit_code(self, timeout: float = 15) -> int | None:
        """The shell's exit status (negative: killed by that signal), None while it runs."""
        if self.status is None:
            try:
                self.status = psutil.Process(self.pid).wait(timeout)  # our child: this reaps it
            except psutil.TimeoutExpired:
                return None
        return self.status

    def expect(self, pattern, timeout: float = TIMEOUT) -> re.Match:
        try:
            self.child.expect(pattern, timeout=timeout)
        except (pexpect.TIMEOUT, pexpect.EOF) as exc:
            ended = f", exit status {self.exit_code()}" if isinstance(exc, pexpect.EOF) else ""
            raise AssertionError(f"{pattern!r} not seen ({type(exc).__name__}{ended}); transcript:\n"
                                 f"{self.transcript.getvalue()}") from None
        return self.child.match

    def send(self, text: str) -> None:
        self.child.send(text)

    def sendline(self, line: str) -> None:
        self.child.send(line + "\r")

    def ctrl(self, key: str) -> None:
        self.child.send(chr(ord(key.upper()) - 64))  # Ctrl-C: \x03, Ctrl-D: \x04

    def run(self, line: str, timeout: float = TIMEOUT) -> str:
        """Send a line; return what the shell printed before the next prompt (echo removed)."""
        self.sendline(line)
        self.expect(re.escape(line) + "\r\n", timeout)
        self.expect(re.escape(PROMPT), timeout)
        return self.child.before.replace("\r\n", "\n")

    def executor_processes(self) -> list[psutil.Process]:
        pids = re.findall(r"\d+", self.run("print(sorted(sc._runtime.backend.process_ids().values()))"))
        return [psutil.Process(int(p)) for p in pids]

    def close(self) -> None:
        if self.exit_code(0) is None:
            os.kill(self.pid, signal.SIGKILL)
            self.exit_code()
        if not self.child.closed:
            self.child.close()


@pytest.fixture
def shells(tmp_path):
    started: list[Shell] = []

    def start(*args: str, sigint_ignored: bool = False) -> Shell:
        shell = Shell(tmp_path, *args, sigint_ignored=sigint_ignored)
        started.append(shell)
        return shell

    yield start
    for shell in started:
        shell.close()


def _assert_exited_cleanly(shell: Shell, executors: list[psutil.Process]) -> None:
    shell.expect(pexpect.EOF)
    assert shell.exit_code() == 0, shell.transcript.getvalue()
    gone, alive = psutil.wait_procs(executors, timeout=10)
    assert not alive, f"executors outlived the shell: {[p.pid for p in alive]}"


def test_a_session_banner_jobs_completion_errors_exit(shells, tmp_path):
    shell = shells("--no-ipython", "--master", "local[2]")
    banner = shell.expect(re.compile(r"sparklite (\S+) shell \(Python [\d.]+\)\r\n(.*?)" + re.escape(PROMPT),
                                     re.S))
    assert banner.group(1) == __import__("sparklite").__version__
    text = banner.group(2)
    assert re.search(r"SparkContext available as 'sc' \(master = local\[2\], app id = local-\d+\)", text)
    assert "Executors: 2 registered." in text
    assert re.search(r"Web UI: http://127\.0\.0\.1:\d+\.", text)
    executors = shell.executor_processes()
    assert len(executors) == 2 and all(p.is_running() for p in executors)

    assert shell.run("sc.parallelize(range(100)).sum()").strip() == "4950"

    shell.send("sc.paral\t")
    shell.expect(re.escape("sc.parallelize("))
    shell.sendline("range(10), 2).count()")
    shell.expect(r"\r\n10\r\n")
    shell.expect(re.escape(PROMPT))

    failure = shell.run("sc.parallelize([1, 0], 2).map(lambda x: 10 // x).collect()")
    assert "SparkliteJobError[ZeroDivisionError]: Job" in failure
    # the user's frame from the executor, the exception, and none of the engine's internals
    assert re.search(r'Traceback \(most recent call last\):\n  File "<console>", line 1, in <lambda>\n'
                     r"ZeroDivisionError: integer division or modulo by zero", failure)
    assert "sparklite/" not in failure and "raise_if_failed" not in failure

    assert shell.run("sc.parallelize(range(5)).map(lambda x: x * x).sum()").strip() == "30"
    shell.sendline("exit()")
    _assert_exited_cleanly(shell, executors)
    history = (tmp_path / ".sparklite_history").read_text()
    assert "sc.parallelize(range(100)).sum()" in history


def test_progress_bar_and_ctrl_c_keep_the_context_executors_and_cache(shells):
    # started with SIGINT ignored, as a program launched in the background is: Ctrl-C must work anyway
    shell = shells("--no-ipython", "--master", "local[2]", sigint_ignored=True)
    shell.expect(re.escape(PROMPT))
    executors = shell.executor_processes()
    shell.run("import time")
    shell.run("computed = sc.accumulator(0)")
    shell.run("cached = sc.parallelize(range(1000), 4).map(lambda x: computed.add(1) or 3 * x).cache()")
    # the first job may pass 0.5 s on a loaded machine: a bar drawn and erased is not output
    first = re.sub(r"\[Stage \d+(?: \([^)]*\))?:[^\]\r\n]*\]", "", shell.run("cached.sum(), computed.value"))
    assert first.replace("\r", "").strip() == "(1498500, 1000)"

    # a job of ~1.2 s: the bar shows up after 0.5 s, then is erased before the result prints
    shell.sendline("sc.parallelize(range(8), 4).map(lambda x: time.sleep(0.3) or x).sum()")
    bar = shell.expect(r"\[Stage (\d+)(?: \([^)]*\))?:[=> ]*\((\d) \+ (\d)\) / 4\]")
    assert int(bar.group(2)) + int(bar.group(3)) <= 4 and int(bar.group(3)) <= 2  # 2 single-core executors
    shell.expect(r"\r +\r28\r\n")
    shell.expect(re.escape(PROMPT))

    # Ctrl-C during a job of sleeping tasks: the job is cancelled, the tasks are killed
    shell.sendline("sc.parallelize(range(4), 4).map(lambda x: time.sleep(300)).count()")
    shell.expect(r"\[Stage \d+(?: \([^)]*\))?:>? *\(0 \+ 2\) / 4\]")
    shell.ctrl("c")
    shell.expect(r"Job \d+ cancelled: interrupted by the user \(Ctrl-C\)\r\n")
    shell.expect(re.escape(PROMPT))
    # both slots were held by sleeping tasks: this runs only if they were really stopped
    assert shell.run("cached.sum(), computed.value", timeout=20).strip() == "(1498500, 1000)"
    assert shell.executor_processes() == executors  # same processes, cache served, not recomputed

    shell.ctrl("d")  # Ctrl-D
    _assert_exited_cleanly(shell, executors)


def test_file_argument_then_interactive(shells, tmp_path):
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent("""
        import sys
        total = sc.parallelize(range(10)).sum()
        print("ARGV", sys.argv, "TOTAL", total)
    """))
    shell = shells("--no-ipython", "--master", "local[1]", "-i", str(script), "a1", "--flag")
    shell.expect(re.escape(f"ARGV ['{script}', 'a1', '--flag'] TOTAL 45"))
    shell.expect(re.escape(PROMPT))
    assert shell.run("total * 2").strip() == "90"
    executors = shell.executor_processes()
    shell.ctrl("d")
    _assert_exited_cleanly(shell, executors)


def test_non_interactive_runs_with_pipes_draw_no_bar_and_report_errors(tmp_path):
    def shell(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(SHELL + ["--master", "local[2]", *args], cwd=tmp_path, env=_env(tmp_path),
                              capture_output=True, text=True, timeout=120)

    ok = shell("-c", "import sys, time\n"
                     "print(sys.argv[1:], sc.parallelize(range(8), 4).map(lambda x: time.sleep(0.2) or x).sum())",
               "x", "y")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout == "['x', 'y'] 28\n"
    assert "[Stage" not in ok.stderr and "\r" not in ok.stderr  # stderr is not a terminal

    failed = shell("-c", "sc.parallelize([0], 1).map(lambda x: 1 // x).collect()")
    assert failed.returncode == 1
    assert re.search(r"^SparkliteJobError\[ZeroDivisionError\]: Job 0 aborted", failed.stderr, re.M)
    assert failed.stderr.rstrip().endswith("ZeroDivisionError: integer division or modulo by zero")
    assert "sparklite/" not in failed.stderr


def test_py_files_and_cluster_profiles(tmp_path):
    lib = tmp_path / "lib"
    lib.mkdir()
    (lib / "helpers_mod.py").write_text("def triple(x):\n    return 3 * x\n")
    with zipfile.ZipFile(lib / "bundle.zip", "w") as zf:
        zf.writestr("zipped_mod.py", "def plus_one(x):\n    return x + 1\n")
    conf_dir = tmp_path / "conf"
    (conf_dir / "clusters").mkdir(parents=True)
    (conf_dir / "clusters" / "three.conf").write_text("spark.master local[3]\n")
    work = tmp_path / "work"  # the modules are not next to the code, nor in the working directory
    work.mkdir()
    env = _env(tmp_path)
    env["SPARKLITE_CONF_DIR"] = str(conf_dir)
    code = ("import helpers_mod, zipped_mod\n"
            "print(sc.master, len(sc._runtime.endpoint.executors) if sc._runtime.wait_for_executors(3, 20) else 0)\n"
            "print(sc.parallelize(range(10), 3).map(helpers_mod.triple).map(zipped_mod.plus_one).sum())")
    out = subprocess.run(SHELL + ["--cluster", "three", "--py-files",
                                  f"{lib / 'helpers_mod.py'},{lib / 'bundle.zip'}", "-c", code],
                         cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n") == ["local[3] 3", str(sum(3 * x + 1 for x in range(10))), ""]

    missing = subprocess.run(SHELL + ["--cluster", "four", "-c", "pass"], cwd=work, env=env,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and str(conf_dir / "clusters" / "four.conf") in missing.stderr
    bad = subprocess.run(SHELL + ["--py-files", str(lib / "nothere.py"), "-c", "pass"], cwd=work, env=env,
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "nothere.py" in bad.stderr


def test_ipython_is_used_when_installed(shells):
    pytest.importorskip("IPython")
    shell = shells("--master", "local[2]")
    shell.expect(r"In \[1\]: ")
    shell.sendline("print(sorted(sc._runtime.backend.process_ids().values()))")
    pids = shell.expect(r"\[(\d+), (\d+)\]")
    executors = [psutil.Process(int(pids.group(1))), psutil.Process(int(pids.group(2)))]
    shell.sendline("sc.parallelize(range(100)).sum()")
    shell.expect(r"4950")
    shell.sendline("import time; sc.parallelize(range(2), 2).map(lambda x: time.sleep(300)).count()")
    shell.expect(r"\[Stage \d+:")
    shell.ctrl("c")
    shell.expect(r"Job \d+ cancelled: interrupted by the user \(Ctrl-C\)")
    shell.sendline("sc.parallelize(range(3), 3).count() * 7")
    shell.expect(r"21")
    shell.sendline("exit()")
    _assert_exited_cleanly(shell, executors)


def test_the_entry_point_is_installed():
    scripts = {ep.name: ep.value for ep in importlib.metadata.entry_points(group="console_scripts")}
    assert scripts.get("sparklite-shell") == "sparklite.cli.shell:main"
