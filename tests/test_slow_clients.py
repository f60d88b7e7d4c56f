"""Slow and idle clients cannot stop the production server (`corpus serve`, real gunicorn).

Each slow client sends a request line, then one header every two seconds, and never finishes its
head; idle ones connect and say nothing. The worker reads heads in its event loop, so none of them
holds a request thread; a head not complete within CORPUS_HEADER_TIMEOUT gets a 408 and is closed.
"""

from __future__ import annotations

import json
import socket
import statistics
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import pytest

from servers import serve

SLOW = 200
IDLE = 100
SECONDS = 20.0
DRIP = 2.0
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _connect(port: int, line: bytes) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    s.setblocking(False)
    if line:
        s.send(line)
    return s


class Crowd:
    """SLOW sockets dripping a header every DRIP seconds and IDLE silent ones, reopened when the server closes them."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.stop = threading.Event()
        self.opened = 0
        self.answers: dict[str, int] = {}
        self.errors: list[str] = []
        self.max_open = 0
        self.thread = threading.Thread(target=self.run, daemon=True)

    def _open(self, slow: bool) -> socket.socket:
        self.opened += 1
        return _connect(self.port, b"GET /api/search?q=oil HTTP/1.1\r\nHost: x\r\n" if slow else b"")

    def _closed_by_server(self, s: socket.socket) -> bool:
        try:
            data = s.recv(4096)
        except BlockingIOError:
            return False
        except OSError:
            return True
        if data:
            status = data.split(b" ", 2)[1].decode() if data.startswith(b"HTTP/") else "other"
            self.answers[status] = self.answers.get(status, 0) + 1
        return True

    def run(self) -> None:
        try:
            slow = [self._open(True) for _ in range(SLOW)]
            idle = [self._open(False) for _ in range(IDLE)]
            n = 0
            while not self.stop.is_set():
                self.max_open = max(self.max_open, len(slow) + len(idle))
                for group, is_slow in ((slow, True), (idle, False)):
                    for i, s in enumerate(group):
                        if self._closed_by_server(s):
                            s.close()
                            group[i] = self._open(is_slow)
                        elif is_slow:
                            try:
                                s.send(f"X-Drip-{n}: {'a' * 20}\r\n".encode())
                            except (BlockingIOError, OSError):
                                pass
                n += 1
                self.stop.wait(DRIP)
            for s in slow + idle:
                s.close()
        except Exception as exc:  # reported by the test
            self.errors.append(repr(exc))


@pytest.mark.slow
def test_hundreds_of_slow_and_idle_clients_do_not_delay_normal_searches(mini_settings):
    with serve(mini_settings.index_dir, workers=1) as base:
        port = urlparse(base).port
        assert port is not None
        crowd = Crowd(port)
        crowd.thread.start()
        time.sleep(1.0)  # every slow socket has sent its request line
        latencies: list[float] = []
        failures: list[str] = []
        started = time.monotonic()
        queries = ["oil", "grain", "rates+OR+grain", "exporters", "tariffs"]
        i = 0
        while time.monotonic() - started < SECONDS:
            url = f"{base}/api/search?q={queries[i % len(queries)]}&per_page=5"
            i += 1
            clock = time.monotonic()
            try:
                with urllib.request.urlopen(url, timeout=30) as response:
                    assert json.load(response)["total"] >= 0
                latencies.append(time.monotonic() - clock)
            except OSError as exc:
                failures.append(f"{url}: {exc}")
            time.sleep(0.2)
        crowd.stop.set()
        crowd.thread.join(timeout=30)
    latencies.sort()
    figures = {
        "server": "corpus serve, 1 worker, default threads", "slow_sockets": SLOW, "idle_sockets": IDLE,
        "drip_seconds": DRIP, "seconds": SECONDS, "sockets_opened": crowd.opened, "most_open_at_once": crowd.max_open,
        "answers_to_slow_sockets": crowd.answers, "probes": len(latencies), "probe_failures": len(failures),
        "probe_max_s": round(latencies[-1], 3) if latencies else None,
        "probe_median_s": round(statistics.median(latencies), 4) if latencies else None,
        "probe_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3) if latencies else None,
    }
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "slow-clients.json").write_text(json.dumps(figures, indent=2) + "\n")
    assert not crowd.errors, crowd.errors
    assert not failures, failures[:3]
    assert len(latencies) >= 20
    assert latencies[-1] < 1.0, figures
    # The slow heads were cut off at the header deadline with a 408, and reopened.
    assert crowd.answers.get("408", 0) >= SLOW, figures
