"""The UI's HTTP server: the secret (or its token) required when asked, a bounded number of
threads (extra connections answered 503, idle ones closed), taken ports fall through."""
from __future__ import annotations

import base64
import socket
import urllib.error
import urllib.request

import pytest

from sparklite.ui.http_server import HttpServer, Response, is_loopback, ui_token
from tests.helpers.waiting import wait_until


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, dict]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), dict(exc.headers)


@pytest.fixture
def server_factory():
    started: list[HttpServer] = []

    def start(**kwargs):
        server = HttpServer("127.0.0.1", kwargs.pop("port", 0), lambda r: Response(200, f"hello {r.path}"),
                            "test", **kwargs)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def test_with_a_secret_the_server_wants_it_or_its_token(server_factory):
    server = server_factory(secret="s3cret")
    url = server.url()
    assert _get(url + "/jobs/")[0] == 401
    token = ui_token("s3cret")
    assert _get(url + "/jobs/", {"Authorization": f"Bearer {token}"})[:2] == (200, "hello /jobs/")
    basic = base64.b64encode(b"anyone:s3cret").decode()
    assert _get(url + "/", {"Authorization": f"Basic {basic}"})[0] == 200
    wrong = base64.b64encode(b"anyone:guess").decode()
    assert _get(url + "/", {"Authorization": f"Basic {wrong}"})[0] == 401
    status, _, headers = _get(url + f"/jobs/?token={token}")
    assert status == 200 and token in headers["Set-Cookie"]
    assert _get(url + "/stages/", {"Cookie": headers["Set-Cookie"].split(";")[0]})[0] == 200
    assert _get(url + "/stages/?token=nope")[0] == 401
    assert token != "s3cret" and len(token) == 64


def test_threads_are_bounded_and_idle_connections_closed(server_factory):
    server = server_factory(max_threads=1, max_pending=0, idle_timeout=1.0)
    stalled = socket.create_connection(("127.0.0.1", server.port))
    try:
        stalled.sendall(b"GET / HTTP/1.0\r\n")  # never finishes its request: holds the only thread
        wait_until(lambda: _get(server.url() + "/x")[0] == 503, 10, message="a 503 while the thread is held")
        # the idle connection is dropped after idle_timeout, and the server answers again
        wait_until(lambda: _get(server.url() + "/x")[0] == 200, 20, message="the thread freed")
    finally:
        stalled.close()


def test_a_taken_port_falls_through_to_the_next(server_factory):
    first = server_factory()
    second = server_factory(port=first.port)
    assert second.port != first.port and first.port < second.port <= first.port + 16
    assert _get(second.url() + "/a")[1] == "hello /a"


def test_loopback_addresses():
    assert is_loopback("127.0.0.1") and is_loopback("127.3.4.5") and is_loopback("localhost")
    assert not is_loopback("10.0.0.1") and not is_loopback("0.0.0.0")
