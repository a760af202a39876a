"""``RDD.pipe``: one external process per partition, fed the partition's elements as lines.

A feeder thread writes ``str(element)`` lines to the command's stdin while the
task reads its stdout line by line, so neither side has to hold a whole
partition and a command that reads all its input before writing cannot
deadlock against us. The command's environment is exactly ``env`` (as in
PySpark, which hands it to ``Popen``); its stderr goes to the executor's.

Whatever happens — the task finishes, a consumer stops early (``take``), the
task is killed, the upstream iterator raises — the process is killed if it
still runs when the task ends, and a reaper thread collects it, so no command
outlives its task and none is left a zombie.
"""
from __future__ import annotations

import shlex
import subprocess
import threading
from typing import Any, Iterator

from sparklite.executor.task_kill import kills_held
from sparklite.taskcontext import TaskContext


class PipeFunction:
    """The per-partition function of ``rdd.pipe(command, env, checkCode)``."""

    def __init__(self, command: str, env: dict[str, str] | None, check_code: bool):
        self.command = command
        self.env = dict(env) if env is not None else {}
        self.check_code = check_code

    def __call__(self, iterator: Iterator[Any]) -> Iterator[str]:
        args = shlex.split(self.command)
        errors: list[BaseException] = []
        context = TaskContext.get()

        def feed() -> None:
            TaskContext._set(context)  # upstream functions may call TaskContext.get()
            try:
                with proc.stdin:  # type: ignore[union-attr]
                    for obj in iterator:
                        proc.stdin.write((str(obj).rstrip("\n") + "\n").encode("utf-8"))  # type: ignore[union-attr]
            except BrokenPipeError:
                pass  # the command stopped reading (e.g. `head -1`): not an error of ours
            except BaseException as exc:  # the upstream iterator failed: the task must fail too
                errors.append(exc)
            finally:
                TaskContext._set(None)

        proc: subprocess.Popen | None = None
        try:
            # a kill landing between starting the command and starting its reaper would leave
            # a process nobody kills or waits for: it strikes after this block instead
            with kills_held():
                proc = subprocess.Popen(args, env=self.env, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
                # reaped by its own thread, so a kill of the task (an exception that may strike
                # anywhere, even inside the cleanup below) can never leave a zombie behind
                threading.Thread(target=proc.wait, name="pipe-reaper", daemon=True).start()
                feeder = threading.Thread(target=feed, name="pipe-feeder", daemon=True)
                feeder.start()
            for line in iter(proc.stdout.readline, b""):  # type: ignore[union-attr]
                yield line.rstrip(b"\n").decode("utf-8")
            proc.wait()
            feeder.join()
            if errors:
                raise errors[0]
            if self.check_code and proc.returncode:
                raise RuntimeError(f"Pipe function `{self.command}` exited with error code "
                                   f"{proc.returncode}.")
        finally:
            if proc is not None:
                if proc.poll() is None:
                    proc.kill()  # the reaper thread collects it
                proc.stdout.close()  # type: ignore[union-attr]
