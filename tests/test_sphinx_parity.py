"""The sphinxql engine against the whoosh engine, and against itself on 1, 2 and 4 shards.

The same corpus goes into a whoosh index and into three real Sphinx clusters (one, two and four
shard daemons behind a front). For every query of a set covering terms, phrases, booleans,
prefixes, wildcards, field queries, exact forms, multi-select facet filters and date ranges:

- totals, every facet's counts and the timeline's buckets equal the whoosh engine's exactly;
- the top 10 (ids and scores, in order) are identical on 1, 2 and 4 shards: ranking uses
  statistics over the whole corpus (the global IDF file corpus writes, stats.py), not a shard's;
- the top 10 shares at least 8 ids with the whoosh engine's (all of them when fewer match),
  except for the queries in WEAKER, which share 7 (measured) and are held to that.

The fixture corpus is the bundled demo (600 texts of The New Europe, 1916-1920); the Reuters
variant runs when ../shared/corpora is present.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import ExitStack
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from corpus.engines import open_backend
from corpus.ingest import ingest
from corpus.search import SearchBackend, SearchRequest
from sphinx_cluster import running, settings_for
from support import REUTERS_DIR, ROOT, make_settings

SHARDS = (1, 2, 4)
FACETS = ("author", "source", "region", "year", "category", "language")

# (query, filters as (facet, ranks of the corpus's top values), date_from, date_to)
DEMO_QUERIES: list[tuple[str, tuple[tuple[str, tuple[int, ...]], ...], date | None, date | None]] = [
    ("war", (), None, None),
    ("Serbia", (), None, None),
    ("italy adriatic", (), None, None),
    ('"league of nations"', (), None, None),
    ('"peace conference"~3', (), None, None),
    ("Austria OR Hungary", (), None, None),
    ("russia -bolshevik", (), None, None),
    ("(poland OR bohemia) AND independence", (), None, None),
    ("slav*", (), None, None),
    ("czech*", (), None, None),
    ("b?hemia", (), None, None),
    ("title:poland", (), None, None),
    ("body:finance", (), None, None),
    ("=Bohemia", (), None, None),
    ("war", (("region", (0, 1)),), None, None),
    ("army", (("author", (0, 1, 2)), ("category", (0,))), None, None),
    ("nation*", (("region", (0,)), ("year", (0, 1))), None, None),
    ("revolution", (), date(1917, 3, 1), date(1918, 6, 30)),
    ("peace date:[1918-11 TO 1919-06]", (), None, None),
    ("", (("category", (1,)),), date(1919, 1, 1), None),
]

# Queries whose top 10 shares fewer than 8 ids with whoosh's, with the reason; held to what was measured.
WEAKER = {
    # Whoosh scores a sloppy phrase by how often the phrase occurs; Sphinx's expression ranker sees
    # only per-field keyword factors (every occurrence of each word counts).
    '"peace conference"~3': 7,
    # BM25 saturates each word's frequency on its own; the expression saturates the field's mean
    # frequency over the matched words, which weighs an AND of ORs a little differently.
    "(poland OR bohemia) AND independence": 7,
    # Reuters: a phrase (as above, whoosh counts phrase occurrences) and a prefix of 30-odd words
    # over short wire stories, where many scores lie within a fraction of a percent of each other.
    '"interest rates"': 7,
    "export*": 7,
}

REUTERS_QUERIES: list[tuple[str, tuple[tuple[str, tuple[int, ...]], ...], date | None, date | None]] = [
    ("oil", (), None, None),
    ("crude prices", (), None, None),
    ('"interest rates"', (), None, None),
    ("wheat OR corn", (), None, None),
    ("bank -loan", (), None, None),
    ("export*", (), None, None),
    ("title:coffee", (), None, None),
    ("trade", (("region", (0, 1)),), None, None),
    ("dollar", (), date(1987, 3, 1), date(1987, 3, 31)),
    ("shares", (("source", (0,)), ("category", (0, 2))), None, None),
]


def _ingest(data: list[Path], settings: Any) -> SearchBackend:
    report = ingest(data, settings, progress=False)
    assert report.exit_code in (0, 3), report.summary()
    return open_backend(settings)


def _engines(tmp: Path, data: list[Path], stack: ExitStack) -> dict[str, SearchBackend]:
    """whoosh, then the same corpus on a cluster of each size."""
    out = {"whoosh": _ingest(data, make_settings(tmp / "whoosh", result_cache=0))}
    for shards in SHARDS:
        cluster = stack.enter_context(running(tmp / f"cluster{shards}", shards=shards))
        out[f"shards{shards}"] = _ingest(data, make_settings(tmp / f"sphinx{shards}", result_cache=0, **settings_for(cluster)))
    return out


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, SearchBackend]]:
    with ExitStack() as stack:
        yield _engines(tmp_path_factory.mktemp("parity-demo"), [ROOT / "corpus_data"], stack)


def _request(engines: dict[str, SearchBackend], q: str, filters: tuple[tuple[str, tuple[int, ...]], ...],
             date_from: date | None, date_to: date | None) -> SearchRequest:
    """The request, its facet filters picked by rank among the corpus's top values (whoosh's stats)."""
    everything = engines["whoosh"].search(SearchRequest(facets=FACETS, facet_size=200, per_page=1))
    chosen = []
    for name, ranks in filters:
        values = [v.value for v in everything.facets[name].values]
        chosen.append((name, tuple(values[r] for r in ranks if r < len(values))))
    return SearchRequest(q=q, filters=tuple(chosen), date_from=date_from, date_to=date_to, facets=FACETS, facet_size=200,
                         per_page=10)


def _counts(result: Any) -> dict[str, dict[str, int]]:
    # The whoosh engine shows a comma inside a facet value as a space (its keyword column splits on
    # commas: Reuters' "Cal Mankowski, Reutersd" reads back "Cal Mankowski  Reutersd"); sphinxql
    # keeps the value as written. Compared with the comma as whoosh shows it.
    return {name: {v.value.replace(",", " "): v.count for v in facet.values} for name, facet in result.facets.items()}


def _timeline(result: Any) -> tuple[Any, ...] | None:
    line = result.timeline
    if line is None:
        return None
    return line.interval, line.undated, tuple((b.period, b.count, b.corpus_count) for b in line.buckets)


def _check(engines: dict[str, SearchBackend], queries: list) -> list[str]:
    """Every query's failures, as lines (empty when all agree)."""
    failures = []
    for q, filters, date_from, date_to in queries:
        req = _request(engines, q, filters, date_from, date_to)
        expected = engines["whoosh"].search(req)
        assert expected.total > 0, f"{q!r} matches nothing on whoosh: the query set is wrong"
        tops = {}
        for name in (f"shards{n}" for n in SHARDS):
            got = engines[name].search(req)
            label = f"{q!r} {req.filters} {date_from}..{date_to} on {name}"
            if got.total != expected.total:
                failures.append(f"{label}: total {got.total}, whoosh {expected.total}")
            if _counts(got) != _counts(expected):
                diff = {f: (_counts(got)[f], _counts(expected)[f]) for f in FACETS if _counts(got).get(f) != _counts(expected).get(f)}
                failures.append(f"{label}: facets differ (sphinx, whoosh): {diff}")
            if _timeline(got) != _timeline(expected):
                failures.append(f"{label}: timeline {_timeline(got)} != whoosh {_timeline(expected)}")
            tops[name] = [(h.id, h.score) for h in got.hits]
            shared = len({h.id for h in got.hits} & {h.id for h in expected.hits})
            if shared < min(WEAKER.get(q, 8), len(expected.hits)):
                failures.append(f"{label}: top 10 shares {shared} ids with whoosh's")
        first = tops[f"shards{SHARDS[0]}"]
        for name, top in tops.items():
            if top != first:
                failures.append(f"{q!r}: top 10 on {name} {top} != on shards{SHARDS[0]} {first}")
    return failures


