"""File systems through fsspec, configured the way PySpark users configure Hadoop's.

Every file sparklite reads or writes (text, whole files, pickle files, checkpoints,
Parquet/CSV/JSON through ``sparklite.sql``) is opened through :func:`url_to_fs` /
:func:`open_url`, which add the application's options for the URL's protocol:

* ``spark.hadoop.fs.s3a.*`` keys, as a PySpark user sets them for Hadoop's S3A
  connector, map to s3fs options for ``s3://`` and ``s3a://`` URLs (see
  :data:`S3A_KEYS`): ``endpoint``, ``access.key``, ``secret.key``,
  ``session.token``, ``path.style.access``, ``connection.ssl.enabled``,
  ``endpoint.region``.
* ``sparklite.fs.<protocol>.<option>=<value>`` passes any fsspec option through
  (``sparklite.fs.gcs.project``, ``sparklite.fs.abfs.account_name``,
  ``sparklite.fs.s3.client_kwargs.region_name``: dots after the option nest dicts).
  Values ``true``/``false``, integers and JSON objects/lists are parsed; anything
  else stays a string. These win over the ``spark.hadoop`` mapping.

Where the options come from: on the driver, the active SparkContext's configuration;
on an executor, the configuration the driver sent when the executor registered (the
whole resolved conf travels over the authenticated RPC), so nobody sets
``spark.executorEnv.*`` by hand. :func:`storage_options` is a pure function of a
config map, so other driver components (the event log) can build file systems from
their own settings.

Credentials never leave through text: :mod:`sparklite.redaction` masks these keys in
``--verbose`` output, logged configs and error messages.
"""
from __future__ import annotations

import contextlib
import contextvars
import json
from typing import Any, Iterator, Mapping

#: spark.hadoop.fs.s3a.<suffix> -> how it maps (handled in _s3a_options)
S3A_KEYS = ("endpoint", "access.key", "secret.key", "session.token", "path.style.access",
            "connection.ssl.enabled", "endpoint.region")
S3A_PREFIX = "spark.hadoop.fs.s3a."
FS_PREFIX = "sparklite.fs."
#: protocols that name the same file system: options of one apply to the others
_ALIASES = {"s3": ("s3", "s3a"), "s3a": ("s3", "s3a"), "gs": ("gs", "gcs"), "gcs": ("gs", "gcs"),
            "abfs": ("abfs", "az", "abfss"), "az": ("abfs", "az", "abfss"),
            "abfss": ("abfs", "az", "abfss")}

#: set once in an executor process (ExecutorEnv): the options the driver's conf implies
_executor_options: dict[str, dict[str, Any]] | None = None
#: on the driver: the options of the context whose files are being planned or written (a
#: process may hold several contexts: sparklite.driver.allowMultipleContexts)
_scoped_options: contextvars.ContextVar[dict[str, dict[str, Any]] | None] = \
    contextvars.ContextVar("sparklite_fs_options", default=None)


def _parse_value(text: str) -> Any:
    value = str(text).strip()
    lowered = value.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if value.lstrip("-").isdigit():
        return int(value)
    if value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _s3a_options(conf: Mapping[str, str]) -> dict[str, Any]:
    def get(suffix: str) -> str | None:
        value = conf.get(S3A_PREFIX + suffix)
        return None if value is None or str(value).strip() == "" else str(value).strip()

    options: dict[str, Any] = {}
    ssl = get("connection.ssl.enabled")
    use_ssl = True if ssl is None else ssl.lower() == "true"
    if ssl is not None:
        options["use_ssl"] = use_ssl
    endpoint = get("endpoint")
    if endpoint:
        if "://" not in endpoint:  # Hadoop takes host[:port]; the scheme follows ssl.enabled
            endpoint = f"{'https' if use_ssl else 'http'}://{endpoint}"
        options["endpoint_url"] = endpoint
    for suffix, option in (("access.key", "key"), ("secret.key", "secret"), ("session.token", "token")):
        value = get(suffix)
        if value is not None:
            options[option] = value
    region = get("endpoint.region")
    if region:
        options.setdefault("client_kwargs", {})["region_name"] = region
    path_style = get("path.style.access")
    if path_style is not None and path_style.lower() == "true":
        options.setdefault("config_kwargs", {}).setdefault("s3", {})["addressing_style"] = "path"
    return options


def _merge(target: dict[str, Any], path: list[str], value: Any) -> None:
    for part in path[:-1]:
        nested = target.get(part)
        if not isinstance(nested, dict):
            nested = target[part] = {}
        target = nested
    target[path[-1]] = value


