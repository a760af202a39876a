"""The authentication protocol (rpc/auth.py) without sockets: sessions, signatures, replays."""
from __future__ import annotations

import secrets

import grpc
import pytest

from sparklite.rpc import auth


def hello(server: auth.Authenticator, secret: str) -> tuple[bytes, bytes, bytes]:
    """A client's Hello with ``secret``; returns (session id, client nonce, server nonce)."""
    key = auth.derive_key(secret)
    cn = secrets.token_bytes(16)
    reply = server.hello(f"{cn.hex()}.{auth._mac(key, b'client-hello', cn).hex()}")
    assert reply.proof == auth._mac(key, b"server-hello", cn, reply.server_nonce, reply.session_id)
    return reply.session_id, cn, reply.server_nonce


def token(secret: str, session: tuple[bytes, bytes, bytes], seq: int, method: str) -> str:
    sid, cn, sn = session
    return f"{sid.hex()}.{seq}.{auth._call_mac(auth.derive_key(secret), sid, cn, sn, seq, method).hex()}"


M = "/sparklite.Driver/Connect"


def test_a_signed_call_is_accepted_once_and_its_replay_refused():
    server = auth.Authenticator("s3cret", "the driver")
    session = hello(server, "s3cret")
    call = token("s3cret", session, 1, M)
    assert server.check(call, M) is None
    code, why = server.check(call, M)
    assert code == grpc.StatusCode.PERMISSION_DENIED and "replayed" in why


def test_calls_may_arrive_out_of_order_within_the_window_but_only_once_each():
    server = auth.Authenticator("k", "executor 1")
    session = hello(server, "k")
    for seq in (5, 3, 4, 1, 2, 9):
        assert server.check(token("k", session, seq, M), M) is None, seq
    assert server.check(token("k", session, 4, M), M)[0] == grpc.StatusCode.PERMISSION_DENIED
    far = auth.REPLAY_WINDOW + 50
    assert server.check(token("k", session, far, M), M) is None
    too_old = server.check(token("k", session, 10, M), M)  # never used, but behind the window
    assert too_old is not None and too_old[0] == grpc.StatusCode.PERMISSION_DENIED


def test_a_signature_covers_the_method_and_the_session():
    server = auth.Authenticator("k", "the master")
    session = hello(server, "k")
    stolen = token("k", session, 1, "/sparklite.Master/Status")
    assert "signature" in server.check(stolen, "/sparklite.Master/WorkerConnect")[1]
    forged = token("other", session, 2, M)
    assert "signature" in server.check(forged, M)[1]


def test_a_session_is_only_valid_on_the_server_that_opened_it():
    first, second = auth.Authenticator("k", "executor 1"), auth.Authenticator("k", "executor 2")
    call = token("k", hello(first, "k"), 1, M)
    code, why = second.check(call, M)
    assert code == grpc.StatusCode.UNAUTHENTICATED and "unknown session" in why
    assert first.check(call, M) is None


def test_a_mismatched_secret_is_named_by_the_side_that_refuses():
    with pytest.raises(PermissionError, match="the caller's secret differs from the master's"):
        hello(auth.Authenticator("right", "the master"), "wrong")
    with pytest.raises(PermissionError, match="the master runs without a shared secret"):
        hello(auth.Authenticator(None, "the master"), "any")
    code, why = auth.Authenticator("k", "the driver").check(None, M)
    assert code == grpc.StatusCode.PERMISSION_DENIED and "sent no credentials" in why and "the driver" in why


def test_unused_sessions_are_bounded():
    server = auth.Authenticator("k", "the driver")
    sessions = [hello(server, "k") for _ in range(auth.MAX_PENDING_SESSIONS + 10)]
    assert server.check(token("k", sessions[0], 1, M), M)[0] == grpc.StatusCode.UNAUTHENTICATED  # evicted
    assert server.check(token("k", sessions[-1], 1, M), M) is None


def test_garbage_credentials_are_refused():
    server = auth.Authenticator("k", "the driver")
    sid = hello(server, "k")[0].hex()
    for bad in ("", "x", "a.b.c", "zz.1.zz", "00.-1.00", f"{sid}.-1.00", f"{sid}.0.00", f"{sid}.{1 << 70}.00"):
        assert server.check(bad, M)[0] == grpc.StatusCode.PERMISSION_DENIED, bad
    with pytest.raises(PermissionError):
        server.hello("nonsense")
