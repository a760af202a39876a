"""Server and channel factories: one place that decides binding, limits, keepalive, auth and TLS.

Local mode binds loopback only and always authenticates with a per-app
secret. Port 0 asks the OS for a free port, and ``SO_REUSEPORT`` is off so two
servers can never share one. Keepalive pings let a peer that vanished without
closing its socket (a cut network) be noticed within seconds rather than hours.

No message, sent or received, may exceed ``MAX_MESSAGE``: a caller without the
secret can then never make a server buffer more than that (auth.py refuses it
before reading even that much), and every bulk transfer streams in chunks of
at most ``MAX_CHUNK``.
"""
from __future__ import annotations

from concurrent import futures
from dataclasses import dataclass
from typing import Any, Sequence

import grpc

from sparklite.config import MAX_CHUNK
from sparklite.rpc.auth import AuthClientInterceptor, Authenticator, AuthServerInterceptor, hello_handler

#: the largest gRPC message any sparklite process sends or accepts (gRPC's own default receive limit)
MAX_MESSAGE = 4 << 20
assert MAX_CHUNK < MAX_MESSAGE  # a chunk of bulk data leaves room for its message's envelope

_COMMON_OPTIONS = [
    ("grpc.max_send_message_length", MAX_MESSAGE),
    ("grpc.max_receive_message_length", MAX_MESSAGE),
    ("grpc.max_metadata_size", 16 << 10),
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 10_000),
    ("grpc.keepalive_permit_without_calls", 1),
    ("grpc.http2.max_pings_without_data", 0),
]
_SERVER_OPTIONS = _COMMON_OPTIONS + [
    ("grpc.so_reuseport", 0),
    ("grpc.http2.min_ping_interval_without_data_ms", 5_000),
    ("grpc.http2.min_recv_ping_interval_without_data_ms", 5_000),
]
_CHANNEL_OPTIONS = _COMMON_OPTIONS + [
    ("grpc.enable_retries", 0),
]


@dataclass(frozen=True)
class TLSConfig:
    """PEM file paths; ``ca`` verifies the peer, ``cert``/``key`` identify this side."""

    cert: str
    key: str
    ca: str

    def _read(self, path: str) -> bytes:
        with open(path, "rb") as f:
            return f.read()

    def server_credentials(self) -> grpc.ServerCredentials:
        return grpc.ssl_server_credentials([(self._read(self.key), self._read(self.cert))],
                                           root_certificates=self._read(self.ca),
                                           require_client_auth=True)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        return grpc.ssl_channel_credentials(root_certificates=self._read(self.ca),
                                            private_key=self._read(self.key),
                                            certificate_chain=self._read(self.cert))


@dataclass(frozen=True)
class RpcSecurity:
    secret: str | None
    tls: TLSConfig | None = None
    #: TLS server name override (certificates issued for a fixed name, e.g. "sparklite")
    tls_server_name: str | None = None


def make_server(handlers: Sequence[Any], host: str, port: int, security: RpcSecurity,
                max_workers: int = 64, name: str = "the server") -> tuple[grpc.Server, int]:
    """Start a gRPC server; returns (server, bound port). ``name`` ("the driver", "executor 3",
    "the master") is how its authentication refusals name it."""
    authenticator = Authenticator(security.secret, name)
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix="rpc"),
                         handlers=[hello_handler(authenticator), *handlers],
                         interceptors=[AuthServerInterceptor(authenticator)], options=_SERVER_OPTIONS)
    server.authenticator = authenticator  # type: ignore[attr-defined]  # inspection, tests
    address = f"{host}:{port}"
    if security.tls is not None:
        bound = server.add_secure_port(address, security.tls.server_credentials())
    else:
        bound = server.add_insecure_port(address)
    if bound == 0:
        raise OSError(f"could not bind gRPC server to {address}")
    server.start()
    return server, bound


def make_channel(address: str, security: RpcSecurity) -> grpc.Channel:
    options = list(_CHANNEL_OPTIONS)
    if security.tls is not None:
        if security.tls_server_name:
            options.append(("grpc.ssl_target_name_override", security.tls_server_name))
        channel = grpc.secure_channel(address, security.tls.channel_credentials(), options=options)
    else:
        channel = grpc.insecure_channel(address, options=options)
    if security.secret:
        channel = grpc.intercept_channel(channel, AuthClientInterceptor(security.secret, channel, address))
    return channel
