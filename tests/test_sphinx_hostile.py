"""Hostile strings against the sphinxql engine, through the web app, beside the whoosh engine.

Every string goes in as a query, as a value of every facet filter, as an article id, an author
slug, a date and a facet prefix. Nothing a user types may reach SphinxQL as syntax: every answer
is a 200, a 404 for an id that does not exist, or a 400 whose JSON names the problem, never a 500;
and where both engines answer 200, the sphinxql engine's totals and ids equal the whoosh engine's.
One request also checks that an attempt to end the statement and run another one changed nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from urllib.parse import quote, urlencode

import pytest

from corpus.ingest import ingest
from corpus.web import create_app
from sphinx_cluster import running, settings_for
from support import FIXTURES, copy_corpus, make_settings

HOSTILE = [
    '"', "'", "\\", "\\'", "\\\\'", "')", ")", "(", "((oil", "oil))", "@title oil", "@body", "@(title,body) oil", "@@relaxed oil",
    "MATCH(", "MATCH('oil')", "') OR MATCH('", "oil') AND 1=1 --", "'; DROP TABLE corpus_meta; --", "oil; SHOW TABLES",
    "oil\x00gas", "\x00", "oil\x00", "%00", "%s", "%%", "{0}", "$1", "/* oil */", "oil -- x", "#oil",
    "oil | @kind author", "oil) | (@kind article", "*", "?", "oil*", "*oil", "o*l", "~", "oil~", "^", "oil^", "oil$", "^oil$", "=",
    "=oil", "!oil", "-", "--", "-oil", "|", "oil | gas", "<<", "oil << gas", "oil NEAR/3 gas", '"oil gas"~', '"oil gas"/1',
    '"oil', 'oil"', '""', '"\\""', "title:", "title:'", "body:)", "author:\\", "date:", "date:[", "date:[2020 TO",
    "date:[1987-01 TO 1987-13]", "date:>", "date:>9999", "[a TO", "a:b:c", "oil AND", "OR", "NOT", "AND OR NOT",
    "\U0001F600", "oil \U0001F600", "\U0001D518\U0001D52B\U0001D526", "\U0010FFFF", "\u200b", "\ufeff", "\u202e oil",
    "中美", "Путина", "x" * 5000, "oil " * 500, "(" * 300, "\"" * 301, "\\" * 999,
]

FILTERS = ("author", "source", "region", "category", "language", "year")


@pytest.fixture(scope="module")
def clients(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A whoosh app and a sphinxql app (two shards and a front) on the mini fixture corpus."""
    tmp = tmp_path_factory.mktemp("hostile")
    data = copy_corpus(FIXTURES / "mini", tmp / "data")
    with ExitStack() as stack:
        cluster = stack.enter_context(running(tmp / "cluster", shards=2))
        out = {}
        for name, extra in (("whoosh", {}), ("sphinxql", settings_for(cluster))):
            settings = make_settings(tmp / name, result_cache=0, **extra)
            report = ingest([data], settings, progress=False)
            assert report.exit_code == 0, report.summary()
            out[name] = create_app(settings).test_client()
        yield out


def _get(client: object, url: str) -> tuple[int, object]:
    response = client.get(url)  # type: ignore[attr-defined]
    body = response.get_json(silent=True) if response.mimetype == "application/json" else None
    return response.status_code, body


def _requests(text: str) -> list[str]:
    """Every URL that carries the hostile text somewhere a user can put it."""
    urls = [
        "/api/search?" + urlencode({"q": text}),
        "/api/search?" + urlencode({"q": text, "sort": "newest"}),
        "/api/facets/author?" + urlencode({"q": "oil", "prefix": text}),
        "/api/facets/region?" + urlencode({"q": text}),
        "/api/authors?" + urlencode({"prefix": text}),
        "/api/search?" + urlencode({"q": "oil", "from": text}),
        "/api/search?" + urlencode({"q": "oil", "to": text}),
        "/api/export?" + urlencode({"q": text, "format": "jsonl"}),
    ]
    urls += ["/api/search?" + urlencode([("q", "oil"), (name, text), (name, "Japan")]) for name in FILTERS]
    if "\x00" not in text and len(text) < 1000:
        urls += [f"/api/articles/{quote(text, safe='')}", f"/api/authors/{quote(text, safe='')}"]
    return urls


def _summary(body: object) -> object:
    if not isinstance(body, dict):
        return None
    if "total" in body:
        return body["total"], sorted(h["id"] for h in body.get("hits", [])) if body["total"] <= 10 else None
    if "values" in body:
        return [(v["value"], v["count"]) for v in body["values"]]
    if "id" in body:
        return body["id"]
    return None


def test_hostile_strings_are_never_a_500_and_match_whoosh(clients):
    failures, answered = [], {200: 0, 400: 0, 404: 0}
    for text in HOSTILE:
        for url in _requests(text):
            status, body = _get(clients["sphinxql"], url)
            if status not in (200, 400, 404):
                failures.append(f"{url[:120]!r}: {status} {str(body)[:200]}")
                continue
            answered[status] += 1
            if status == 400 and not (isinstance(body, dict) and body.get("error")):
                failures.append(f"{url[:120]!r}: 400 without an error message: {body}")
            w_status, w_body = _get(clients["whoosh"], url)
            if status == 200 and w_status == 200 and not url.startswith("/api/export") and _summary(body) != _summary(w_body):
                failures.append(f"{url[:120]!r}: sphinxql {_summary(body)} != whoosh {_summary(w_body)}")
    assert not failures, "\n".join(failures)
    # The strings reach the engine: most requests are answered, some refused.
    assert answered[200] > 200 and answered[400] > 0, answered


def test_a_statement_cannot_be_ended_and_another_run(clients):
    sphinx = clients["sphinxql"]
    before = _get(sphinx, "/api/stats")
    assert isinstance(before[1], dict) and before[1]["documents"] > 0
    for text in ("'; TRUNCATE RTINDEX corpus_s0_a; --", "oil'); DELETE FROM corpus_meta WHERE id=1; --",
                 "\\'; REPLACE INTO corpus_meta (id) VALUES (1); --"):
        for url in _requests(text):
            assert _get(sphinx, url)[0] in (200, 400, 404), url
    after = _get(sphinx, "/api/stats")
    kept = ("index", "documents", "authors", "sources", "regions", "undated", "date_span", "facets", "timeline")
    assert before[0] == after[0] == 200
    assert {k: after[1].get(k) for k in kept} == {k: before[1].get(k) for k in kept}  # type: ignore[union-attr]
    status, body = _get(sphinx, "/api/search?q=oil")
    assert status == 200 and body["total"] == _get(clients["whoosh"], "/api/search?q=oil")[1]["total"] > 0


def test_the_views_that_need_a_token_store_say_this_engine_keeps_none(clients):
    for path in ("/api/concordance", "/api/collocations", "/api/keywords", "/concordance", "/keywords"):
        response = clients["sphinxql"].get(path, query_string={"q": "wheat"})  # type: ignore[attr-defined]
        assert response.status_code == 503, path
        assert "this engine keeps no token store" in response.get_data(as_text=True).lower(), path
        assert clients["whoosh"].get(path, query_string={"q": "wheat"}).status_code == 200, path  # type: ignore[attr-defined]