def storage_options(conf: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """fsspec options per protocol that a config map implies (``{"s3": {...}, ...}``).

    >>> storage_options({"spark.hadoop.fs.s3a.endpoint": "127.0.0.1:9000",
    ...                  "spark.hadoop.fs.s3a.connection.ssl.enabled": "false"})["s3a"]
    {'use_ssl': False, 'endpoint_url': 'http://127.0.0.1:9000'}
    >>> storage_options({"sparklite.fs.gcs.project": "demo"})["gs"]
    {'project': 'demo'}
    """
    result: dict[str, dict[str, Any]] = {}
    s3 = _s3a_options(conf)
    if s3:
        for protocol in _ALIASES["s3"]:
            result[protocol] = json.loads(json.dumps(s3))  # independent copies
    for key in sorted(conf):
        if not key.startswith(FS_PREFIX):
            continue
        protocol, _, option = key[len(FS_PREFIX):].partition(".")
        if not protocol or not option:
            continue
        for name in _ALIASES.get(protocol, (protocol,)):
            _merge(result.setdefault(name, {}), option.split("."), _parse_value(conf[key]))
    return result


def set_executor_options(conf: Mapping[str, str]) -> None:
    """Called once by an executor with the configuration its driver sent."""
    global _executor_options
    _executor_options = storage_options(conf)


@contextlib.contextmanager
def options_of(context: Any) -> Iterator[None]:
    """Driver side: file system calls in this block use ``context``'s options."""
    token = _scoped_options.set(getattr(context, "_fs_options", None))
    try:
        yield
    finally:
        _scoped_options.reset(token)


def current_options() -> dict[str, dict[str, Any]]:
    """The running application's options: the executor's; on the driver, those of the context
    in scope (:func:`options_of`), else the active SparkContext's."""
    if _executor_options is not None:
        return _executor_options
    scoped = _scoped_options.get()
    if scoped is not None:
        return scoped
    from sparklite.context import SparkContext

    context = SparkContext._active_spark_context
    return getattr(context, "_fs_options", None) or {}


def protocol_of(url: str) -> str:
    import fsspec.core

    protocol, _ = fsspec.core.split_protocol(str(url))
    return protocol or "file"


def options_for(url: str) -> dict[str, Any]:
    """The fsspec options for ``url``'s protocol (a copy; empty when none are configured)."""
    options = current_options().get(protocol_of(url))
    return json.loads(json.dumps(options)) if options else {}


def url_to_fs(url: str, **kwargs: Any) -> tuple[Any, str]:
    """``fsspec.core.url_to_fs`` with the application's options for the URL's protocol."""
    import fsspec.core

    return fsspec.core.url_to_fs(str(url), **{**options_for(url), **kwargs})


def url_to_fs_for(url: str, conf: Mapping[str, str]) -> tuple[Any, str]:
    """``url_to_fs`` with the options a given config map implies (for components that hold their
    own settings, such as an event log writer, rather than the running application's)."""
    import fsspec.core

    options = storage_options(conf).get(protocol_of(url), {})
    return fsspec.core.url_to_fs(str(url), **options)


def open_url(url: str, mode: str = "rb", compression: str | None = None) -> Any:
    """``fsspec.open`` with the application's options (use as a context manager)."""
    import fsspec

    return fsspec.open(str(url), mode, compression=compression, **options_for(url))


def hadoop_uri(fs: Any, path: str, protocol: str | None = None) -> str:
    """A path as Hadoop prints it: ``file:/abs/path`` locally, ``scheme://...`` otherwise, with
    the user's ``protocol`` when it names the same file system (``s3a://`` stays ``s3a://``)."""
    url = fs.unstrip_protocol(path)
    if url.startswith("file://"):
        return "file:" + url[len("file://"):]
    scheme, sep, rest = url.partition("://")
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    if sep and protocol and protocol != scheme and protocol in protocols:
        return f"{protocol}://{rest}"
    return url


def common_protocol(path_spec: str) -> str | None:
    """The protocol of every path of a comma-separated list, when they share one."""
    found = {protocol_of(p.strip()) for p in str(path_spec).split(",") if p.strip()}
    return found.pop() if len(found) == 1 else None


def is_local(fs: Any) -> bool:
    protocols = fs.protocol if isinstance(fs.protocol, (tuple, list)) else (fs.protocol,)
    return "file" in protocols or "local" in protocols


__all__ = ["storage_options", "url_to_fs", "url_to_fs_for", "open_url", "options_for", "hadoop_uri"]
