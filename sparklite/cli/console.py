"""The interactive part of sparklite-shell: IPython if installed, else the standard library console.

The standard console gets readline history (``~/.sparklite_history``) and tab
completion of names and attributes over the shell's namespace
(``sc.paral<TAB>`` -> ``sc.parallelize(``). Both consoles print sparklite's
job errors compactly (:func:`format_job_error`): the driver-side frames of
sparklite itself say nothing to a user, while the error's message already
carries the user's own frames from the executor. Ctrl-C during an action
cancels its job (see Runtime.run_job) and is reported as such; the shell
stays up.
"""
from __future__ import annotations

import code
import importlib.util
import os
import sys
import traceback
from types import TracebackType
from typing import Any

import sparklite
from sparklite.errors import JobInterrupted, SparkliteJobError

HISTORY_FILE = "~/.sparklite_history"
HISTORY_LENGTH = 1000

_SPARKLITE_DIR = os.path.dirname(os.path.abspath(sparklite.__file__)) + os.sep


def _internal(filename: str) -> bool:
    """Frames the user did not write: sparklite's, the console machinery's, IPython's."""
    if filename.startswith(_SPARKLITE_DIR) or filename == code.__file__:
        return True
    ipython = sys.modules.get("IPython")
    return ipython is not None and filename.startswith(os.path.dirname(ipython.__file__ or "") + os.sep)


def format_job_error(exc: BaseException, tb: TracebackType | None) -> str | None:
    """Compact text for a cancelled or failed job; None for any other exception.

    A failed job shows the user's driver-side frames only when they say more than the line just
    typed (a function of theirs, a script), then the error, whose message holds the remote
    traceback of the user's code.
    """
    if isinstance(exc, JobInterrupted):
        return f"{exc}\n"
    if not isinstance(exc, SparkliteJobError):
        return None
    frames = [f for f in traceback.extract_tb(tb) if not _internal(f.filename)]
    text = ""
    if len(frames) > 1 or (frames and not frames[0].filename.startswith("<")):
        text = "Traceback (most recent call last):\n" + "".join(traceback.format_list(frames))
    return f"{text}{type(exc).__name__}: {str(exc).rstrip()}\n"


def print_exception(exc: BaseException, tb: TracebackType | None) -> None:
    """Report an exception raised by the user's code (-c, a file, a console line) on stderr."""
    text = format_job_error(exc, tb)
    if text is None:
        text = "".join(traceback.format_exception(type(exc), exc, tb))
    sys.stderr.write(text)
    sys.stderr.flush()


class SparkliteConsole(code.InteractiveConsole):
    def showtraceback(self) -> None:
        etype, value, tb = sys.exc_info()
        assert value is not None
        text = format_job_error(value, tb)
        if text is None:
            super().showtraceback()
            return
        sys.last_type, sys.last_value, sys.last_traceback = etype, value, tb
        self.write(text)


def _enable_readline(namespace: dict[str, Any]) -> str | None:
    """Tab completion over ``namespace`` and persistent history; returns the history path."""
    try:
        import readline
        import rlcompleter
    except ImportError:  # no readline on this platform: a plain console
        return None
    readline.set_completer(rlcompleter.Completer(namespace).complete)
    if "libedit" in (readline.__doc__ or ""):
        readline.parse_and_bind("bind ^I rl_complete")
    else:
        readline.parse_and_bind("tab: complete")
    history = os.path.expanduser(HISTORY_FILE)
    readline.set_history_length(HISTORY_LENGTH)
    try:
        readline.read_history_file(history)
    except OSError:  # first session, or unreadable: start empty
        pass
    return history


def _save_history(history: str | None) -> None:
    if history is None:
        return
    import readline

    try:
        readline.write_history_file(history)
    except OSError:
        pass


def ipython_available() -> bool:
    return importlib.util.find_spec("IPython") is not None


def interact(namespace: dict[str, Any], banner: str, use_ipython: bool) -> None:
    """Run an interactive session until Ctrl-D or exit(); returns normally, or raises SystemExit."""
    if use_ipython and ipython_available():
        _interact_ipython(namespace, banner)
        return
    history = _enable_readline(namespace)
    try:
        SparkliteConsole(namespace).interact(banner=banner, exitmsg="")
    finally:
        _save_history(history)


def _interact_ipython(namespace: dict[str, Any], banner: str) -> None:
    from IPython.terminal.ipapp import TerminalIPythonApp

    sys.stderr.write(banner + "\n")
    app = TerminalIPythonApp.instance(user_ns=namespace)
    app.display_banner = False
    app.initialize(argv=[])

    def show(shell: Any, etype: type, value: BaseException, tb: TracebackType, tb_offset: Any = None) -> None:
        print_exception(value, tb)

    app.shell.set_custom_exc((SparkliteJobError, JobInterrupted), show)
    app.start()
