"""Config resolution shared by sparklite-submit and sparklite-shell.

Layers, lowest first: ``conf/sparklite-defaults.conf`` (read by SparkConf
itself), the cluster file ``conf/clusters/<NAME>.conf`` (``--cluster NAME``),
the properties file, then ``--conf`` pairs and dedicated flags. The merged
submit layer reaches the application through one environment variable that
``SparkConf()`` reads, so code-set values still win.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from typing import Iterable

import click

from sparklite import config
from sparklite.errors import ConfigError

_CLUSTER_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


class ConfigFailure(click.ClickException):
    """A bad setting or config file, reported in one line that names it (no usage text, no
    traceback); exit code 2, as a usage error."""

    exit_code = 2


def parse_conf_pairs(pairs: Iterable[str]) -> dict[str, str]:
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--conf expects key=value, got {pair!r}")
        result[key.strip()] = value.strip()
    return result


def cluster_layer(name: str) -> dict[str, str]:
    """The properties of ``<conf dir>/clusters/<name>.conf``; a missing file is an error naming it."""
    if not _CLUSTER_NAME.fullmatch(name):
        raise ConfigError(f"--cluster expects a name like 'local' or 'prod-eu', got {name!r}")
    directory = config.conf_dir()
    if directory is None:
        raise ConfigError(f"--cluster {name}: no conf directory to read clusters/{name}.conf from "
                          f"(set SPARKLITE_CONF_DIR)")
    path = directory / "clusters" / f"{name}.conf"
    if not path.is_file():
        raise ConfigError(f"--cluster {name}: cluster config file not found: {path}")
    return config.read_properties(path)


def resolve_layers(properties_file: str | None, conf_pairs: Iterable[str],
                   flags: dict[str, str | None], cluster: str | None = None,
                   origins: dict[str, str] | None = None,
                   flag_names: dict[str, str] | None = None) -> dict[str, str]:
    """The submit layer: cluster file < properties file < --conf < dedicated flags (e.g. --master).

    ``origins``, when given, receives where each key's value came from (``--conf``,
    ``--master``, ``properties file F``, ``cluster file F``), for ``--verbose``.
    """
    layer: dict[str, str] = {}
    where = origins if origins is not None else {}

    def add(values: dict[str, str], origin: str) -> None:
        layer.update(values)
        where.update(dict.fromkeys(values, origin))

    if cluster:
        directory = config.conf_dir()
        add(cluster_layer(cluster), f"cluster file {directory / 'clusters' / (cluster + '.conf')}"
            if directory else "cluster file")
    if properties_file:
        add(config.read_properties(properties_file), f"properties file {properties_file}")
    add(parse_conf_pairs(conf_pairs), "--conf")
    for key, value in flags.items():
        if value is not None:
            add({key: value}, (flag_names or {}).get(key, "command line"))
    return layer


def validate(layer: dict[str, str]) -> config.Settings:
    """Fail now, naming the key, if any known key has a bad value in any file layer."""
    merged = config.defaults_file_layer()
    merged.update(layer)
    merged.setdefault("spark.master", "local[*]")
    return config.Settings(merged)


def export(layer: dict[str, str], origins: dict[str, str] | None = None, verbose: bool = False) -> None:
    """Hand the resolved layer (and, for --verbose, where each key came from) to SparkConf."""
    os.environ[config.SUBMIT_CONF_ENV] = json.dumps(layer)
    if origins is not None:
        os.environ[config.SUBMIT_ORIGINS_ENV] = json.dumps(origins)
    if verbose:
        os.environ[config.SUBMIT_VERBOSE_ENV] = "1"


def stage_py_files(spec: str | None) -> tuple[list[str], str | None]:
    """Import paths for ``--py-files`` and the private directory holding the copied .py files.

    ``.py`` files are copied to a private directory rather than importing from where they
    lie, so their neighbours do not become importable on the driver (and on local
    executors, which inherit its paths) while a cluster's executors lack them.
    """
    paths: list[str] = []
    copies: str | None = None
    for item in (part.strip() for part in (spec or "").split(",")):
        if not item or "://" in item:  # remote files are shipped to executors, not imported here
            continue
        path = os.path.abspath(os.path.expanduser(item))
        if not os.path.isfile(path):
            raise ConfigError(f"--py-files: file not found: {item}")
        if path.endswith(".py"):
            if copies is None:
                copies = tempfile.mkdtemp(prefix="sparklite-pyfiles-")
                paths.append(copies)
            shutil.copy(path, copies)
        elif path.endswith((".zip", ".egg")):
            paths.append(path)
        else:
            if copies is not None:
                shutil.rmtree(copies, ignore_errors=True)
            raise ConfigError(f"--py-files takes .py, .zip and .egg files, got {item}")
    return paths, copies
