"""Authentication of every RPC with the shared secret, which itself never crosses the wire.

Protocol (v1). ``k`` is derived from the secret once per process (PBKDF2, so a
weak secret costs a guesser more than one HMAC per guess).

1. **Hello**, once per channel, on its first call: the client sends, in call
   metadata only, a fresh nonce ``cn`` and ``HMAC(k, "client-hello", cn)``.
   The server checks it (a mismatched secret is reported at once, by the side
   that refused), opens a session (random id ``sid``, server nonce ``sn``) and
   answers with ``HMAC(k, "server-hello", cn, sn, sid)``, which the client
   checks in turn: a server that does not hold the secret is refused too.
2. **Every call** then carries ``sid``, a sequence number and
   ``HMAC(k, "call", sid, cn, sn, seq, method)``. The server accepts each
   sequence number of a session once (an anti-replay window, as IPsec's),
   only for sessions it opened itself: a captured call cannot be replayed,
   to this server or another, and a restarted server knows no old session.

A caller without valid credentials is answered PERMISSION_DENIED from a
handler that reads no request message at all, so neither the protobuf
envelope nor a pickle inside it is ever parsed, and a huge body is never
buffered (the server's message limit, channels.MAX_MESSAGE, is a second
guard). Hello itself takes its input from metadata (a few hundred bytes), not
from a message. Only request *headers* are authenticated: without TLS an
active on-path attacker can still alter calls in flight (README, "Security").

THREADING: the server interceptor runs on gRPC's server thread, Hello on its
pool: the session table has its own lock. A client interceptor is shared by
every thread using its channel; its lock guards the session.
"""
from __future__ import annotations

import functools
import hashlib
import hmac
import itertools
import logging
import secrets
import threading
import time
from collections import OrderedDict
from typing import Any, Callable

import grpc

from sparklite.rpc.generated import sparklite_pb2 as pb

log = logging.getLogger(__name__)

HELLO_METHOD = "/sparklite.Auth/Hello"
HELLO_KEY = "sparklite-hello"
AUTH_KEY = "sparklite-auth"
#: a call's sequence number may arrive this many behind the newest one seen on its session
REPLAY_WINDOW = 1024
#: sessions opened by a Hello but not used yet (anyone replaying a captured Hello can open one)
MAX_PENDING_SESSIONS = 1024
#: sessions in use (only holders of the secret can get a session this far)
MAX_SESSIONS = 16384
HELLO_TIMEOUT = 30.0
_KDF_ROUNDS = 20_000
_CHECK_SECRET = ("check spark.authenticate.secret (or sparklite.authenticate.secretFile) on both "
                 "sides: they must be the same")


def generate_secret() -> str:
    return secrets.token_urlsafe(32)


@functools.lru_cache(maxsize=8)
def derive_key(secret: str) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", secret.encode("utf-8"), b"sparklite-rpc-v1", _KDF_ROUNDS)


def _mac(key: bytes, label: bytes, *parts: bytes) -> bytes:
    # every part has a fixed length or comes last, so the concatenation is unambiguous
    return hmac.new(key, label + b"\x00" + b"".join(parts), hashlib.sha256).digest()


def _call_mac(key: bytes, sid: bytes, cn: bytes, sn: bytes, seq: int, method: str) -> bytes:
    return _mac(key, b"call", sid, cn, sn, seq.to_bytes(8, "big"), method.encode("utf-8"))


def _metadata(details: Any, key: str) -> str | None:
    for k, value in details.invocation_metadata or ():
        if k == key:
            return value.decode("ascii", "replace") if isinstance(value, bytes) else value
    return None


# ------------------------------------------------------------------ server side


class _Session:
    __slots__ = ("sid", "cn", "sn", "top", "seen")

    def __init__(self, sid: bytes, cn: bytes, sn: bytes):
        self.sid, self.cn, self.sn = sid, cn, sn
        self.top = 0   #: newest sequence number accepted
        self.seen = 0  #: bit i set: sequence number top - i was accepted

    def accept(self, seq: int) -> bool:
        """Accept ``seq`` once (call only after its MAC verified)."""
        if seq > self.top:
            shift = seq - self.top
            self.seen = 1 if shift >= REPLAY_WINDOW else ((self.seen << shift) | 1) & ((1 << REPLAY_WINDOW) - 1)
            self.top = seq
            return True
        offset = self.top - seq
        if offset >= REPLAY_WINDOW or (self.seen >> offset) & 1:
            return False
        self.seen |= 1 << offset
        return True


