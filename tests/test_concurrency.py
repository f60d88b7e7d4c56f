"""Searching while an ingest commits: threads in one process, and clients of a real gunicorn."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from corpus.engines import open_backend
from corpus.ingest import ingest
from corpus.search import SearchRequest
from servers import gunicorn
from support import make_settings

LOAD_SECONDS = 8  # the clients keep searching at least this long, the ingest included
QUERIES = ["report", "alpha OR beta", '"gamma delta"', "epsil*", "report -alpha", "", "date:2021", "source:generator"]
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "report", "market"]


def write_docs(folder: Path, start: int, count: int, marker: str = "") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(start, start + count):
        body = " ".join(WORDS[(i * 3 + j) % len(WORDS)] for j in range(80))
        (folder / f"doc{i:05d}.txt").write_text(
            f"Title: Report {i} {marker}\nDate: 202{i % 4}-{i % 12 + 1:02d}-15\nSource: Generator\n"
            f"Author: Writer {i % 7}\nRegion: {['Japan', 'Canada', 'France'][i % 3]}\n\n{body} {marker}\n"
        )


def test_threads_search_while_ingest_commits_and_see_new_documents(tmp_path):
    data = tmp_path / "data"
    write_docs(data / "a", 0, 300)
    settings = make_settings(tmp_path)
    ingest([data], settings, progress=False)
    svc = open_backend(settings)
    errors: list[BaseException] = []
    stop = threading.Event()
    searches = [0]

    def searcher() -> None:
        while not stop.is_set():
            for q in QUERIES:
                try:
                    result = svc.search(SearchRequest(q=q))
                    assert result.total >= 0
                    searches[0] += 1
                except BaseException as exc:  # any failure is the finding
                    errors.append(exc)

    threads = [threading.Thread(target=searcher) for _ in range(4)]
    for t in threads:
        t.start()
    try:
        for round_ in range(3):
            write_docs(data / f"more{round_}", 1000 + round_ * 30, 30, marker=f"freshword{round_}")
            ingest([data], settings, progress=False)
            assert svc.search(SearchRequest(q=f"freshword{round_}")).total == 30  # visible at once, no restart
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not errors, errors[:3]
    assert searches[0] > 0
    assert svc.search(SearchRequest()).total == 390


@pytest.mark.slow
def test_sixteen_clients_through_gunicorn_while_an_ingest_adds_ten_percent(tmp_path):
    data = tmp_path / "data"
    write_docs(data / "base", 0, 1000)
    settings = make_settings(tmp_path)
    ingest([data], settings, progress=False)
    stats = {"ok": 0, "errors": []}
    lock = threading.Lock()
    stop = threading.Event()

    log = tmp_path / "gunicorn.log"
    with gunicorn(settings.index_dir, workers=2, log_path=log) as base:

        def client(n: int) -> None:
            i = n
            while not stop.is_set():
                q = QUERIES[i % len(QUERIES)]
                i += 1
                url = f"{base}/api/search?q={urllib.request.quote(q)}&per_page=10"
                try:
                    with urllib.request.urlopen(url, timeout=30) as response:
                        json.load(response)
                    with lock:
                        stats["ok"] += 1
                except (urllib.error.URLError, OSError, ValueError) as exc:
                    with lock:
                        stats["errors"].append(f"{q!r}: {exc}")

        started = time.monotonic()
        clients = [threading.Thread(target=client, args=(n,)) for n in range(16)]
        for t in clients:
            t.start()
        try:
            time.sleep(1)
            write_docs(data / "added", 5000, 100, marker="addedword")
            report = ingest([data], settings, progress=False)
            assert report.added == 100
            # New documents are visible through every worker soon after the commit.
            deadline = time.monotonic() + 20
            seen = 0
            while time.monotonic() < deadline:
                with urllib.request.urlopen(f"{base}/api/search?q=addedword", timeout=30) as response:
                    seen = json.load(response)["total"]
                if seen == 100:
                    break
                time.sleep(0.2)
            assert seen == 100
            time.sleep(max(1.0, LOAD_SECONDS - (time.monotonic() - started)))
        finally:
            stop.set()
            for t in clients:
                t.join(timeout=60)
    assert stats["errors"] == []
    assert stats["ok"] > 50
    figures = {"clients": 16, "workers": 2, "documents_before": 1000, "documents_added": 100,
               "seconds": round(time.monotonic() - started, 1), "requests_ok": stats["ok"], "errors": len(stats["errors"])}
    artifacts = Path(__file__).resolve().parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    (artifacts / "load-during-ingest.json").write_text(json.dumps(figures, indent=2))
    server_log = log.read_text()
    assert "WORKER TIMEOUT" not in server_log and "Traceback" not in server_log
    assert '" 500 ' not in server_log
