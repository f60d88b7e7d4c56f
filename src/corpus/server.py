"""The production gunicorn worker: gthread, with request heads read by the event loop and stuck requests stopped.

gunicorn's gthread worker hands a connection to a pool thread as soon as its first byte arrives;
the thread then blocks reading the rest of the head, so a few clients that send a request line and
then one header every few seconds hold every thread and stop the server. `CorpusWorker` keeps
each connection in its main-thread event loop, reading without blocking, until the whole request
head (and a small body, if any) is buffered; only then does a pool thread see it, with the buffered
bytes pushed back into gunicorn's own parser. A head not complete within CORPUS_HEADER_TIMEOUT
seconds gets a 408 and is closed; one larger than HEAD_MAX bytes gets a 431 (414 for a request
line past gunicorn's limit). Blocking writes in pool threads time out after CORPUS_SEND_TIMEOUT.

gthread workers heartbeat from their main thread, so gunicorn's worker timeout never fires for a
request stuck in a pool thread. The event loop therefore also watches the requests in flight:
past 2 x the query time limit a stuck request gets `RequestInterrupted` raised in its thread
(answered as a 503 query_timeout); past 4 x it the worker logs the request and exits, and the
arbiter forks a fresh one.

Answers gunicorn makes itself (400, 408, 414, 431, ...) carry the app's security headers, and a
JSON error body on /api/* paths.
"""

from __future__ import annotations

import ctypes
import errno
import html
import json
import os
import selectors
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any

from gunicorn import http, util
from gunicorn.workers.gthread import TConn, ThreadWorker

from .config import Settings
from .errors import QueryTimeout
from .headers import CORS_HEADERS, SECURITY_HEADERS

HEAD_MAX = 64 * 1024  # bytes of request line and headers buffered per connection
BODY_MAX = 64 * 1024  # a request body up to this size is buffered too (the app's MAX_CONTENT_LENGTH)
LINGER = 2.0  # seconds a closing connection is drained after our FIN, without blocking the loop
TICK = 0.25  # seconds between two looks at deadlines
MIN_INTERRUPT = 1.0  # floors, so that a tiny query time limit cannot cut off page rendering
MIN_REPLACE = 2.0
REPLACE_GRACE = 3.0  # seconds other requests of a worker being replaced get to finish
EXIT_STUCK = 1  # neither 3 nor 4, which make the arbiter halt

REASONS = {400: "Bad Request", 403: "Forbidden", 408: "Request Timeout", 413: "Content Too Large",
           414: "URI Too Long", 417: "Expectation Failed", 431: "Request Header Fields Too Large",
           500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable"}


class RequestInterrupted(QueryTimeout):
    """Raised asynchronously in a request thread that ran past 2 x the query time limit."""

    seconds = 10.0

    def __init__(self, message: str | None = None, param: str | None = None) -> None:
        super().__init__(message or (f"the request took longer than {self.seconds:g} s and was stopped; "
                                     "try a narrower search"), param)


def _set_async_exc(ident: int, exc: type[BaseException] | None) -> int:
    return int(ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(ident), ctypes.py_object(exc) if exc else None))


class _Socket(socket.socket):
    """A client socket whose blocking mode has a timeout, so no pool thread waits forever on a client."""

    io_timeout: float = 30.0

    def setblocking(self, flag: bool) -> None:
        self.settimeout(self.io_timeout if flag else 0.0)


def _adopt(sock: socket.socket, io_timeout: float) -> _Socket:
    new = _Socket(sock.family, sock.type, sock.proto, fileno=sock.detach())
    new.io_timeout = io_timeout
    return new


def _request_path(head: bytes) -> str:
    """The path of a request line, as far as it arrived; '' when there is none."""
    line = head.split(b"\n", 1)[0].rstrip(b"\r")
    parts = line.split(b" ")
    if len(parts) < 2:
        return ""
    target = parts[1].decode("latin-1")
    if "://" in target:  # absolute form
        target = "/" + target.split("://", 1)[1].partition("/")[2]
    return target.split("?", 1)[0]