def test_demo_counts_match_whoosh_and_ranking_is_the_same_on_1_2_4_shards(demo):
    failures = _check(demo, DEMO_QUERIES)
    assert not failures, "\n".join(failures)


def test_ranking_uses_whole_corpus_statistics(demo):
    # The check above could pass with every score equal; the scores must order the hits and differ.
    req = SearchRequest(q="war", per_page=10)
    hits = demo["shards4"].search(req).hits
    scores = [h.score for h in hits]
    assert scores == sorted(scores, reverse=True) and len(set(scores)) > 5
    assert [(h.id, h.score) for h in demo["shards1"].search(req).hits] == [(h.id, h.score) for h in hits]


REUTERS_SUBSET = 10_000


def test_reuters_counts_match_whoosh_and_ranking_is_the_same_on_1_2_4_shards(tmp_path_factory):
    """The first 10,000 records of Reuters-21578 on whoosh and on 1, 2 and 4 shards, with ten queries.

    A subset, to keep this test under 3 minutes of CI: all 21,578 records passed the same checks
    in 235 s on this 2-core machine (four ingests: whoosh and three clusters); 10,000 take about half.
    """
    source = REUTERS_DIR / "reuters21578.jsonl"
    if not source.is_file():
        pytest.skip(f"the Reuters-21578 corpus is not at {REUTERS_DIR} (a fresh clone has no ../shared)")
    started = time.monotonic()
    tmp = tmp_path_factory.mktemp("parity-reuters")
    data = tmp / "data"
    data.mkdir()
    with open(source, encoding="utf-8") as src, open(data / "reuters.jsonl", "w", encoding="utf-8") as out:
        for n, line in enumerate(src):
            if n >= REUTERS_SUBSET:
                break
            out.write(line)
    with ExitStack() as stack:
        engines = _engines(tmp, [data], stack)
        failures = _check(engines, REUTERS_QUERIES)
        assert not failures, "\n".join(failures)
    print(f"Reuters parity: {time.monotonic() - started:.1f} s")
