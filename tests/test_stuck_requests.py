"""A request stuck in a worker thread cannot outlive 4 x the query time limit (`corpus serve`, real gunicorn).

CORPUS_TEST_STALL=<query> makes /api/search hang on that query (a test-only fault, inert unless
set): by default in pure Python, which the worker's watchdog interrupts at 2 x the limit with a
503; with CORPUS_TEST_STALL_MODE=sleep inside a C call, and with =swallow catching every
exception, where only replacing the worker at 4 x the limit ends it.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from servers import serve

LIMIT = 1.0
STALL = "stallforever"
ARTIFACT = Path(__file__).resolve().parent / "artifacts" / "stuck-requests.json"


def _record(name: str, figures: dict[str, object]) -> None:
    ARTIFACT.parent.mkdir(exist_ok=True)
    data = json.loads(ARTIFACT.read_text()) if ARTIFACT.is_file() else {}
    data[name] = {"query_time_limit_s": LIMIT, **figures}
    ARTIFACT.write_text(json.dumps(data, indent=2) + "\n")


def _search(base: str, q: str, timeout: float = 30) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{base}/api/search?q={q}", timeout=timeout) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        return exc.code, json.load(exc)


def _env(mode: str) -> dict[str, str]:
    return {"CORPUS_QUERY_TIME_LIMIT": str(LIMIT), "CORPUS_TEST_STALL": STALL, "CORPUS_TEST_STALL_MODE": mode}


@pytest.mark.slow
def test_a_request_stuck_in_python_is_interrupted_with_a_503(mini_settings, tmp_path):
    log = tmp_path / "server.log"
    with serve(mini_settings.index_dir, workers=1, extra_env=_env("spin"), log_path=log) as base:
        assert _search(base, "oil")[0] == 200
        clock = time.monotonic()
        status, body = _search(base, STALL)
        took = time.monotonic() - clock
        assert status == 503, body
        assert body["error"]["code"] == "query_timeout" and "took longer than" in body["error"]["message"]
        _record("spin", {"answer": status, "seconds_to_503": round(took, 2)})
        assert 2 * LIMIT - 0.1 <= took <= 2 * LIMIT + 1.5, took
        # The same worker goes on answering: it was not replaced.
        for _ in range(3):
            status, body = _search(base, "oil")
            assert status == 200 and body["total"] == 3
    text = log.read_text()
    assert "past 2 x the query time limit" in text
    assert "replacing this worker" not in text and text.count("Booting worker") == 1


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["sleep", "swallow"])
def test_a_request_that_cannot_be_interrupted_gets_its_worker_replaced(mini_settings, tmp_path, mode):
    log = tmp_path / "server.log"
    with serve(mini_settings.index_dir, workers=1, extra_env=_env(mode), log_path=log) as base:
        assert _search(base, "oil")[0] == 200
        outcome: dict[str, object] = {}

        def stalled() -> None:
            clock = time.monotonic()
            try:
                outcome["status"] = _search(base, STALL)[0]
            except (OSError, ValueError) as exc:  # the worker died under it: the connection is dropped
                outcome["error"] = repr(exc)
            outcome["seconds"] = time.monotonic() - clock

        thread = threading.Thread(target=stalled)
        thread.start()
        clock = time.monotonic()
        # Meanwhile the worker's other threads keep answering.
        time.sleep(0.5)
        assert _search(base, "oil")[0] == 200
        thread.join(timeout=4 * LIMIT + 15)
        assert not thread.is_alive()
        assert outcome["seconds"] <= 4 * LIMIT + 3, outcome  # type: ignore[operator]
        # A fresh worker answers normal searches soon after.
        deadline = clock + 4 * LIMIT + 15
        while True:
            try:
                status, body = _search(base, "oil", timeout=5)
                if status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "no answer from a fresh worker"
            time.sleep(0.2)
        assert body["total"] == 3
        recovered = time.monotonic() - clock
        _record(mode, {"stalled_request": {k: round(v, 2) if isinstance(v, float) else v for k, v in outcome.items()},
                       "seconds_until_a_fresh_worker_answered": round(recovered, 2)})
    text = Path(log).read_text()
    assert "replacing this worker" in text and text.count("Booting worker") == 2, text[-3000:]
    assert recovered <= 4 * LIMIT + 10