class Authenticator:
    """A server's half: its key (None: this server has no secret) and the sessions it opened."""

    def __init__(self, secret: str | None, name: str):
        self.key = derive_key(secret) if secret else None
        #: how the refusals name this server: "the driver", "executor 3", "the master"
        self.name = name
        self._pending: OrderedDict[bytes, _Session] = OrderedDict()
        self._sessions: OrderedDict[bytes, _Session] = OrderedDict()
        self._lock = threading.Lock()
        self._last_warning: dict[str, float] = {}
        #: calls refused since start, by reason (inspection, tests)
        self.refused: dict[str, int] = {}

    def hello(self, cn_hex_proof: str | None) -> pb.HelloReply:
        """Open a session for a client's Hello; raises PermissionError naming the mismatch."""
        if self.key is None:
            raise PermissionError(f"{self.name} runs without a shared secret (spark.authenticate is off "
                                  f"there) but the caller has one; {_CHECK_SECRET}")
        try:
            cn_hex, proof_hex = (cn_hex_proof or "").split(".")
            cn, proof = bytes.fromhex(cn_hex), bytes.fromhex(proof_hex)
        except ValueError:
            raise PermissionError(f"{self.name} got a malformed Hello") from None
        if len(cn) != 16 or not hmac.compare_digest(proof, _mac(self.key, b"client-hello", cn)):
            raise PermissionError(f"the caller's secret differs from {self.name}'s; {_CHECK_SECRET}")
        session = _Session(secrets.token_bytes(16), cn, secrets.token_bytes(16))
        with self._lock:
            self._pending[session.sid] = session
            while len(self._pending) > MAX_PENDING_SESSIONS:
                self._pending.popitem(last=False)
        return pb.HelloReply(session_id=session.sid, server_nonce=session.sn,
                             proof=_mac(self.key, b"server-hello", cn, session.sn, session.sid))

    def check(self, token: str | None, method: str) -> tuple[grpc.StatusCode, str] | None:
        """None if the call's credentials are good (and consumes its sequence number)."""
        assert self.key is not None
        if token is None:
            return grpc.StatusCode.PERMISSION_DENIED, (
                f"the caller sent no credentials and {self.name} requires the shared secret; {_CHECK_SECRET}")
        try:
            sid_hex, seq_text, mac_hex = token.split(".")
            sid, seq, mac = bytes.fromhex(sid_hex), int(seq_text), bytes.fromhex(mac_hex)
            if not 0 < seq < 1 << 63:
                raise ValueError(seq)
        except ValueError:
            return grpc.StatusCode.PERMISSION_DENIED, "malformed credentials"
        with self._lock:
            session = self._sessions.get(sid) or self._pending.get(sid)
        if session is None:
            # a session of another server, or of this one before it restarted: the client says Hello again
            return grpc.StatusCode.UNAUTHENTICATED, f"unknown session (not opened by {self.name})"
        if not hmac.compare_digest(mac, _call_mac(self.key, sid, session.cn, session.sn, seq, method)):
            return grpc.StatusCode.PERMISSION_DENIED, "bad call signature"
        with self._lock:
            if not session.accept(seq):
                return grpc.StatusCode.PERMISSION_DENIED, "replayed call (sequence number already used)"
            if self._pending.pop(sid, None) is not None or sid in self._sessions:
                self._sessions[sid] = session
                self._sessions.move_to_end(sid)
                while len(self._sessions) > MAX_SESSIONS:
                    self._sessions.popitem(last=False)
        return None

    def note_refusal(self, method: str, why: str) -> None:
        with self._lock:
            self.refused[why] = self.refused.get(why, 0) + 1
            count = self.refused[why]
            now = time.monotonic()
            quiet = now - self._last_warning.get(why, -1e9) < 10.0
            if not quiet:
                self._last_warning[why] = now
        if not quiet:  # a flood of bad calls must not flood the log
            log.warning("%s refused a call to %s: %s (%d such refusals so far)", self.name, method, why, count)


class AuthServerInterceptor(grpc.ServerInterceptor):
    """Lets a call through only with a valid session MAC; Hello passes (it checks itself)."""

    def __init__(self, authenticator: Authenticator):
        self._auth = authenticator

    def intercept_service(self, continuation: Callable[[Any], Any], handler_call_details: Any) -> Any:
        method = handler_call_details.method
        if method == HELLO_METHOD or self._auth.key is None:
            return continuation(handler_call_details)
        verdict = self._auth.check(_metadata(handler_call_details, AUTH_KEY), method)
        if verdict is None:
            return continuation(handler_call_details)
        code, why = verdict
        self._auth.note_refusal(method, why)
        return deny_handler(code, f"sparklite: authentication failed at {self._auth.name}: {why}")


def deny_handler(code: grpc.StatusCode, message: str) -> grpc.RpcMethodHandler:
    """A handler that refuses at once. It is request-streaming whatever the method is, because
    gRPC reads a unary request in full before calling its handler; this one reads nothing."""

    def deny(request_iterator: Any, context: grpc.ServicerContext) -> Any:
        context.abort(code, message)

    return grpc.stream_stream_rpc_method_handler(deny)


