"""sparklite-history: serve the UI and REST API of applications from their event logs.

``sparklite-history [LOG_DIR] [--host H] [--port P] [--properties-file F]``: LOG_DIR (any
fsspec URL) defaults to ``spark.history.fs.logDirectory``; the port to
``spark.history.ui.port`` (18080, or the next free one). It binds loopback unless
told otherwise. Runs until SIGTERM or SIGINT.
"""
from __future__ import annotations

import click


from sparklite.cli.cluster import _settings, _wait_for_signal
from sparklite.errors import ConfigError
from sparklite.logs import configure_logging


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("log_dir", required=False)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", type=int, default=None,
              help="Port (default spark.history.ui.port, 18080; 0: any free port).")
@click.option("--properties-file", type=click.Path(dir_okay=False, exists=True),
              help="Config properties (spark.history.*).")
def main(log_dir: str | None, host: str, port: int | None, properties_file: str | None) -> None:
    """Serve the web UI and REST API of the applications whose event logs are in LOG_DIR."""
    from sparklite.ui.history import HistoryProvider, HistoryServer

    try:
        settings = _settings(properties_file)
        directory = log_dir or settings.get("spark.history.fs.logDirectory")
        provider = HistoryProvider(directory, settings.get("spark.history.fs.update.interval"))
    except (ConfigError, FileNotFoundError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    configure_logging(settings.get("sparklite.logLevel"))
    provider.refresh(force=True)
    server = HistoryServer(provider, host, settings.get("spark.history.ui.port") if port is None else port,
                           settings.get("spark.port.maxRetries"))
    click.echo(f"sparklite history server for {directory} at {server.url}/", err=True)
    click.echo(f"HISTORY_URL {server.url}", err=False)
    try:
        _wait_for_signal()
    finally:
        server.stop()



