"""Pathological queries against the production server, as `corpus serve` runs it.

Four hostile searches at once (a fuzzy term on a very long word, an open term range, many
leading wildcards, a prefix for every letter) while a researcher's ordinary search is sent: the ordinary one
answers within 2 s, and each hostile one answers a 400 or a 503 within the time limit + 2 s.
Runs on a generated corpus with a large vocabulary (no ../shared needed) and on Reuters-21578
when it is present.
"""

from __future__ import annotations

import json
import random
import string
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlencode

import pytest

from corpus.ingest import ingest
from servers import serve
from support import write_corpus

LIMIT = 2.0  # CORPUS_QUERY_TIME_LIMIT for the server under test
HOSTILE = [
    "a" * 395 + "~2",  # a fuzzy term on a long word
    "[a TO z]",  # an open term range
    " ".join(f"*{c}*" for c in "aeioubcdfghlmnprst"),  # many leading wildcards
    " ".join(f"{c}*" for c in string.ascii_lowercase),  # a prefix for every letter
]
ARTIFACTS = Path(__file__).parent / "artifacts"


def _get(url: str, timeout: float = 60) -> tuple[int, dict, float]:
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            status, body = response.status, json.load(response)
    except urllib.error.HTTPError as exc:
        status, body = exc.code, json.load(exc)
    return status, body, time.monotonic() - started


@pytest.fixture(scope="module")
def generated_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """1,500 articles over 40,000 distinct made-up words, and a few with the word the researcher wants."""
    rng = random.Random(7)
    words: set[str] = set()
    while len(words) < 40_000:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(4, 11))))
    pool = sorted(words)
    files = {f"doc{n:04d}.txt": f"Title: Report {n}\n\n{' '.join(pool[n * 26:(n + 1) * 26] + rng.sample(pool, 30))}.\n"
             for n in range(1500)}
    for n in range(5):
        files[f"tariff{n}.txt"] = f"Title: Tariffs {n}\n\nThe tariff on wheat was raised again.\n"
    data, settings = write_corpus(tmp_path_factory.mktemp("hostile-serve"), files)
    assert ingest([data], settings, progress=False).exit_code == 0
    return Path(settings.index_dir)


def _attack(base: str, normal: str) -> dict:
    results: dict[str, tuple[int, dict, float]] = {}

    def run(q: str) -> None:
        results[q] = _get(f"{base}/api/search?" + urlencode({"q": q}))

    threads = [threading.Thread(target=run, args=(q,)) for q in HOSTILE]
    for t in threads:
        t.start()
    time.sleep(0.3)  # the hostile searches are running
    status, body, took = _get(f"{base}/api/search?" + urlencode({"q": normal}))
    for t in threads:
        t.join(timeout=120)
    assert status == 200 and body["total"] > 0, body
    assert took <= 2.0, f"the ordinary search waited {took:.2f} s behind the hostile ones"
    for q in HOSTILE:
        h_status, h_body, h_took = results[q]
        assert h_status in (400, 503), (q[:40], h_status, h_body)
        assert h_body["error"]["code"] in ("query_syntax", "bad_request", "query_timeout")
        assert h_took <= LIMIT + 2, (q[:40], h_took)
    return {"normal_s": round(took, 3),
            "hostile": [{"q": q if len(q) < 60 else q[:20] + f"... ({len(q)} characters)", "status": results[q][0],
                         "code": results[q][1]["error"]["code"], "seconds": round(results[q][2], 3)} for q in HOSTILE]}


def _run(index: Path, normal: str, name: str) -> None:
    with serve(index, workers=2, extra_env={"CORPUS_QUERY_TIME_LIMIT": str(LIMIT), "CORPUS_RESULT_CACHE": "0"}) as base:
        _get(f"{base}/api/search?q=wheat")  # let the workers open the index first
        _get(f"{base}/api/search?q=wheat")
        rounds = [_attack(base, normal) for _ in range(2)]
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / f"hostile-queries-{name}.json").write_text(json.dumps({"limit_s": LIMIT, "rounds": rounds}, indent=2))


@pytest.mark.slow
def test_four_hostile_queries_at_once_do_not_hold_up_an_ordinary_search(generated_index):
    _run(generated_index, "tariff", "generated")


@pytest.mark.slow
def test_four_hostile_queries_at_once_on_reuters(reuters_index):
    settings, _ = reuters_index
    _run(Path(settings.index_dir), "wheat", "reuters")
