"""sparklite-master and sparklite-worker: the daemons of a standalone cluster.

Both read the same layered config as applications (``conf/sparklite-defaults.conf``
< ``--properties-file``), which is where the cluster's secret
(``spark.authenticate.secret`` or ``sparklite.authenticate.secretFile``) and
TLS files live. Binding a non-loopback address without a secret is refused.
They run until SIGTERM or SIGINT, then stop what they started.
"""
from __future__ import annotations

import os
import signal
import socket
import threading

import click

from sparklite import config
from sparklite.cli.resolve import ConfigFailure
from sparklite.errors import ConfigError
from sparklite.logs import configure_logging


def _settings(properties_file: str | None) -> config.Settings:
    layer = config.defaults_file_layer()
    if properties_file:
        layer.update(config.read_properties(properties_file))
    return config.Settings(layer)


def _wait_for_signal(alive: threading.Thread | None = None) -> None:
    """Until SIGTERM/SIGINT, or until ``alive`` (the daemon's main loop) ends by itself."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(0.2):
        if alive is not None and not alive.is_alive():
            return


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--host", default=None, help="Address to bind and advertise (default: this host's name).")
@click.option("--port", type=int, default=7077, show_default=True, help="RPC port (0: any free port).")
@click.option("--webui-port", type=int, default=8080, show_default=True,
              help="Status page port (0: any free port, -1: none).")
@click.option("--properties-file", type=click.Path(dir_okay=False, exists=True),
              help="Config properties (secret, TLS, spark.worker.timeout).")
def master_main(host: str | None, port: int, webui_port: int, properties_file: str | None) -> None:
    """Start a standalone master."""
    from sparklite.deploy.master import Master
    from sparklite.rpc.security import cluster_security

    try:
        settings = _settings(properties_file)
        host = host or socket.gethostname()
        security = cluster_security(settings, host)
    except ConfigError as exc:
        raise ConfigFailure(str(exc)) from None
    configure_logging(settings.get("sparklite.logLevel"))
    master = Master(host, port, security, settings.get("spark.worker.timeout"),
                    None if webui_port < 0 else webui_port, settings.get("spark.deploy.retainedApplications"))
    web = f", status page http://{host}:{master.web.port}/" if master.web else ""
    click.echo(f"sparklite master {master.master_id} at {master.url}{web}", err=True)
    click.echo(f"MASTER_URL {master.url}", err=False)
    try:
        _wait_for_signal()
    finally:
        master.stop()


def _default_memory() -> int:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError):
        total = 2 << 30
    return max(1 << 30, total - (1 << 30))  # as Spark: all but 1 GiB, at least 1 GiB


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--master", "master_url", required=True, help="sparklite://host:port[,host2:port2]")
@click.option("--cores", type=int, default=None, help="Cores to offer (default: all).")
@click.option("--memory", default=None, help="Memory to offer, e.g. 4g (default: all but 1g).")
@click.option("--work-dir", default=None, help="Directory for executors' files (default: ./work).")
@click.option("--host", default=None, help="Address executors bind and advertise (default: the one "
                                           "that routes to the master).")
@click.option("--webui-port", type=int, default=None,
              help="Log pages port (default spark.worker.ui.port, 8081; 0: any free port, -1: none).")
@click.option("--properties-file", type=click.Path(dir_okay=False, exists=True),
              help="Config properties (secret, TLS).")
def worker_main(master_url: str, cores: int | None, memory: str | None, work_dir: str | None,
                host: str | None, webui_port: int | None, properties_file: str | None) -> None:
    """Start a standalone worker that offers this machine to a master."""
    from sparklite.deploy.worker import Cleanup, Worker
    from sparklite.rpc.security import cluster_security
    from sparklite.scheduler.master_url import StandaloneMaster, parse_master
    from sparklite.scheduler.runtime import _route_to

    try:
        settings = _settings(properties_file)
        spec = parse_master(master_url)
        if not isinstance(spec, StandaloneMaster):
            raise ConfigError(f"--master must be sparklite://host:port, got {master_url}")
        host = host or _route_to(*spec.hosts[0])
        security = cluster_security(settings, host)
        memory_bytes = config.parse_size(memory, "m") if memory else _default_memory()
        from sparklite.resource_discovery import discover

        resources = discover(settings.raw(), "worker")  # spark.worker.resource.*, resourcesFile
    except (ConfigError, ValueError) as exc:
        raise ConfigFailure(str(exc)) from None
    configure_logging(settings.get("sparklite.logLevel"))
    port = settings.get("spark.worker.ui.port") if webui_port is None else webui_port
    cleanup = Cleanup(settings.get("spark.worker.cleanup.enabled"), settings.get("spark.worker.cleanup.interval"),
                      settings.get("spark.worker.cleanup.appDataTtl"))
    worker = Worker(list(spec.hosts), host, cores or os.cpu_count() or 1, memory_bytes,
                    work_dir or os.path.join(os.getcwd(), "work"), security,
                    settings.get("sparklite.worker.heartbeatInterval"), None if port < 0 else port, cleanup,
                    settings.get("spark.port.maxRetries"), resources)
    pages = f", logs at {worker.pages.url}/" if worker.pages is not None else ""
    offered = "".join(f", {name} {addresses}" for name, addresses in sorted(resources.items()))
    click.echo(f"sparklite worker {worker.worker_id}: {worker.cores} cores, {memory_bytes >> 20} MiB"
               f"{offered}, master {master_url}{pages}", err=True)
    runner = threading.Thread(target=worker.run, name="worker-main", daemon=True)
    runner.start()
    try:
        _wait_for_signal(runner)
    finally:
        worker.stop()
    if worker.fatal:
        raise click.ClickException(worker.fatal)
