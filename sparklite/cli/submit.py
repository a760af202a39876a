"""sparklite-submit: run a PySpark-style script with resolved configuration.

The driver runs in this process (client mode): the script is executed as
``__main__`` with its own arguments, and ``SparkConf()`` inside it sees the
configuration resolved here. spark-submit's habits carry over: ``--version``,
``--deploy-mode client``, ``--driver-memory``, ``--archives``, and ``--verbose``,
which prints the parsed arguments and the properties with where each came from
(and, when the script starts its SparkContext, the configuration it runs with,
code-set values included). Options that need a JVM or a cluster-mode driver are
refused with what to use instead; an unknown option is named as such.
"""
from __future__ import annotations

import os
import runpy
import shutil
import sys

import click

from sparklite.cli.console import print_exception
from sparklite.cli.resolve import ConfigFailure, export, resolve_layers, stage_py_files, validate
from sparklite.errors import ConfigError, JobInterrupted
from sparklite.redaction import redact

#: spark-submit options sparklite refuses, and what to do instead
_REFUSED = {
    "--jars": "sparklite has no JVM, so it cannot load jars: ship Python code with --py-files "
              "(.py, .zip, .egg) and data files with --files",
    "--packages": "sparklite has no JVM, so it cannot resolve Maven packages: pip install Python "
                  "packages on every machine, or ship them with --py-files or --archives "
                  "(a packed virtualenv)",
    "--repositories": "sparklite has no JVM, so it has no Maven repositories: use pip",
    "--exclude-packages": "sparklite has no JVM, so it has no Maven packages: use pip",
    "--class": "sparklite runs Python scripts, not JVM classes: give the .py file as the application",
    "--driver-class-path": "sparklite has no JVM: put Python code on the path with --py-files",
    "--driver-java-options": "sparklite has no JVM",
    "--driver-library-path": "sparklite has no JVM",
    "--supervise": "--supervise restarts a driver that runs in cluster mode, which sparklite does "
                   "not have yet (the driver is this process): restart the submit command instead",
    "--kill": "--kill stops a driver running in cluster mode, which sparklite does not have yet",
    "--status": "--status asks about a driver running in cluster mode, which sparklite does not have yet",
}
#: the flag that sets each key, for --verbose
_FLAG_NAMES = {"spark.master": "--master", "spark.app.name": "--name", "spark.submit.pyFiles": "--py-files",
               "spark.files": "--files", "spark.archives": "--archives",
               "spark.executor.memory": "--executor-memory", "spark.executor.cores": "--executor-cores",
               "spark.cores.max": "--total-executor-cores", "spark.executor.instances": "--num-executors",
               "spark.driver.memory": "--driver-memory", "spark.submit.deployMode": "--deploy-mode"}


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if not value or ctx.resilient_parsing:
        return
    import platform

    import sparklite

    click.echo(f"sparklite version {sparklite.__version__}: PySpark's RDD API on executor processes, "
               f"no JVM\nUsing Python {platform.python_version()} ({sys.executable})")
    ctx.exit(0)


@click.command(context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False,
                                 "help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Print the version of sparklite and exit.")
@click.option("--master", help="local, local[N], local[*], local-cluster[N,C,M], sparklite://host:port "
                                "or ray")
@click.option("--deploy-mode", "deploy_mode", metavar="MODE",
              help="client (the driver runs here; cluster mode is not supported yet).")
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
@click.option("--archives", metavar="ARCHIVES",
              help="Comma-separated .zip/.tar.gz/.tgz/.tar archives unpacked on the executors "
                   "(path#alias names the directory).")
@click.option("--driver-memory", metavar="MEM", help="Driver memory, e.g. 2g (spark.driver.memory; recorded).")
@click.option("--executor-memory", metavar="MEM", help="Memory per executor, e.g. 2g (spark.executor.memory).")
@click.option("--executor-cores", metavar="N", help="Cores per executor (spark.executor.cores).")
@click.option("--total-executor-cores", metavar="N", help="Cores in total, standalone (spark.cores.max).")
@click.option("--num-executors", metavar="N", help="Executors to ask for (spark.executor.instances).")
@click.option("--verbose", "-v", is_flag=True,
              help="Print the parsed arguments and each resolved property with where it came from "
                   "(secrets masked).")
