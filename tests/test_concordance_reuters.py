"""Reuters-21578: the concordance's counts against brute force over the normalised texts, and a full export.

Skips (saying why) when ../shared/corpora is absent, through the shared `reuters_index` fixture.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from corpus import analysis
from corpus.engines import open_backend
from corpus.search import SearchRequest
from corpus.web import create_app

pytestmark = [pytest.mark.corpora, pytest.mark.slow]

WORD_RE = re.compile(r"\w+(?:\.\w+)*")


@pytest.fixture(scope="module")
def texts(reuters_index) -> dict[str, tuple[str, str, str]]:
    """Every article's id -> (language, title, body) as the index stores them (normalised)."""
    settings, _ = reuters_index
    found = open_backend(settings).export(SearchRequest(sort="oldest"), bodies=True)
    return {row.hit.id: (row.hit.language, row.hit.title, row.body or "") for row in found.rows}


def _count(texts: dict[str, tuple[str, str, str]], words: list[str]) -> dict[str, int]:
    """Occurrences of the words in sequence, in titles and in bodies, found by hand."""
    counts = {"title": 0, "body": 0}
    for language, title, body in texts.values():
        analyzer = analysis.analyzer(language)
        wanted = [analyzer.term(w) for w in words]
        for field, text in (("title", title), ("body", body)):
            # A quick pass (these words' terms are parts of every spelling of them): most texts lack them.
            if not all(t in text.casefold() for t in wanted):
                continue
            terms = [analyzer.term(w) for w in WORD_RE.findall(text)]
            n = len(wanted)
            counts[field] += sum(1 for i in range(len(terms) - n + 1) if terms[i:i + n] == wanted)
    return counts


@pytest.fixture(scope="module")
def client(reuters_index):
    settings, _ = reuters_index
    with create_app(settings).test_client() as c:
        yield c


def _fields(client, q: str) -> dict[str, int]:
    by_field = {}
    for field in ("title", "body"):
        data = client.get("/api/concordance", query_string={"q": f"{field}:{q}", "per_page": 1}).get_json()
        by_field[field] = data["occurrences"]
    return by_field


def test_interest_rates_occurrences_equal_a_brute_force_count(client, texts):
    expected = _count(texts, ["interest", "rates"])
    assert expected["body"] > 1000  # Reuters holds thousands of them
    data = client.get("/api/concordance", query_string={"q": '"interest rates"', "per_page": 5, "sort": "R1"}).get_json()
    assert data["occurrences"] == expected["title"] + expected["body"]
    assert _fields(client, '"interest rates"') == expected
    for line in data["lines"]:
        assert [analysis.analyzer("en").term(w) for w in WORD_RE.findall(line["match"])] == ["interest", "rate"]


def test_the_export_of_oil_has_every_line(client, texts):
    expected = _count(texts, ["oil"])
    total = expected["title"] + expected["body"]
    data = client.get("/api/concordance", query_string={"q": "oil", "per_page": 1}).get_json()
    assert data["occurrences"] == total > 4000  # 4,443 in Reuters-21578
    for fmt in ("csv", "jsonl"):
        resp = client.get("/api/concordance/export", query_string={"q": "oil", "format": fmt})
        assert resp.status_code == 200 and resp.headers["X-Export-Rows"] == str(total)
        text = resp.get_data(as_text=True)
        if fmt == "csv":
            rows = list(csv.reader(io.StringIO(text)))
            assert rows[1][:3] == ["id", "title", "date"]
            body = rows[2:]
        else:
            lines = text.splitlines()
            assert json.loads(lines[0])["provenance"]["lines"] == total
            body = lines[1:]
        assert len(body) == total
