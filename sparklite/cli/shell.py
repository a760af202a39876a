"""sparklite-shell: an interactive driver with ``sc`` ready, like the ``pyspark`` shell.

Configuration is resolved exactly as by sparklite-submit (resolve.py); the
shell then turns the console progress bar on unless configured off, starts the
context, waits briefly (bounded) for the executors so the banner can count
them, and opens IPython if installed, else the standard library console.
``-c CODE`` or a FILE run non-interactively (``-i`` stays interactive after,
like ``python -i``). Leaving the shell stops the context, so no executor
outlives it.

``--py-files``: ``.py`` files are copied to a private directory and archives
(``.zip``, ``.egg``) used in place; both go on the driver's ``sys.path``
before the context starts. Local executors inherit the driver's import paths
(LocalBackend passes them in PYTHONPATH), so that also makes them importable
on the executors.
"""
from __future__ import annotations

import builtins
import os
import platform
import shutil
import signal
import sys
import tempfile
from types import TracebackType
from typing import Any

import click

import sparklite
from sparklite.cli.console import interact, print_exception
from sparklite.cli.resolve import ConfigFailure, export, resolve_layers, stage_py_files, validate
from sparklite.errors import ConfigError

#: how long the banner waits for executors to register before counting them
EXECUTOR_WAIT = 10.0


def start_context() -> Any:
    from sparklite import SparkConf, SparkContext

    conf = SparkConf().setIfMissing("spark.ui.showConsoleProgress", "true") \
        .setIfMissing("spark.app.name", "sparklite-shell")
    return SparkContext(conf=conf)


def expected_executors(sc: Any) -> int:
    from sparklite.scheduler.master_url import LocalMaster, RayMaster, parse_master

    master = parse_master(sc.master)
    if isinstance(master, RayMaster):
        return sc._runtime.backend.instances
    return master.executors if isinstance(master, LocalMaster) else 1


def banner(sc: Any, registered: int, expected: int) -> str:
    executors = f"Executors: {registered} registered"
    if registered < expected:
        executors += f" of {expected} (the others are still starting)"
    return "\n".join([
        f"sparklite {sparklite.__version__} shell (Python {platform.python_version()})",
        f"SparkContext available as 'sc' (master = {sc.master}, app id = {sc.applicationId}).",
        executors + ".",
        f"Web UI: {_ui_url(sc) or 'none (spark.ui.enabled is false)'}.",
        "Ctrl-C cancels the running job; Ctrl-D or exit() stops the context and quits.",
    ])


def _ui_url(sc: Any) -> str | None:
    """The UI's URL; with a secret to present (off loopback, spark.authenticate), with its token."""
    ui = getattr(sc._runtime.observers, "ui", None)
    return (ui.url_with_token or ui.url) if ui is not None else None


def run_code(namespace: dict[str, Any], source: str, filename: str) -> bool:
    """Run the user's code in ``namespace``; False (after reporting it) if it raised."""
    try:
        exec(compile(source, filename, "exec"), namespace)  # noqa: S102 - running user code is the point
    except SystemExit:
        raise
    except BaseException as exc:  # the user's error, reported as Python would (job errors compactly)
        tb: TracebackType | None = exc.__traceback__
        print_exception(exc, tb.tb_next if tb is not None else None)
        return False
    return True


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False,
                                 "help_option_names": ["-h", "--help"]})
@click.option("--master", help="local, local[N], local[*], sparklite://host:port or ray")
@click.option("--cluster", metavar="NAME",
              help="Read <conf dir>/clusters/NAME.conf (below --properties-file and --conf).")
@click.option("--name", help="Application name (spark.app.name).")
@click.option("--conf", "conf_pairs", multiple=True, metavar="KEY=VALUE",
              help="A config property; repeat for more.")
@click.option("--properties-file", type=click.Path(dir_okay=False),
              help="A file of config properties (spark-defaults.conf format).")
@click.option("--py-files", "py_files", metavar="FILES",
              help="Comma-separated .py, .zip or .egg files to import from, in the shell and in tasks.")
@click.option("-c", "command", metavar="CODE",
              help="Run CODE with sc bound (ARGS become sys.argv[1:]), then exit.")
@click.option("-i", "interactive", is_flag=True, help="Stay interactive after -c CODE or FILE.")
@click.option("--no-ipython", is_flag=True, help="Use the standard Python console even if IPython is installed.")
@click.argument("file", required=False)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def main(master: str | None, cluster: str | None, name: str | None, conf_pairs: tuple[str, ...],
         properties_file: str | None, py_files: str | None, command: str | None, interactive: bool,
         no_ipython: bool, file: str | None, args: tuple[str, ...]) -> None:
    """An interactive sparklite driver with `sc` ready; or run FILE / -c CODE with `sc` bound."""
    if command is not None and file is not None:
        file, args = None, (file, *args)  # after -c, every argument is the code's (as python -c)
    if file is not None and not os.path.isfile(file):
        raise click.UsageError(f"file not found: {file}")
    try:
        import_paths, copies = stage_py_files(py_files)
        # the context ships them to every executor (SparkContext.addPyFile), on a cluster too
        shipped = ",".join(os.path.abspath(p.strip()) for p in (py_files or "").split(",") if p.strip())
        layer = resolve_layers(properties_file, conf_pairs,
                               {"spark.master": master, "spark.app.name": name,
                                "spark.submit.pyFiles": shipped or None}, cluster)
        validate(layer)
    except ConfigError as exc:
        raise ConfigFailure(str(exc)) from None
    export(layer)
    if file is not None:
        sys.argv = [file, *args]
        import_paths.append(os.path.dirname(os.path.abspath(file)))
    else:
        sys.argv = ["-c" if command is not None else "", *args]
        import_paths.append("")
    sys.path[0:0] = import_paths  # before the context starts: local executors inherit sys.path

    # Ctrl-C cancels the running job: it needs Python's KeyboardInterrupt handler, which Python
    # does not install when it starts with SIGINT ignored (e.g. launched in the background)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    failed = False
    namespace: dict[str, Any] = {"__name__": "__main__", "__doc__": None, "__builtins__": builtins,
                                 "sparklite": sparklite}
    try:
        sc = namespace["sc"] = start_context()
        stay = interactive or (command is None and file is None)
        if stay:
            expected = expected_executors(sc)
            sc._runtime.wait_for_executors(expected, EXECUTOR_WAIT)
            text = banner(sc, len(sc._runtime.endpoint.executors), expected)
        if command is not None:
            failed = not run_code(namespace, command, "<string>")
        elif file is not None:
            namespace["__file__"] = os.path.abspath(file)
            with open(file, encoding="utf-8") as f:
                source = f.read()
            failed = not run_code(namespace, source, file)
        if stay:
            interact(namespace, text, use_ipython=not no_ipython)
            failed = False
    finally:
        from sparklite import SparkContext

        for context in (namespace.get("sc"), SparkContext._active_spark_context):
            if isinstance(context, SparkContext):
                if failed:
                    context._ending_with_error("the code run by sparklite-shell failed")
                context.stop()
        if copies is not None:
            shutil.rmtree(copies, ignore_errors=True)
        sys.stdout.flush()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
