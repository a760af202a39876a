"""An executor's own stdout/stderr, kept in log files and still echoed where they went before.

Local executors are either spawned or forked by the template process
(``forkserver.py``), so the driver cannot hand every one of them pipes of its
own; instead the executor, first thing, points its file descriptors 1 and 2 at
pipes and copies what arrives, line by line, to ``<log dir>/stdout|stderr``
(served by the web UI's executor log pages) and to the descriptors they had
(the user's terminal, in local mode). Lines on stderr are echoed with a
``[executor N]`` prefix so a user tells them from the driver's own.

Output written just before a ``kill -9`` may be lost from the file; output of a
normal exit is drained first (:func:`drain`).
"""
from __future__ import annotations

import os
import threading

_pumps: list[threading.Thread] = []


def log_dir_of(app_dir: str, executor_id: str) -> str:
    """Where a local executor's stdout/stderr files live: under the application's scratch dir."""
    return os.path.join(app_dir, "logs", executor_id)


def _pump(read_fd: int, path: str, echo_fd: int, prefix: bytes) -> None:
    with os.fdopen(read_fd, "rb", buffering=0) as source, open(path, "ab", buffering=0) as log_file:
        for line in iter(source.readline, b""):
            try:
                log_file.write(line)
            except OSError:  # a full disk must not stop the executor's output
                pass
            try:
                os.write(echo_fd, prefix + line if prefix else line)
            except OSError:  # the driver's terminal went away: keep the log file
                pass


def install(log_dir: str, executor_id: str) -> None:
    """Tee this process's fds 1 and 2 into ``log_dir`` (see the module docstring)."""
    os.makedirs(log_dir, exist_ok=True)
    for fd, kind, prefix in ((1, "stdout", b""), (2, "stderr", f"[executor {executor_id}] ".encode())):
        echo = os.dup(fd)
        read_fd, write_fd = os.pipe()
        os.dup2(write_fd, fd)
        os.close(write_fd)
        thread = threading.Thread(target=_pump, args=(read_fd, os.path.join(log_dir, kind), echo, prefix),
                                  name=f"executor-{kind}", daemon=True)
        thread.start()
        _pumps.append(thread)


def drain(timeout: float = 2.0) -> None:
    """Before the process exits: close the pipes' write ends and let the pumps copy what is left."""
    if not _pumps:
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        os.dup2(devnull, fd)
    os.close(devnull)
    for thread in _pumps:
        thread.join(timeout)