def hello_handler(authenticator: Authenticator) -> grpc.GenericRpcHandler:
    """The Auth service every sparklite server offers; it too reads no request message."""

    def hello(request_iterator: Any, context: grpc.ServicerContext) -> pb.HelloReply:
        try:
            return authenticator.hello(dict(context.invocation_metadata()).get(HELLO_KEY))
        except PermissionError as exc:
            authenticator.note_refusal(HELLO_METHOD, str(exc))
            context.abort(grpc.StatusCode.PERMISSION_DENIED,
                          f"sparklite: authentication failed at {authenticator.name}: {exc}")
        raise AssertionError("unreachable")

    handler = grpc.stream_unary_rpc_method_handler(hello, response_serializer=pb.HelloReply.SerializeToString)
    return grpc.method_handlers_generic_handler("sparklite.Auth", {"Hello": handler})


# ------------------------------------------------------------------ client side


class AuthError(grpc.RpcError):
    """Raised on the client when the server cannot prove it holds the secret."""

    def __init__(self, details: str):
        super().__init__(details)
        self._details = details

    def code(self) -> grpc.StatusCode:
        return grpc.StatusCode.PERMISSION_DENIED

    def details(self) -> str:
        return self._details

    def __str__(self) -> str:
        return self._details


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
    """Says Hello on the channel's first call, then signs every call of the session."""

    def __init__(self, secret: str, raw_channel: grpc.Channel, target: str):
        self._key = derive_key(secret)
        self._hello_call = raw_channel.unary_unary(HELLO_METHOD, request_serializer=pb.HelloRequest.SerializeToString,
                                                   response_deserializer=pb.HelloReply.FromString)
        self._target = target
        self._lock = threading.Lock()
        self._session: tuple[bytes, bytes, bytes] | None = None
        self._seq = itertools.count(1)

    def _session_for(self, timeout: float | None) -> tuple[bytes, bytes, bytes]:
        with self._lock:
            if self._session is None:
                self._session = self._hello(timeout)
            return self._session

    def _hello(self, timeout: float | None) -> tuple[bytes, bytes, bytes]:
        cn = secrets.token_bytes(16)
        proof = _mac(self._key, b"client-hello", cn)
        reply = self._hello_call(pb.HelloRequest(), metadata=[(HELLO_KEY, f"{cn.hex()}.{proof.hex()}")],
                                 timeout=min(timeout, HELLO_TIMEOUT) if timeout else HELLO_TIMEOUT)
        expected = _mac(self._key, b"server-hello", cn, reply.server_nonce, reply.session_id)
        if not hmac.compare_digest(reply.proof, expected):
            raise AuthError(f"sparklite: authentication failed: the server at {self._target} does not hold "
                            f"this process's secret (its proof did not verify); {_CHECK_SECRET}")
        return reply.session_id, cn, reply.server_nonce

    def _details(self, details: Any, session: tuple[bytes, bytes, bytes]) -> _ClientCallDetails:
        sid, cn, sn = session
        seq = next(self._seq)
        token = f"{sid.hex()}.{seq}.{_call_mac(self._key, sid, cn, sn, seq, details.method).hex()}"
        metadata = list(details.metadata or [])
        metadata.append((AUTH_KEY, token))
        return _ClientCallDetails(details, metadata)

    def _watch(self, call: Any, session: tuple[bytes, bytes, bytes]) -> Any:
        """Forget a session the server no longer knows (it restarted), so the next call says Hello."""
        def done(finished: Any) -> None:
            try:
                code = finished.code()
            except Exception:  # not a finished RPC (cancelled before start): nothing to learn
                return
            if code == grpc.StatusCode.UNAUTHENTICATED:
                with self._lock:
                    if self._session is session:
                        self._session = None

        add = getattr(call, "add_done_callback", None)
        if add is not None:
            add(done)
        return call

    def _intercept(self, continuation: Any, details: Any, request: Any) -> Any:
        session = self._session_for(details.timeout)
        return self._watch(continuation(self._details(details, session), request), session)

    def intercept_unary_unary(self, continuation, client_call_details, request):
        return self._intercept(continuation, client_call_details, request)

    def intercept_unary_stream(self, continuation, client_call_details, request):
        return self._intercept(continuation, client_call_details, request)

    def intercept_stream_unary(self, continuation, client_call_details, request_iterator):
        return self._intercept(continuation, client_call_details, request_iterator)

    def intercept_stream_stream(self, continuation, client_call_details, request_iterator):
        return self._intercept(continuation, client_call_details, request_iterator)
