"""sparklite-submit: run a PySpark-style script with resolved configuration.

The driver runs in this process (client mode): the script is executed as
``__main__`` with its own arguments, and ``SparkConf()`` inside it sees the
configuration resolved here.
"""
from __future__ import annotations

import os
import runpy
import shutil
import sys

import click

from sparklite.cli.console import print_exception
from sparklite.cli.resolve import export, resolve_layers, stage_py_files, validate
from sparklite.errors import ConfigError, JobInterrupted



@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False,
                                 "help_option_names": ["-h", "--help"]})
@click.option("--master", help="local, local[N], local[*] or sparklite://host:port")
@click.option("--name", help="Application name (spark.app.name).")
@click.option("--conf", "conf_pairs", multiple=True, metavar="KEY=VALUE",
              help="A config property; repeat for more.")
@click.option("--properties-file", type=click.Path(dir_okay=False),
              help="A file of config properties (spark-defaults.conf format).")
@click.option("--cluster", metavar="NAME",
              help="Read <conf dir>/clusters/NAME.conf (below --properties-file and --conf).")
@click.option("--py-files", metavar="FILES",
              help="Comma-separated .py/.zip/.egg files, importable on the driver and the executors.")
@click.option("--files", metavar="FILES", help="Comma-separated files shipped to executors (SparkFiles.get).")
@click.option("--executor-memory", metavar="MEM", help="Memory per executor, e.g. 2g (spark.executor.memory).")
@click.option("--executor-cores", metavar="N", help="Cores per executor (spark.executor.cores).")
@click.option("--total-executor-cores", metavar="N", help="Cores in total, standalone (spark.cores.max).")
@click.option("--num-executors", metavar="N", help="Executors to ask for (spark.executor.instances).")
@click.option("--verbose", is_flag=True, help="Print the resolved configuration (secrets masked).")
@click.argument("app", type=click.Path(dir_okay=False))
@click.argument("app_args", nargs=-1, type=click.UNPROCESSED)
def main(master: str | None, name: str | None, conf_pairs: tuple[str, ...], properties_file: str | None,
         cluster: str | None, py_files: str | None, files: str | None, executor_memory: str | None,
         executor_cores: str | None, total_executor_cores: str | None, num_executors: str | None,
         verbose: bool, app: str, app_args: tuple[str, ...]) -> None:
    """Run APP (a Python script written against the PySpark RDD API) on sparklite."""
    try:
        flags = {"spark.master": master, "spark.app.name": name,
                 "spark.submit.pyFiles": _absolute_paths(py_files, "--py-files"),
                 "spark.files": _absolute_paths(files, "--files"),
                 "spark.executor.memory": executor_memory, "spark.executor.cores": executor_cores,
                 "spark.cores.max": total_executor_cores, "spark.executor.instances": num_executors}
        layer = resolve_layers(properties_file, conf_pairs, flags, cluster)
        settings = validate(layer)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    if not os.path.isfile(app):
        raise click.UsageError(f"application file not found: {app}")
    if verbose:
        for key, value in sorted(settings.raw().items()):
            hidden = settings.get("spark.redaction.regex").search(key)  # Spark's default: secrets, tokens
            click.echo(f"{key}={'*****' if hidden else value}", err=True)
    export(layer)
    try:
        import_paths, copies = stage_py_files(py_files)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    app = os.path.abspath(app)
    sys.argv = [app, *app_args]
    _announce_web_ui()
    # as `python app.py`: the script's directory first; then --py-files, also shipped to executors
    sys.path[0:0] = [os.path.dirname(app), *import_paths]
    try:
        code = _run_app(app)
    finally:
        if copies is not None:
            shutil.rmtree(copies, ignore_errors=True)
    sys.exit(code)


def _run_app(app: str) -> int:
    """Run the script as ``__main__``; its exit code, reporting an exception as Python would.

    The traceback starts at the script's own frame (not at this launcher's), and a failed
    job is shown compactly, the user's remote traceback included, as in sparklite-shell.
    """
    try:
        runpy.run_path(app, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as exc:
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != app:
            tb = tb.tb_next
        print_exception(exc, tb if tb is not None else exc.__traceback__)
        # Ctrl-C ends the job and the run: 130, as a shell reports a SIGINT
        return 130 if isinstance(exc, (KeyboardInterrupt, JobInterrupted)) else 1
    finally:
        _stop_active_context()
    return 0


def _stop_active_context() -> None:
    """A script that did not stop its context: stop it now, before the exit code is reported."""
    from sparklite import SparkContext

    context = SparkContext._active_spark_context
    if context is not None:
        context.stop()


def _announce_web_ui() -> None:
    """Print each context's web UI address on stderr when the script starts one."""
    from sparklite import SparkContext

    def announce(sc: SparkContext) -> None:
        ui = sc._runtime.observers.ui
        if ui is not None:
            click.echo(f"sparklite: Web UI for {sc.applicationId} at {ui.url_with_token or ui.url}", err=True)

    SparkContext._on_start.append(announce)


def _absolute_paths(value: str | None, flag: str) -> str | None:
    if not value:
        return None
    paths = []
    for part in value.split(","):
        part = part.strip()
        if part:
            if "://" not in part and not os.path.exists(part):
                raise ConfigError(f"{flag}: no such file {part}")
            paths.append(part if "://" in part else os.path.abspath(part))
    return ",".join(paths)


if __name__ == "__main__":
    main()
