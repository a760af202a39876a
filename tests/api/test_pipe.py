"""RDD.pipe: one external process per partition, compared with running the same command locally."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import psutil
import pytest

from sparklite.errors import SparkliteJobError
from tests.helpers.waiting import wait_until


def _run_locally(command, lines, env=None):
    out = subprocess.run(command, input="".join(f"{line}\n" for line in lines).encode(),
                         capture_output=True, env=env or {}, check=False).stdout
    return [line.rstrip(b"\n").decode() for line in out.splitlines(keepends=True)]


@pytest.mark.parametrize("data,slices", [([], 1), ([], 3), (["1", "2", "", "3"], 1),
                                         (list(range(20)), 4), (["x"], 5)])
def test_pipe_cat_matches_python(any_sc, data, slices):
    assert any_sc.parallelize(data, slices).pipe("cat").collect() == [str(x) for x in data]


def test_pipe_runs_per_partition(sc):
    got = sc.parallelize(range(9), 3).pipe("wc -l").collect()
    assert [int(x) for x in got] == [3, 3, 3]
    assert sc.parallelize([], 2).pipe("wc -l").map(int).collect() == [0, 0]


def test_pipe_environment_is_exactly_env(sc):
    script = "import os, sys; [print(os.environ.get('GREETING', '-') + ':' + l.strip()) for l in sys.stdin]"
    command = f"{sys.executable} -c \"{script}\""
    got = sc.parallelize(["a", "b"], 2).pipe(command, env={"GREETING": "hi"}).collect()
    assert got == ["hi:a", "hi:b"]
    assert got == _run_locally([sys.executable, "-c", script], ["a"], {"GREETING": "hi"}) + ["hi:b"]
    assert sc.parallelize(["x"]).pipe(command).collect() == ["-:x"]
    home = sc.parallelize(["x"], 1).pipe("sh -c 'echo ${HOME:-unset}'").collect()
    assert home == ["unset"]  # nothing of the executor's environment leaks in (PySpark: Popen(env=env))


def test_pipe_elements_become_str_lines(sc):
    data = [1, 2.5, None, ("t", 1), "multi\nline", "trailing\n"]
    expected = []
    for x in data:
        expected.extend((str(x).rstrip("\n") + "\n").splitlines())
    assert sc.parallelize(data, 2).pipe("cat").collect() == expected


def test_pipe_check_code(sc):
    failing = "sh -c 'cat; exit 3'"
    assert sc.parallelize(["a"]).pipe(failing).collect() == ["a"]  # exit codes ignored by default
    with pytest.raises(SparkliteJobError, match="Pipe function .* exited with error code 3"):
        sc.parallelize(["a"]).pipe(failing, checkCode=True).collect()
    # the job failed while the other partition's attempt may still run: it is killed, and its
    # command with it
    wait_until(lambda: sc._runtime.task_scheduler.running_task_count() == 0, 20,
               message="the other task to be killed")


def test_pipe_command_that_stops_reading_early(sc):
    assert sc.parallelize(range(200_000), 2).pipe("head -n 2").collect() == ["0", "1", "100000", "100001"]


def test_pipe_take_stops_the_process(sc):
    me = psutil.Process()
    assert sc.parallelize(range(100_000), 1).pipe("cat").take(3) == ["0", "1", "2"]
    # the consumer stopped early: the command is killed with its task and reaped by its reaper thread
    wait_until(lambda: not [p for p in me.children(recursive=True) if p.name() == "cat"], 20,
               message="the cat process to be killed and reaped")


def test_pipe_upstream_error_fails_the_task(sc):
    def boom(x):
        if x == 5:
            raise ZeroDivisionError("upstream failure")
        return x

    with pytest.raises(ZeroDivisionError, match="upstream failure"):
        sc.parallelize(range(10), 1).map(boom).pipe("cat").collect()


def test_pipe_a_filter_program(sc, tmp_path):
    program = tmp_path / "evens.py"
    program.write_text(textwrap.dedent("""
        import sys
        for line in sys.stdin:
            n = int(line)
            if n % 2 == 0:
                print(n * n)
    """))
    got = sc.parallelize(range(20), 3).pipe(f"{sys.executable} {program}").map(int).collect()
    assert got == [n * n for n in range(20) if n % 2 == 0]
