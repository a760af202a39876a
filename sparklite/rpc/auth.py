"""Shared-secret authentication for every RPC, checked before any payload is read.

The client side adds the secret as call metadata on every call; the server
side interceptor compares it in constant time and, on a mismatch, answers
PERMISSION_DENIED from a handler that has no request deserializer, so not
even the protobuf envelope of an unauthenticated call is parsed, let alone a
pickle inside it.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any, Callable

import grpc

from sparklite.rpc.security import generate_secret  # noqa: F401  (lives there: no grpc import)

log = logging.getLogger(__name__)

METADATA_KEY = "sparklite-auth"


class AuthServerInterceptor(grpc.ServerInterceptor):
    """Rejects calls whose ``sparklite-auth`` metadata is not the expected secret."""

    def __init__(self, secret: str):
        self._secret = secret.encode("utf-8")

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        supplied = b""
        for key, value in handler_call_details.invocation_metadata or ():
            if key == METADATA_KEY:
                supplied = value.encode("utf-8") if isinstance(value, str) else value
                break
        if supplied and hmac.compare_digest(supplied, self._secret):
            return continuation(handler_call_details)
        log.warning("rejected unauthenticated call to %s", handler_call_details.method)
        handler = continuation(handler_call_details)
        return _deny_handler(handler, "missing secret" if not supplied else "wrong secret")


def _deny_handler(handler: Any, why: str) -> Any:
    message = f"sparklite: authentication failed ({why}); check spark.authenticate.secret"

    def deny(request: Any, context: grpc.ServicerContext) -> Any:
        context.abort(grpc.StatusCode.PERMISSION_DENIED, message)

    req_stream = bool(handler and handler.request_streaming)
    resp_stream = bool(handler and handler.response_streaming)
    if req_stream and resp_stream:
        return grpc.stream_stream_rpc_method_handler(deny)
    if req_stream:
        return grpc.stream_unary_rpc_method_handler(deny)
    if resp_stream:
        return grpc.unary_stream_rpc_method_handler(deny)
    return grpc.unary_unary_rpc_method_handler(deny)


class _ClientCallDetails(grpc.ClientCallDetails):
    def __init__(self, details: Any, metadata: list[tuple[str, str]]):
        self.method = details.method
        self.timeout = details.timeout
        self.metadata = metadata
        self.credentials = details.credentials
        self.wait_for_ready = getattr(details, "wait_for_ready", None)
        self.compression = getattr(details, "compression", None)


class AuthClientInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                            grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds the secret to every outgoing call."""

    def __init__(self, secret: str):
        self._entry = (METADATA_KEY, secret)

    def _details(self, details: Any) -> _ClientCallDetails:
        metadata = list(details.metadata or [])
        metadata.append(self._entry)
        return _ClientCallDetails(details, metadata)

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return continuation(self._details(client_call_details), request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return continuation(self._details(client_call_details), request_iterator)
