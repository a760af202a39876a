"""Where an application's RPC security comes from: config on the driver, environment on executors.

The secret reaches executors through their environment (never argv, which
any local user can read with ps). Local mode always has a secret: one is
generated per application unless configured.
"""
from __future__ import annotations

import os
import secrets

from sparklite.errors import ConfigError
from sparklite.rpc.channels import RpcSecurity, TLSConfig

SECRET_ENV = "SPARKLITE_AUTH_SECRET"
TLS_ENV = {"cert": "SPARKLITE_TLS_CERT", "key": "SPARKLITE_TLS_KEY", "ca": "SPARKLITE_TLS_CA"}
TLS_NAME_ENV = "SPARKLITE_TLS_SERVER_NAME"


def generate_secret() -> str:
    """A fresh per-application secret."""
    return secrets.token_urlsafe(32)


def security_from_env() -> RpcSecurity:
    secret = os.environ.get(SECRET_ENV) or None
    paths = {k: os.environ.get(v) for k, v in TLS_ENV.items()}
    tls = TLSConfig(**paths) if all(paths.values()) else None  # type: ignore[arg-type]
    return RpcSecurity(secret, tls, os.environ.get(TLS_NAME_ENV) or None)


def security_env(security: RpcSecurity) -> dict[str, str]:
    env: dict[str, str] = {}
    if security.secret:
        env[SECRET_ENV] = security.secret
    if security.tls is not None:
        env.update({TLS_ENV["cert"]: security.tls.cert, TLS_ENV["key"]: security.tls.key,
                    TLS_ENV["ca"]: security.tls.ca})
    if security.tls_server_name:
        env[TLS_NAME_ENV] = security.tls_server_name
    return env


def read_secret(settings: object) -> str | None:
    """The configured secret (inline or from a file), or None."""
    secret = settings.get("spark.authenticate.secret")  # type: ignore[attr-defined]
    path = settings.get("sparklite.authenticate.secretFile")  # type: ignore[attr-defined]
    if not secret and path:
        try:
            with open(os.path.expanduser(path), encoding="utf-8") as f:
                secret = f.read().strip()
        except OSError as exc:
            raise ConfigError(f"cannot read sparklite.authenticate.secretFile {path}: {exc}") from None
        if not secret:
            raise ConfigError(f"sparklite.authenticate.secretFile {path} is empty")
    return secret or None


def local_security(settings: object) -> RpcSecurity:
    """Local mode: the configured secret, else a fresh one for this application."""
    return RpcSecurity(read_secret(settings) or generate_secret(), None)


def is_loopback(host: str) -> bool:
    import ipaddress
    import socket

    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(socket.gethostbyname(host)).is_loopback
    except (OSError, ValueError):
        return False


def tls_from_settings(settings: object) -> TLSConfig | None:
    if not settings.get("spark.ssl.enabled"):  # type: ignore[attr-defined]
        return None
    paths = {}
    for name, key in (("cert", "sparklite.ssl.certFile"), ("key", "sparklite.ssl.keyFile"),
                      ("ca", "sparklite.ssl.caFile")):
        value = settings.get(key)  # type: ignore[attr-defined]
        if not value:
            raise ConfigError(f"spark.ssl.enabled is true but {key} is not set")
        path = os.path.expanduser(value)
        if not os.path.isfile(path):
            raise ConfigError(f"{key}: no such file {path}")
        paths[name] = path
    return TLSConfig(**paths)


def ray_security(settings: object) -> RpcSecurity:
    """master="ray": the configured secret, else a fresh one for this application (as local
    mode), and TLS when configured (spark.ssl.enabled: the PEM files must exist on every node)."""
    return RpcSecurity(read_secret(settings) or generate_secret(), tls_from_settings(settings),
                       settings.get("sparklite.ssl.serverName"))  # type: ignore[attr-defined]


def cluster_security(settings: object, bind_host: str | None = None) -> RpcSecurity:
    """Cluster mode: the cluster's shared secret (required off loopback) and optional TLS."""
    secret = read_secret(settings)
    if settings.get("spark.authenticate") and not secret:  # type: ignore[attr-defined]
        raise ConfigError("spark.authenticate is true but no secret is configured: set "
                          "spark.authenticate.secret or sparklite.authenticate.secretFile")
    if not secret and bind_host is not None and not is_loopback(bind_host):
        raise ConfigError(f"binding {bind_host}, a non-loopback address, requires spark.authenticate=true "
                          f"with a shared secret (spark.authenticate.secret or "
                          f"sparklite.authenticate.secretFile)")
    return RpcSecurity(secret, tls_from_settings(settings),
                       settings.get("sparklite.ssl.serverName"))  # type: ignore[attr-defined]
