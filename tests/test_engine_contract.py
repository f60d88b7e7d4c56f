"""The engine contract: every SearchBackend and IndexWriter behaviour the app relies on.

Parameterised by engine name; each engine in corpus.engines.ENGINES runs the same tests on the
same generated corpus, and every count is compared with brute force over the documents.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import pytest

from corpus.config import Settings
from corpus.documents import Article, slugify
from corpus.engines import ENGINES, open_backend, open_writer
from corpus.errors import BadRequest, NotFound
from corpus.ingest import ingest
from corpus.search import SearchBackend, SearchRequest
from sphinx_cluster import running, settings_for
from support import make_settings

WORDS = ["zinc", "tin", "gold", "corn", "wheat", "yen", "cocoa", "rubber"]
AUTHORS = ["Ada Lovelace", "Bob Stone", "Cleo Marsh", "Dan Ruiz", "Eve Novak"]
SOURCES = ["Reuters", "Wire Service", "The Gazette"]
REGIONS = ["Japan", "France", "Brazil", "Canada"]
N = 120


def _documents() -> list[dict]:
    rng = random.Random(13)
    docs = []
    for n in range(N):
        words = rng.sample(WORDS, rng.randint(1, 3))
        doc = {
            "id": f"doc-{n:03d}", "title": f"Report {n:03d}",
            "body": f"Item {n:03d}: " + " ".join(words) + ".",
            "author": rng.sample(AUTHORS, rng.randint(0, 2)),
            "source": rng.choice(SOURCES),
            "region": rng.sample(REGIONS, rng.randint(1, 2)),
            # A few share one date (ties), a few have none (undated).
            "date": None if n % 17 == 0 else ("1987-06-01" if n % 5 == 0 else f"19{86 + n % 3}-{1 + n % 12:02d}-{1 + n % 27:02d}"),
        }
        doc["words"] = set(words)
        docs.append(doc)
    return docs


DOCS = _documents()


def _write(data: Path, docs: list[dict]) -> None:
    data.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps({k: v for k, v in d.items() if k != "words" and v is not None}) for d in docs]
    (data / "docs.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")


def _engine_settings(name: str, tmp: Path, stack: ExitStack) -> dict[str, object]:
    """The settings an engine needs beyond an index folder: for sphinxql, a real cluster of its own (two shards and a front)."""
    if name == "sphinxql":
        return settings_for(stack.enter_context(running(tmp / "cluster", shards=2)))
    return {"engine": name}


@pytest.fixture(scope="module", params=sorted(ENGINES))
def engine(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, SearchBackend]]:
    tmp = tmp_path_factory.mktemp(f"contract-{request.param}")
    _write(tmp / "data", DOCS)
    with ExitStack() as stack:
        settings = make_settings(tmp, result_cache=0, **_engine_settings(request.param, tmp, stack))
        report = ingest([tmp / "data"], settings, progress=False)
        assert report.exit_code == 0 and report.documents == N, report.summary()
        yield settings, open_backend(settings)


def _brute(words: set[str] = frozenset(), **filters: list[str]) -> list[dict]:
    """The documents holding any of the words (all when none), with every filter (OR within, AND across)."""
    out = []
    for d in DOCS:
        if words and not (d["words"] & words):
            continue
        values = {"author": d["author"], "source": [d["source"]], "region": d["region"]}
        if all(set(values[name]) & set(chosen) for name, chosen in filters.items()):
            out.append(d)
    return out


def _request(q: str = "", **kw: object) -> SearchRequest:
    filters = tuple((k, tuple(v)) for k, v in kw.pop("filters", {}).items())  # type: ignore[attr-defined]
    return SearchRequest(q=q, filters=filters, **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize("words", [{"zinc"}, {"gold"}, {"tin", "yen"}, {"corn", "wheat", "cocoa"}, set()])
def test_totals_are_exact(engine, words):
    _, backend = engine
    q = " OR ".join(sorted(words))
    assert backend.search(_request(q)).total == len(_brute(words))
    chosen = {"source": ["Reuters", "The Gazette"], "region": ["Japan"]}
    assert backend.search(_request(q, filters=chosen)).total == len(_brute(words, **chosen))


def test_facet_counts_are_multi_select(engine):
    _, backend = engine
    chosen = {"author": ["Ada Lovelace"], "source": ["Reuters"]}
    result = backend.search(_request("gold OR tin", filters=chosen, facets=("author", "source", "region"), facet_size=50))
    words = {"gold", "tin"}
    # A facet's counts ignore its own selection and keep every other one.
    expected_authors = Counter(a for d in _brute(words, source=["Reuters"]) for a in d["author"])
    expected_sources = Counter(d["source"] for d in _brute(words, author=["Ada Lovelace"]))
    expected_regions = Counter(r for d in _brute(words, **chosen) for r in d["region"])
    assert {v.value: v.count for v in result.facets["author"].values} == dict(expected_authors)
    assert {v.value: v.count for v in result.facets["source"].values} == dict(expected_sources)
    assert {v.value: v.count for v in result.facets["region"].values} == dict(expected_regions)
    assert [v.value for v in result.facets["author"].values if v.selected] == ["Ada Lovelace"]
    values = backend.facet_values("region", _request("gold OR tin", filters=chosen), prefix="j")
    assert [(v.value, v.count) for v in values.values] == [("Japan", expected_regions["Japan"])]


def test_ties_are_broken_by_id(engine):
    _, backend = engine
    newest = backend.search(_request(sort="newest", per_page=100, facets=())).hits
    tied = [h.id for h in newest if h.date == datetime(1987, 6, 1, tzinfo=UTC)]
    assert len(tied) > 3 and tied == sorted(tied)
    ranked = backend.search(_request("zinc", per_page=100, facets=())).hits
    order = [(-round(h.score or 0, 6), h.id) for h in ranked]
    assert order == sorted(order)
    paged = [h.id for p in range(1, 10) for h in backend.search(_request("zinc", per_page=7, page=p, facets=())).hits]
    assert paged == [h.id for h in ranked]


def test_timeline_sums_to_the_total(engine):
    _, backend = engine
    for q in ("", "corn", "yen OR rubber"):
        result = backend.search(_request(q, facets=()))
        assert result.timeline is not None
        assert sum(b.count for b in result.timeline.buckets) + result.timeline.undated == result.total
    stats = backend.stats()
    assert stats.documents == N and stats.undated == sum(1 for d in DOCS if d["date"] is None)
    assert sum(b.count for b in stats.timeline.buckets) + stats.undated == N


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_export_is_complete_and_in_search_order(engine, sort):
    _, backend = engine
    req = _request("gold OR wheat", sort=sort, per_page=100, facets=())
    hits = backend.search(req).hits
    found = backend.export(req, bodies=True)
    rows = list(found.rows)
    assert found.total == len(rows) == len(_brute({"gold", "wheat"}))
    assert [r.hit.id for r in rows] == [h.id for h in hits]
    bodies = {d["id"]: d["body"] for d in DOCS}
    assert all(r.body == bodies[r.hit.id] for r in rows)
    capped = backend.export(req, cap=5)
    assert capped.total == len(rows) and [r.hit.id for r in capped.rows] == [h.id for h in hits[:5]]


def test_errors(engine):
    settings, backend = engine
    with pytest.raises(BadRequest):
        backend.search(_request("zinc~3"))  # fuzzy distances above two are refused
    with pytest.raises(BadRequest):
        backend.search(_request("zinc " * settings.max_query_length))
    with pytest.raises(BadRequest):
        backend.facet_values("nothing", _request())
    with pytest.raises(NotFound):
        backend.article("no-such-doc")
    with pytest.raises(NotFound):
        backend.author("nobody-at-all")


def test_documents_and_author_pages(engine):
    _, backend = engine
    record = backend.article("doc-007")
    doc = DOCS[7]
    assert (record.title, record.body, record.authors, record.source) == (doc["title"], doc["body"], doc["author"], doc["source"])
    counts = Counter(a for d in DOCS for a in d["author"])
    listing = backend.authors(per_page=2)
    assert listing.total == len(counts)
    every = backend.authors(per_page=100).authors
    assert [(a.name, a.article_count) for a in every] == sorted(counts.items(), key=lambda p: (-p[1], p[0].casefold()))
    assert [a.name for a in listing.authors] == [a.name for a in every[:2]]
    assert [a.name for a in backend.authors(prefix="nov").authors] == ["Eve Novak"]
    ada = backend.author(slugify("Ada Lovelace"))
    assert ada.article_count == counts["Ada Lovelace"]
    assert backend.search(_request(filters={"author": ["Ada Lovelace"]})).total == counts["Ada Lovelace"]


def _article(n: int, word: str) -> Article:
    article = Article(id=f"new-{n}", title=f"New {n}", body=f"Fresh {word} news {n}.", authors=["Fay Wong"],
                      date=datetime(1988, 1, 1, tzinfo=UTC), source="Reuters", region=["Japan"], origin=f"new-{n}",
                      path="new.jsonl")
    article.digest = article.content_hash()
    return article


@pytest.mark.parametrize("name", sorted(ENGINES))
def test_put_delete_publish_and_discard(tmp_path, name):
    with ExitStack() as stack:
        _put_delete_publish_and_discard(tmp_path, make_settings(tmp_path, result_cache=0, **_engine_settings(name, tmp_path, stack)))


def _put_delete_publish_and_discard(tmp_path: Path, settings: Settings) -> None:
    _write(tmp_path / "data", DOCS[:20])
    assert ingest([tmp_path / "data"], settings, progress=False).exit_code == 0
    backend = open_backend(settings)
    before = backend.version()
    assert backend.search(_request("platinum")).total == 0

    # Put two, delete one, publish: searches see exactly that.
    writer = open_writer(settings)
    assert not writer.fresh and "doc-003" in writer.indexed()
    writer.begin()
    writer.put(_article(1, "platinum"), "h1", "d1")
    writer.put(_article(2, "platinum"), "h2", "d2")
    writer.delete("doc-003")
    writer.commit()
    assert backend.search(_request("platinum")).total == 0  # not served before publish
    writer.close()
    writer.publish()
    assert backend.version() != before
    assert {h.id for h in backend.search(_request("platinum")).hits} == {"new-1", "new-2"}
    assert backend.search(_request()).total == 21
    with pytest.raises(NotFound):
        backend.article("doc-003")
    writer = open_writer(settings)
    assert writer.indexed()["new-1"].hash == "h1"
    writer.close()
    writer.discard()

    # A discarded build leaves the served index as it was.
    served = backend.version()
    writer = open_writer(settings)
    writer.begin()
    writer.delete("new-1")
    writer.put(_article(3, "platinum"), "h3", "d3")
    writer.commit()
    writer.close()
    writer.discard()
    assert backend.version() == served
    assert {h.id for h in backend.search(_request("platinum")).hits} == {"new-1", "new-2"}

    # A changed article is put again, then its indexed version deleted (the pipeline's order): the
    # new version is served, and nothing else changes.
    writer = open_writer(settings)
    writer.begin()
    edited = _article(1, "palladium")
    writer.put(edited, "h1b", "d1b")
    writer.delete(edited.id)
    writer.commit()
    writer.close()
    writer.publish()
    assert {h.id for h in backend.search(_request("palladium")).hits} == {"new-1"}
    assert {h.id for h in backend.search(_request("platinum")).hits} == {"new-2"}
    assert backend.search(_request()).total == 21
    writer = open_writer(settings)
    assert writer.indexed()["new-1"].hash == "h1b"
    writer.close()
    writer.discard()

    # The same through an ingest: an edited file's article is updated, not lost.
    docs = [dict(d) for d in DOCS[:20]]
    docs[4]["body"] = docs[4]["body"] + " Rhodium too."
    _write(tmp_path / "data", docs)
    report = ingest([tmp_path / "data"], settings, progress=False)
    # doc-003, deleted above by the writer alone, comes back from its file
    assert (report.added, report.updated, report.removed) == (1, 1, 0) and report.documents == 22
    assert backend.search(_request()).total == 22
    assert {h.id for h in backend.search(_request("rhodium")).hits} == {docs[4]["id"]}

    # A rebuild starts empty.
    writer = open_writer(settings, rebuild=True)
    assert writer.fresh and writer.indexed() == {}
    writer.close()
    writer.discard()


# ----- every language (the multilingual fixtures, brute force over their texts)

MULTILINGUAL = Path(__file__).resolve().parent / "fixtures" / "multilingual"


@pytest.fixture(scope="module", params=sorted(ENGINES))
def multilingual(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SearchBackend]:
    tmp = tmp_path_factory.mktemp(f"multilingual-{request.param}")
    with ExitStack() as stack:
        settings = make_settings(tmp, **_engine_settings(request.param, tmp, stack))
        for sub in ("text", "html"):
            (tmp / "data" / sub).mkdir(parents=True)
            for path in (MULTILINGUAL / sub).iterdir():
                (tmp / "data" / sub / path.name).write_bytes(path.read_bytes())
        (tmp / "data" / "records.json").write_bytes((MULTILINGUAL / "records.json").read_bytes())
        assert ingest([tmp / "data"], settings, progress=False).exit_code == 0
        yield open_backend(settings)


def _written(backend: SearchBackend) -> dict[str, tuple[str, str]]:
    """id -> (language, title and body) of every article, from the export."""
    export = backend.export(SearchRequest(sort="oldest"), bodies=True)
    return {row.hit.id: (row.hit.language, f"{row.hit.title}\n\n{row.body}") for row in export.rows}


def test_every_language_is_a_facet_value_counted_exactly(multilingual: SearchBackend) -> None:
    texts = _written(multilingual)
    result = multilingual.search(SearchRequest(facets=("language",), facet_size=100))
    counts = {v.value: v.count for v in result.facets["language"].values}
    assert counts == dict(Counter(language for language, _ in texts.values()))
    assert {"ru", "uk", "de", "fr", "es", "zh", "ja", "ko", "ar"} <= set(counts)


@pytest.mark.parametrize("q, needle", [("中美", "中美"), ("한미", "한미"), ("日米", "日米"), ("Zürich", "rich"),
                                       ("Києва", "Києва"), ("=Häusern", "Häusern")])
def test_words_of_every_script_find_exactly_their_documents(multilingual: SearchBackend, q: str, needle: str) -> None:
    texts = _written(multilingual)
    found = {h.id for h in multilingual.search(SearchRequest(q=q, per_page=100)).hits}
    if needle == "rich":  # Zürich and Zurich alike
        expected = {i for i, (_, t) in texts.items() if "Zürich" in t or "Zurich" in t}
    else:
        expected = {i for i, (_, t) in texts.items() if needle.casefold() in t.casefold()}
    assert expected and found == expected