@click.argument("app")
@click.argument("app_args", nargs=-1, type=click.UNPROCESSED)
def main(master: str | None, deploy_mode: str | None, name: str | None, conf_pairs: tuple[str, ...],
         properties_file: str | None, cluster: str | None, py_files: str | None, files: str | None,
         archives: str | None, driver_memory: str | None, executor_memory: str | None,
         executor_cores: str | None, total_executor_cores: str | None, num_executors: str | None,
         verbose: bool, app: str, app_args: tuple[str, ...]) -> None:
    """Run APP (a Python script written against the PySpark RDD API) on sparklite.

    \b
    Resources (GPUs...), set with --conf; <name> is gpu, fpga...:
      spark.executor.resource.<name>.amount           addresses per executor
      spark.executor.resource.<name>.discoveryScript  prints {"name": ..., "addresses": [...]}
      spark.executor.resource.<name>.vendor           recorded
      spark.task.resource.<name>.amount               per task; 0.25: four tasks share one
      spark.task.cpus                                 cores per task
      spark.driver.resource.<name>.amount / .discoveryScript, spark.driver.resourcesFile
      spark.worker.resource.<name>.amount / .discoveryScript, spark.worker.resourcesFile
    """
    if app.startswith("-"):
        option = app.split("=", 1)[0]
        if option in _REFUSED:
            raise click.UsageError(f"{option} is not supported: {_REFUSED[option]}")
        raise click.UsageError(f"unknown option {option} (see sparklite-submit --help)")
    if deploy_mode is not None and deploy_mode not in ("client", "cluster"):
        raise click.UsageError(f"--deploy-mode must be client or cluster, got {deploy_mode!r}")
    if deploy_mode == "cluster":
        raise click.UsageError("--deploy-mode cluster is not supported yet: the driver runs in the "
                               "submitting process; use --deploy-mode client (the default)")
    try:
        flags = {"spark.master": master, "spark.app.name": name,
                 "spark.submit.deployMode": deploy_mode,
                 "spark.submit.pyFiles": _absolute_paths(py_files, "--py-files"),
                 "spark.files": _absolute_paths(files, "--files"),
                 "spark.archives": _absolute_paths(archives, "--archives"),
                 "spark.driver.memory": driver_memory,
                 "spark.executor.memory": executor_memory, "spark.executor.cores": executor_cores,
                 "spark.cores.max": total_executor_cores, "spark.executor.instances": num_executors}
        origins: dict[str, str] = {}
        layer = resolve_layers(properties_file, conf_pairs, flags, cluster, origins, _FLAG_NAMES)
        settings = validate(layer)
    except ConfigError as exc:
        raise ConfigFailure(str(exc)) from None
    if not os.path.isfile(app):
        raise click.UsageError(f"application file not found: {app}")
    if verbose:
        _print_parsed(locals(), settings.raw(), origins, app, app_args)
    export(layer, origins, verbose)
    try:
        import_paths, copies = stage_py_files(py_files)
    except ConfigError as exc:
        raise ConfigFailure(str(exc)) from None
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


def _print_parsed(args: dict, resolved: dict[str, str], origins: dict[str, str], app: str,
                  app_args: tuple[str, ...]) -> None:
    """spark-submit's "Parsed arguments" block, then each property with where it came from."""
    from sparklite import config

    def show(value: object) -> str:
        return "null" if value in (None, "", ()) else str(value)

    fields = [("master", args["master"]), ("deployMode", args["deploy_mode"]),
              ("executorMemory", args["executor_memory"]), ("executorCores", args["executor_cores"]),
              ("totalExecutorCores", args["total_executor_cores"]),
              ("numExecutors", args["num_executors"]), ("driverMemory", args["driver_memory"]),
              ("propertiesFile", args["properties_file"]), ("cluster", args["cluster"]),
              ("name", args["name"]), ("pyFiles", args["py_files"]), ("files", args["files"]),
              ("archives", args["archives"]), ("primaryResource", "file:" + os.path.abspath(app)),
              ("childArgs", "[" + " ".join(app_args) + "]" if app_args else None), ("verbose", "true")]
    lines = ["Parsed arguments:"] + [f"  {name:<24}{show(value)}" for name, value in fields]
    directory = config.conf_dir()
    defaults = f"defaults file {directory / config.DEFAULTS_FILE}" if directory else "defaults file"
    pairs = sorted(resolved.items())
    width = max([len(f"{k}={redact(k, v)}") for k, v in pairs] + [0])
    lines += ["", "Spark properties used, with where each came from (code can still override them; "
                  "the SparkContext prints what it runs with):"]
    lines += [f"  {f'{k}={redact(k, v)}':<{width}}  ({origins.get(k, defaults if k != 'spark.master' else 'default')})"
              for k, v in pairs]
    click.echo("\n".join(lines) + "\n", err=True)


def _run_app(app: str) -> int:
    """Run the script as ``__main__``; its exit code, reporting an exception as Python would.

    The traceback starts at the script's own frame (not at this launcher's), and a failed
    job is shown compactly, the user's remote traceback included, as in sparklite-shell.
    """
    error: str | None = None
    try:
        runpy.run_path(app, run_name="__main__")
    except SystemExit:
        raise
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        tb = exc.__traceback__
        while tb is not None and tb.tb_frame.f_code.co_filename != app:
            tb = tb.tb_next
        print_exception(exc, tb if tb is not None else exc.__traceback__)
        # Ctrl-C ends the job and the run: 130, as a shell reports a SIGINT
        return 130 if isinstance(exc, (KeyboardInterrupt, JobInterrupted)) else 1
    finally:
        _stop_active_context(error)
    return 0


def _stop_active_context(error: str | None = None) -> None:
    """A script that did not stop its context: stop it now, before the exit code is reported
    (``error``: the script failed, which a standalone master then shows)."""
    from sparklite import SparkContext

    context = SparkContext._active_spark_context
    if context is not None:
        if error is not None:
            context._ending_with_error(error)
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
            local, hash_, alias = part.partition("#")  # --archives venv.tar.gz#environment
            if "://" not in local and not os.path.exists(local):
                raise ConfigError(f"{flag}: no such file {local}")
            paths.append((local if "://" in local else os.path.abspath(local)) + hash_ + alias)
    return ",".join(paths)


if __name__ == "__main__":
    main()
