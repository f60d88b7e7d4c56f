"""Faults on a real cluster: kill -9 of a shard daemon while 8 threads search through the web app.

Without a mirror every answer is either complete (the total of the whole corpus) or a 503
`shard_unavailable` that names the killed shard: never a 500 and never a smaller total. With a
mirror of every shard, the same kill gives no error at all. An ingest whose write to one copy of
a shard fails publishes nothing. The figures go into RELIABILITY.md ("The sphinxql cluster").
"""

from __future__ import annotations

import json
import os
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path

from corpus.engines import open_backend
from corpus.ingest import ingest
from corpus.web import create_app
from sphinx_cluster import running, settings_for
from support import make_settings

WORDS = ["zinc", "tin", "gold", "corn", "wheat", "yen", "cocoa", "rubber", "oil", "steel"]
QUERIES = ["gold", "corn OR wheat", '"tin gold"', "oil -steel", "yen*"]
THREADS = 8


def _corpus(data: Path, n: int = 300) -> None:
    rng = random.Random(7)
    data.mkdir(parents=True, exist_ok=True)
    with open(data / "docs.jsonl", "w", encoding="utf-8") as fh:
        for i in range(n):
            words = " ".join(rng.choice(WORDS) for _ in range(12))
            fh.write(json.dumps({"id": f"d{i:04d}", "title": f"Note {i}", "body": f"Item {i}: {words}.",
                                 "author": rng.choice(["Ada Stone", "Bo Marsh", "Cy Ruiz"]), "date": f"1987-0{1 + i % 9}-1{i % 9}"}) + "\n")


def _kill(cluster, name: str) -> list[int]:
    """kill -9 one node's searchd and its watchdog (which would otherwise restart it); the pids killed."""
    pid = cluster.pid(name)
    assert pid is not None, f"{name} is not running"
    with open(f"/proc/{pid}/stat") as fh:
        parent = int(fh.read().rsplit(")", 1)[1].split()[1])
    killed = []
    with open(f"/proc/{parent}/comm") as fh:
        if fh.read().strip() == "searchd":
            os.kill(parent, signal.SIGKILL)
            killed.append(parent)
    os.kill(pid, signal.SIGKILL)
    killed.append(pid)
    return killed


def _storm(app, expected: dict[str, int], kill, before: float = 1.0, after: float = 3.0) -> dict[str, object]:
    """8 threads search in a loop; `kill` runs after `before` seconds; every answer is classified."""
    stop = threading.Event()
    answers: list[tuple[float, int, str, str, int | None, str]] = []
    lock = threading.Lock()

    def search(n: int) -> None:
        rng = random.Random(n)
        with app.test_client() as client:
            while not stop.is_set():
                q = rng.choice(QUERIES)
                response = client.get("/api/search", query_string={"q": q})
                body = response.get_json(silent=True) or {}
                error = body.get("error") or {}
                with lock:
                    answers.append((time.monotonic(), response.status_code, error.get("code", ""), error.get("message", ""),
                                    body.get("total"), q))

    threads = [threading.Thread(target=search, args=(n,)) for n in range(THREADS)]
    for t in threads:
        t.start()
    time.sleep(before)
    killed_at = time.monotonic()
    killed = kill()
    time.sleep(after)
    stop.set()
    for t in threads:
        t.join(timeout=30)
    statuses = Counter(status for _, status, *_ in answers)
    wrong_totals = [a for a in answers if a[1] == 200 and a[4] != expected[a[5]]]
    return {"answers": answers, "statuses": statuses, "wrong_totals": wrong_totals, "killed": killed,
            "after_kill": Counter(status for t, status, *_ in answers if t > killed_at)}


def test_a_killed_shard_is_a_named_503_never_a_500_or_a_smaller_total(tmp_path):
    _corpus(tmp_path / "data")
    with running(tmp_path / "cluster", shards=2) as cluster:
        settings = make_settings(tmp_path, result_cache=0, **settings_for(cluster))
        assert ingest([tmp_path / "data"], settings, progress=False).exit_code == 0
        app = create_app(settings)
        with app.test_client() as client:
            expected = {q: client.get("/api/search", query_string={"q": q}).get_json()["total"] for q in QUERIES}
        assert all(expected.values())
        result = _storm(app, expected, lambda: _kill(cluster, "shard1-0"))
        # Every other path that asks the front is checked too (facet values, stats, export, one article).
        with app.test_client() as client:
            for url in ("/api/facets/author?q=gold", "/api/stats", "/api/export?q=gold&format=jsonl", "/api/authors"):
                response = client.get(url)
                assert response.status_code == 503, (url, response.status_code)
                assert response.get_json()["error"]["code"] == "shard_unavailable", url
    statuses, after = result["statuses"], result["after_kill"]
    print(f"no mirror: {sum(statuses.values())} requests, {dict(statuses)}; after the kill {dict(after)}")
    assert set(statuses) <= {200, 503}, statuses
    assert not result["wrong_totals"], result["wrong_totals"][:5]
    unavailable = [a for a in result["answers"] if a[1] == 503]
    assert unavailable and after.get(503, 0) > 0
    wrong = [a[3] for a in unavailable if not (a[2] == "shard_unavailable" and "shard 1 " in a[3])]
    assert not wrong, wrong[:3]
    assert statuses[200] > 0


def test_with_a_mirror_the_same_kill_gives_no_error_and_a_failed_copy_write_publishes_nothing(tmp_path):
    _corpus(tmp_path / "data")
    with running(tmp_path / "cluster", shards=2, mirrors=1) as cluster:
        settings = make_settings(tmp_path, result_cache=0, **settings_for(cluster))
        assert ingest([tmp_path / "data"], settings, progress=False).exit_code == 0
        app = create_app(settings)
        with app.test_client() as client:
            expected = {q: client.get("/api/search", query_string={"q": q}).get_json()["total"] for q in QUERIES}
        result = _storm(app, expected, lambda: _kill(cluster, "shard1-0"))
        statuses = result["statuses"]
        print(f"mirror: {sum(statuses.values())} requests, {dict(statuses)}; after the kill {dict(result['after_kill'])}")
        assert set(statuses) == {200}, (statuses, [a for a in result["answers"] if a[1] != 200][:3])
        assert not result["wrong_totals"] and result["after_kill"][200] > 0

        # One copy of shard 1 is down: an ingest that changes documents must fail and publish nothing.
        backend = open_backend(settings)
        version = backend.version()
        with open(tmp_path / "data" / "more.jsonl", "w", encoding="utf-8") as fh:
            for i in range(40):
                fh.write(json.dumps({"id": f"new{i}", "title": "Fresh", "body": "gold gold gold"}) + "\n")
        failed = False
        try:
            report = ingest([tmp_path / "data"], settings, progress=False)
            failed = report.exit_code not in (0, 3)
        except Exception:
            failed = True
        assert failed
        assert backend.version() == version
        with app.test_client() as client:
            assert client.get("/api/search", query_string={"q": "gold"}).get_json()["total"] == expected["gold"]
