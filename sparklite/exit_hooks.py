"""Stopping a driver's contexts however its process ends: normal exit, an uncaught exception,
or SIGTERM (``timeout``, ``kill``, systemd, Kubernetes).

PySpark users rarely call ``sc.stop()`` in scripts and expect exit to clean up:
the executors and the application's scratch directory go with the driver.
``atexit`` alone is too late: interpreter exit first joins the worker threads of
every thread pool (``concurrent.futures``' own exit hook), and the driver's RPC
server threads serve the executors' streams until the context stops, so exit
would wait forever. Hooks registered with ``threading`` run before that join,
newest first. SIGTERM's default action ends the process without running any
hook; while a context is alive (and nobody else handles SIGTERM) it raises
``SystemExit(143)`` instead, so the same hooks run and the exit code still says
SIGTERM. Only SIGKILL leaves the scratch directory behind.
"""
from __future__ import annotations

import atexit
import signal
import sys
import threading
import weakref
from typing import Any

_TERM_EXIT = 128 + signal.SIGTERM


def stop_at_exit(context: Any) -> None:
    """Stop ``context`` when the process exits, unless it was stopped before."""
    ref = weakref.ref(context)
    try:
        threading._register_atexit(_stop, ref)  # type: ignore[attr-defined]
    except (AttributeError, RuntimeError):  # no such hook, or the interpreter is already exiting
        pass
    atexit.register(_stop, ref)
    _handle_sigterm()


def _stop(ref: weakref.ref) -> None:
    context = ref()
    if context is not None:
        error = uncaught_error()
        if error is not None:
            context._ending_with_error(error)
        context.stop()


def uncaught_error() -> str | None:
    """What the interpreter is exiting over, if it printed an uncaught exception (it then
    sets ``sys.last_value``; SystemExit never sets it)."""
    exc = getattr(sys, "last_exc", None) or getattr(sys, "last_value", None)
    if exc is None:
        return None
    return f"{type(exc).__name__}: {exc}"[:500]


def _on_sigterm(signum: int, frame: Any) -> None:
    raise SystemExit(_TERM_EXIT)


def _handle_sigterm() -> None:
    # signal handlers can only be set from the main thread; someone else's handler wins
    if threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def restore_sigterm() -> None:
    """After the last context stopped: SIGTERM ends the process directly again."""
    if threading.current_thread() is threading.main_thread() \
            and signal.getsignal(signal.SIGTERM) is _on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