def error_response(status: int, message: str, path: str) -> bytes:
    """A complete HTTP/1.1 answer made outside the app, with the app's headers and error format."""
    reason = REASONS.get(status, "Error")
    code = reason.lower().replace(" ", "_") if status != 500 else "internal_error"
    headers = dict(SECURITY_HEADERS)
    if path.startswith("/api/"):
        body = json.dumps({"error": {"code": code, "message": message, "param": None}}).encode()
        headers.update(CORS_HEADERS)
        headers["Content-Type"] = "application/json"
    else:
        body = (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{status} {reason}</title>"
                f"</head><body><h1>{status} {reason}</h1><p>{html.escape(message)}</p></body></html>\n").encode()
        headers["Content-Type"] = "text/html; charset=utf-8"
    headers.update({"Cache-Control": "no-store", "Connection": "close", "Content-Length": str(len(body))})
    head = f"HTTP/1.1 {status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    return head.encode("latin-1") + body


class _Capture:
    """Stands in for a socket so that gunicorn's handle_error logs as usual while its HTML is dropped."""

    def __init__(self) -> None:
        self.data = b""

    def gettimeout(self) -> float:
        return 0.0

    def setblocking(self, flag: bool) -> None:
        pass

    def sendall(self, data: bytes) -> None:
        self.data += data

    def send(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def status(self) -> int:
        try:
            return int(self.data.split(b" ", 2)[1])
        except (IndexError, ValueError):
            return 500


def _friendly(status: int, cfg: Any) -> str:
    return {
        400: "the request is not valid HTTP",
        403: "this request is not allowed",
        408: "the request did not arrive in time",
        413: "the request body is too large",
        414: f"the request line is longer than {cfg.limit_request_line} bytes; shorten the query or the URL",
        417: "the Expect header cannot be met",
        431: (f"the request has too many headers or too large ones (at most {cfg.limit_request_fields} "
              f"headers of {cfg.limit_request_field_size} bytes, {HEAD_MAX} bytes in all)"),
        501: "the request's transfer coding is not supported",
    }.get(status, "something went wrong on the server; it has been logged")


class _Segment:
    """A stretch of a request's own computation: the app call, or producing one chunk of a streamed body."""

    __slots__ = ("interrupted", "path", "started")

    def __init__(self, path: str) -> None:
        self.started = time.monotonic()
        self.path = path
        self.interrupted = False


class _Watched:
    """A response iterable whose every step counts as computation; writing to the client does not."""

    def __init__(self, worker: CorpusWorker, inner: Iterable[bytes], path: str) -> None:
        self.worker, self.inner, self.path = worker, inner, path

    def __iter__(self) -> Iterator[bytes]:
        iterator = iter(self.inner)
        while True:
            with self.worker.computing(self.path):
                try:
                    chunk = next(iterator)
                except StopIteration:
                    return
            yield chunk

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if close is not None:
            with self.worker.computing(self.path):
                close()


def _recv(sock: socket.socket) -> bytes | None:
    """What a non-blocking socket has for us: None when nothing yet, b"" when the client is gone."""
    try:
        return sock.recv(65536)
    except (BlockingIOError, InterruptedError):
        return None
    except OSError:
        return b""


class CorpusWorker(ThreadWorker):
    """gthread with non-blocking head reading, header and send timeouts, and a stuck-request watchdog."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = Settings.from_env()
        self.header_timeout = settings.header_timeout
        self.send_timeout = settings.send_timeout
        limit = settings.query_time_limit
        self.interrupt_after = max(2 * limit, MIN_INTERRUPT)
        self.replace_after = max(4 * limit, MIN_REPLACE)
        RequestInterrupted.seconds = self.interrupt_after
        self.reading: set[TConn] = set()
        self.lingering: dict[TConn, float] = {}
        self.busy: dict[int, _Segment] = {}
        self.busy_lock = threading.Lock()
        self.local = threading.local()
        self.replacing_since: float | None = None

    # ----- reading heads in the event loop

    def accept(self, listener: Any) -> None:
        if self.cfg.is_ssl:
            super().accept(listener)
            return
        try:
            client, addr = listener.accept()
        except OSError as e:
            if e.errno not in (errno.EAGAIN, errno.ECONNABORTED, errno.EWOULDBLOCK):
                raise
            return
        self.nr_conns += 1
        conn = TConn(self.cfg, _adopt(client, self.send_timeout), addr, listener.getsockname())
        self._start_reading(conn, b"")

    def on_client_socket_readable(self, conn: TConn, client: Any) -> None:
        if self.cfg.is_ssl:
            super().on_client_socket_readable(conn, client)
            return
        self.poller.unregister(client)
        self.keepalived_conns.remove(conn)
        self._start_reading(conn, b"")
        self._on_readable(conn, client)

    def _start_reading(self, conn: TConn, initial: bytes) -> None:
        conn.sock.setblocking(False)
        conn.head = bytearray(initial)
        conn.head_deadline = time.monotonic() + self.header_timeout
        conn.close_after = False
        conn.path = ""
        self.reading.add(conn)
        if initial and self._head_state(conn) is not None:
            self._head_done(conn)
            return
        self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_readable, conn))

    def _on_readable(self, conn: TConn, _fileobj: Any) -> None:
        data = _recv(conn.sock)
        if data is None:
            return
        if not data:
            self._stop_reading(conn)
            self.nr_conns -= 1
            util.close(conn.sock)
            return
        conn.head += data
        if self._head_state(conn) is not None:
            self._head_done(conn)

    def _head_state(self, conn: TConn) -> str | None:
        """'ready', 'too-large', 'line-too-long', or None while more bytes are needed."""
        buf = conn.head
        while buf[:2] == b"\r\n":  # empty lines before a request line are allowed (RFC 9112 2.2)
            del buf[:2]
        end, sep = buf.find(b"\r\n\r\n"), 4
        if end < 0:
            end, sep = buf.find(b"\n\n"), 2  # bare LF: gunicorn's parser rejects it with a 400
        if end < 0:
            first = buf.find(b"\n")
            if (first < 0 and len(buf) > self.cfg.limit_request_line + 2) or first > self.cfg.limit_request_line + 2:
                return "line-too-long"
            return "too-large" if len(buf) > HEAD_MAX else None
        if end > HEAD_MAX:
            return "too-large"
        length: int | None = 0
        for line in bytes(buf[:end]).split(b"\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                value = value.strip()
                length = int(value) if value.isdigit() and len(value) < 12 else None
            elif name in (b"transfer-encoding", b"expect"):
                length = None
        if length is None or length > BODY_MAX:
            conn.close_after = True  # the app never reads it; gunicorn's parser answers a bad length
            return "ready"
        return "ready" if len(buf) >= end + sep + length else None

    def _stop_reading(self, conn: TConn) -> None:
        self.reading.discard(conn)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass

    def _head_done(self, conn: TConn) -> None:
        state = self._head_state(conn)
        self._stop_reading(conn)
        data = bytes(conn.head)
        conn.head = bytearray()
        conn.path = _request_path(data)
        if state == "line-too-long":
            self._refuse(conn, 414)
            return
        if state == "too-large":
            self._refuse(conn, 431)
            return
        if conn.parser is None:
            conn.parser = http.get_parser(self.cfg, conn.sock, conn.client)
            conn.initialized = True
        conn.parser.unreader.unread(data)
        conn.data_ready = True
        self.enqueue_req(conn)

    def _refuse(self, conn: TConn, status: int) -> None:
        """Answer from the event loop (the answer fits a socket buffer) and close."""
        self.log.warning("Invalid request from ip=%s: %s %s", (conn.client or ("",))[0], status, REASONS[status])
        try:
            conn.sock.send(error_response(status, _friendly(status, self.cfg), conn.path))
        except OSError:
            pass
        self.nr_conns -= 1
        self._linger(conn)

    def _linger(self, conn: TConn) -> None:
        """Close after our FIN, draining what the client still sends, without blocking the loop."""
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
            self.poller.register(conn.sock, selectors.EVENT_READ, partial(self._on_lingering, conn))
        except (OSError, KeyError, ValueError):
            util.close(conn.sock)
            return
        self.lingering[conn] = time.monotonic() + LINGER

    def _on_lingering(self, conn: TConn, _fileobj: Any) -> None:
        data = _recv(conn.sock)
        if data is None:
            return
        if not data:
            self._end_linger(conn)

    def _end_linger(self, conn: TConn) -> None:
        self.lingering.pop(conn, None)
        try:
            self.poller.unregister(conn.sock)
        except (KeyError, ValueError, OSError):
            pass
        util.close(conn.sock)

    def finish_request(self, conn: TConn, fs: Any) -> None:
        if self.cfg.is_ssl:
            super().finish_request(conn, fs)
            return
        try:
            result = fs.result() if not fs.cancelled() else False
        except Exception:
            result = False
        try:
            if result:
                conn.sock.setblocking(False)
                leftover = conn.parser.unreader.take_buffered()
                if leftover:  # pipelined: the next head is already (partly) here
                    self._start_reading(conn, leftover)
                    return
                conn.set_timeout()
                if not self.alive:
                    conn.timeout = min(conn.timeout, time.monotonic() + 2.0)
                self.keepalived_conns.append(conn)
                self.poller.register(conn.sock, selectors.EVENT_READ, partial(self.on_client_socket_readable, conn))
            else:
                self.nr_conns -= 1
                self._linger(conn)
        except Exception:
            self.nr_conns -= 1
            util.close(conn.sock)

    def _keepalive_after(self, conn: TConn, keepalive: bool) -> bool:
        if getattr(conn, "close_after", False):
            return False  # a body we did not buffer: close rather than drain it in this thread
        return bool(super()._keepalive_after(conn, keepalive))

    # ----- deadlines, checked by the event loop

    def wait_for_and_dispatch_events(self, timeout: float) -> None:
        super().wait_for_and_dispatch_events(min(timeout, TICK))

    def murder_pending(self) -> None:
        super().murder_pending()
        now = time.monotonic()
        for conn in [c for c in self.reading if now >= c.head_deadline or (not self.alive and not c.head)]:
            self._stop_reading(conn)
            if conn.head:
                conn.path = _request_path(bytes(conn.head))
                self._refuse(conn, 408)
            else:  # never said a word: nothing to answer
                self.nr_conns -= 1
                util.close(conn.sock)
        for conn in [c for c, until in self.lingering.items() if now >= until]:
            self._end_linger(conn)
        self._watch_requests(now)

    # ----- stuck requests

    def load_wsgi(self) -> None:
        super().load_wsgi()
        app: Callable[..., Any] = self.wsgi  # type: ignore[has-type]

        def watched(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
            path = environ.get("PATH_INFO", "")
            with self.computing(path):
                result = app(environ, start_response)
            wrapper = environ.get("wsgi.file_wrapper")
            if wrapper is not None and isinstance(result, wrapper):
                return result  # a file sent by the kernel: nothing to compute
            return _Watched(self, result, path)

        self.wsgi = watched

    def computing(self, path: str) -> _Computing:
        return _Computing(self, path)

    def _watch_requests(self, now: float) -> None:
        with self.busy_lock:
            items = list(self.busy.items())
        for ident, seg in items:
            age = now - seg.started
            if age >= self.replace_after and self.replacing_since is None:
                self.log.error("Request %s has run for %.1f s in thread %s, past 4 x the query time limit, and "
                               "could not be stopped: replacing this worker", seg.path, age, ident)
                self.replacing_since = now
                self.alive = False
            elif age >= self.interrupt_after and not seg.interrupted:
                with self.busy_lock:
                    if self.busy.get(ident) is not seg:
                        continue
                    seg.interrupted = True
                    _set_async_exc(ident, RequestInterrupted)
                self.log.warning("Request %s has run for %.1f s, past 2 x the query time limit: stopping it", seg.path, age)
        if self.replacing_since is not None:
            others = [s for _, s in items if now - s.started < self.interrupt_after]
            if not others or now - self.replacing_since >= REPLACE_GRACE:
                self.log.error("Worker exiting so that the arbiter starts a fresh one (pid: %s)", os.getpid())
                for stream in (sys.stdout, sys.stderr):
                    try:
                        stream.flush()
                    except Exception:
                        pass
                os._exit(EXIT_STUCK)

    # ----- answers gunicorn makes itself

    def handle(self, conn: TConn) -> Any:
        self.local.conn = conn
        try:
            return super().handle(conn)
        finally:
            self.local.conn = None

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        capture = _Capture()
        super().handle_error(req, capture, addr, exc)  # logs and writes the access line as gunicorn does
        status = capture.status()
        if isinstance(exc, QueryTimeout):
            status = 503
        conn = getattr(self.local, "conn", None)
        path = getattr(conn, "path", "") or (getattr(req, "path", "") or "")
        message = exc.message if isinstance(exc, QueryTimeout) else _friendly(status, self.cfg)
        try:
            util.write_nonblock(client, error_response(status, message, path))
        except Exception:
            self.log.debug("Failed to send error message.")


class _Computing:
    """Marks the current thread as computing for a request, for the watchdog; cancels a late interruption."""

    __slots__ = ("ident", "seg", "worker")

    def __init__(self, worker: CorpusWorker, path: str) -> None:
        self.worker = worker
        self.seg = _Segment(path)
        self.ident = threading.get_ident()

    def __enter__(self) -> None:
        with self.worker.busy_lock:
            self.worker.busy[self.ident] = self.seg

    def __exit__(self, *exc: object) -> None:
        with self.worker.busy_lock:
            if self.worker.busy.get(self.ident) is self.seg:
                del self.worker.busy[self.ident]
            if self.seg.interrupted:
                _set_async_exc(self.ident, None)  # one sent too late must not land in gunicorn's code
