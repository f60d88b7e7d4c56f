"""`corpus serve` and `gunicorn wsgi:app` serve the same app; what gunicorn answers itself looks like the app's answers."""

from __future__ import annotations

import json
import re
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest

from corpus.headers import SECURITY_HEADERS
from servers import gunicorn, serve


def test_gunicorn_serves_search_and_api(sample_settings):
    with gunicorn(sample_settings.index_dir) as base:
        with urllib.request.urlopen(base + "/api/search?q=Putin", timeout=10) as response:
            data = json.load(response)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert data["total"] == 1
        assert data["hits"][0]["author"] == ["Paul Goble"]
        with urllib.request.urlopen(base + "/search?q=elites", timeout=10) as response:
            html = response.read().decode()
        assert re.search(r"<mark>elites?</mark>", html)
        try:
            urllib.request.urlopen(base + "/articles/..%2F..%2Fetc%2Fpasswd", timeout=10)
            raise AssertionError("expected a 404")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404


def test_a_query_over_the_time_limit_gets_a_clear_503_and_the_worker_stays_responsive(mini_settings):
    with serve(mini_settings.index_dir, workers=1, extra_env={"CORPUS_QUERY_TIME_LIMIT": "0.000001"}) as base:
        for _ in range(3):
            try:
                urllib.request.urlopen(base + "/api/search?q=exporters+OR+oil", timeout=10)
                raise AssertionError("expected a 503")
            except urllib.error.HTTPError as exc:
                assert exc.code == 503
                error = json.load(exc)["error"]
                assert error["code"] == "query_timeout" and "took longer than" in error["message"]
        # The same single worker answers the next requests at once.
        with urllib.request.urlopen(base + "/help", timeout=10) as response:
            assert response.status == 200
        with urllib.request.urlopen(base + "/articles/wire-oil-prices", timeout=10) as response:
            assert response.status == 200


HEADER_TIMEOUT = 1.5


@pytest.fixture(scope="module")
def server(mini_settings: Any) -> Iterator[tuple[str, int]]:
    with serve(mini_settings.index_dir, workers=1, extra_env={"CORPUS_HEADER_TIMEOUT": str(HEADER_TIMEOUT)}) as base:
        port = urlparse(base).port
        assert port is not None
        yield base, port


def exchange(port: int, data: bytes, wait: float = 0.0) -> list[tuple[int, dict[str, str], bytes]]:
    """Send raw bytes, read until the server closes, and split the HTTP answers."""
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.sendall(data)
        if wait:
            time.sleep(wait)
        raw = b""
        while True:
            try:
                chunk = s.recv(65536)
            except (TimeoutError, ConnectionResetError):
                break
            if not chunk:
                break
            raw += chunk  # every exchange here ends with the server closing the connection
    answers = []
    while raw.startswith(b"HTTP/1.1 "):
        head, _, rest = raw.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        answers.append((int(lines[0].split()[1]), headers, rest[:length]))
        raw = rest[length:]
    return answers


def assert_like_the_app(status: int, headers: dict[str, str], body: bytes, expected: int, api: bool) -> dict | None:
    assert status == expected, (status, headers, body[:200])
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name.lower()) == value, name
    assert headers["cache-control"] == "no-store"
    if not api:
        assert headers["content-type"].startswith("text/html")
        return None
    assert headers["content-type"] == "application/json" and headers["access-control-allow-origin"] == "*"
    error = json.loads(body)["error"]
    assert set(error) == {"code", "message", "param"} and error["message"]
    assert "Traceback" not in error["message"] and "gunicorn" not in error["message"].lower()
    return error  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", ["/api/search", "/search"])
def test_a_request_line_too_long_is_a_414_like_the_apps_errors(server, path):
    _, port = server
    (status, headers, body), = exchange(port, f"GET {path}?q={'x' * 5000} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    error = assert_like_the_app(status, headers, body, 414, path.startswith("/api/"))
    if error:
        assert error["code"] == "uri_too_long" and "4094" in error["message"]


@pytest.mark.parametrize("extra", ["".join(f"X-Many-{i}: 1\r\n" for i in range(60)), f"X-Big: {'y' * 9000}\r\n",
                                   "".join(f"X-Huge-{i}: {'z' * 8000}\r\n" for i in range(10))])
def test_too_many_or_too_large_headers_are_a_431_like_the_apps_errors(server, extra):
    _, port = server
    (status, headers, body), = exchange(port, f"GET /api/search?q=oil HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())
    error = assert_like_the_app(status, headers, body, 431, True)
    assert error is not None and error["code"] == "request_header_fields_too_large"


@pytest.mark.parametrize(("raw", "api"), [(b"GET /api/search HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n", True),
                                          (b"GET /api/search HTTP/1.1\nHost: x\n\n", True),
                                          (b"NOT HTTP AT ALL\r\n\r\n", False),
                                          (b"GET /help HTTP/9.9\r\nHost: x\r\n\r\n", False)])
def test_a_malformed_request_is_a_400_like_the_apps_errors(server, raw, api):
    _, port = server
    (status, headers, body), = exchange(port, raw)
    error = assert_like_the_app(status, headers, body, 400, api)
    if error:
        assert error["code"] == "bad_request"


def test_a_head_that_does_not_arrive_in_time_is_a_408(server):
    _, port = server
    clock = time.monotonic()
    (status, headers, body), = exchange(port, b"GET /api/search?q=oil HTTP/1.1\r\nHost: x\r\n")
    took = time.monotonic() - clock
    error = assert_like_the_app(status, headers, body, 408, True)
    assert error is not None and error["code"] == "request_timeout"
    assert HEADER_TIMEOUT - 0.1 <= took <= HEADER_TIMEOUT + 2, took


def test_pipelined_requests_and_small_bodies_are_answered_in_order(server):
    _, port = server
    answers = exchange(port, b"GET /api/search?q=oil HTTP/1.1\r\nHost: x\r\n\r\n"
                             b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello")
    assert [a[0] for a in answers] == [200, 405]
    assert json.loads(answers[0][2])["total"] == 3 and json.loads(answers[1][2])["error"]["code"] == "method_not_allowed"


def test_a_body_announced_but_never_sent_does_not_hold_the_server(server):
    base, port = server
    clock = time.monotonic()
    (status, _, _), = exchange(port, b"POST /api/search HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n")
    assert status in (405, 413) and time.monotonic() - clock < 5
    with urllib.request.urlopen(base + "/api/search?q=oil", timeout=10) as response:
        assert response.status == 200
