"""Reuters-21578, indexed for real, checked against a brute-force scan of the same normalised text."""

from __future__ import annotations

from collections import Counter
from datetime import date
from itertools import pairwise

import pytest

from corpus import analysis
from corpus.documents import RawRecord
from corpus.engines import open_backend
from corpus.normalize import to_article
from corpus.readers import read_file
from corpus.search import SearchRequest

pytestmark = [pytest.mark.corpora, pytest.mark.slow]


def terms(text: str, language: str) -> list[str]:
    """Every token's term in the article's language, stop words included: what the index holds."""
    return analysis.analyzer(language).terms(text)


def exact_forms(text: str) -> list[str]:
    """Every token as written, only case folded: what `="..."` matches."""
    return [analysis.exact(t.text) for t in analysis.analyze(text)]


@pytest.fixture(scope="module")
def scanned(reuters_index):
    """Every indexed article as (id, title stems, body stems, regions, date), read the way ingest reads."""
    settings, report = reuters_index
    not_indexed = {d["id"] for d in report.duplicate_items}
    path = settings.data_dir / "reuters21578.jsonl"
    docs = {}
    for raw in read_file(path, settings.data_dir):
        assert isinstance(raw, RawRecord)
        article = to_article(raw)
        if article.id in not_indexed:
            continue
        docs[article.id] = (
            terms(article.title, article.language),
            terms(article.body, article.language),
            article.region,
            article.date.date() if article.date else None,
            (exact_forms(article.title), exact_forms(article.body)),
        )
    return docs


def phrase(tokens: list[str], first: str, second: str) -> bool:
    return any(a == first and b == second for a, b in pairwise(tokens))


def run(tokens: list[str], words: list[str]) -> bool:
    """Whether the words stand in the tokens in this order, next to each other."""
    n = len(words)
    return any(tokens[i:i + n] == words for i in range(len(tokens) - n + 1))


def matching(scanned, predicate) -> set[str]:
    return {doc_id for doc_id, doc in scanned.items() if predicate(*doc[:4])}


def total(settings, q: str = "", **kw) -> int:
    return open_backend(settings).search(SearchRequest(q=q, facets=(), timeline=False, **kw)).total


def test_every_record_is_indexed_less_reported_duplicates(reuters_index):
    settings, report = reuters_index
    assert report.records_seen == 21578
    assert report.skipped_items == []
    assert report.added + report.duplicate == 21578
    assert report.reconciliation["balanced"]
    assert total(settings) == report.added


@pytest.mark.parametrize(
    ("q", "predicate"),
    [
        ("oil", lambda t, b, r, d: "oil" in t or "oil" in b),
        ('"interest rates"', lambda t, b, r, d: phrase(t, "interest", "rate") or phrase(b, "interest", "rate")),
        ("wheat OR corn", lambda t, b, r, d: bool({"wheat", "corn"} & (set(t) | set(b)))),
        ("oil NOT opec", lambda t, b, r, d: ("oil" in t or "oil" in b) and "opec" not in t and "opec" not in b),
    ],
)
def test_hit_counts_match_brute_force(reuters_index, scanned, q, predicate):
    settings, _ = reuters_index
    expected = matching(scanned, predicate)
    assert len(expected) > 100
    assert total(settings, q) == len(expected)


@pytest.mark.parametrize("words", ["said it", "the bank", "state of emergency", "to be or not to be", "of the"])
def test_phrases_of_common_words_count_exactly_the_documents_with_those_words_in_order(reuters_index, scanned, words):
    settings, _ = reuters_index
    wanted = terms(words, "en")
    assert len(wanted) == len(words.split())  # every word is a term: none is dropped as a stop word
    # The index's own terms (stemmed: "said its" is "said it" too) and the words as written.
    stemmed = {i for i, doc in scanned.items() if run(doc[0], wanted) or run(doc[1], wanted)}
    written = {i for i, doc in scanned.items() if run(doc[4][0], words.split()) or run(doc[4][1], words.split())}
    assert written <= stemmed and (written or words == "to be or not to be")  # Reuters never quotes Hamlet
    assert total(settings, f'"{words}"') == len(stemmed)
    assert total(settings, f'="{words}"') == len(written)


def test_a_phrase_no_longer_matches_its_rarest_word_alone(reuters_index, scanned):
    settings, _ = reuters_index
    said = {i for i, doc in scanned.items() if "said" in doc[0] or "said" in doc[1]}
    assert total(settings, '"said it"') < len(said) - 5000


def test_region_query_restricted_to_a_month_matches_brute_force(reuters_index, scanned):
    settings, _ = reuters_index
    expected = matching(scanned, lambda t, b, r, d: "Japan" in r and d is not None and (d.year, d.month) == (1987, 3))
    assert expected
    got = total(settings, "region:japan", date_from=date(1987, 3, 1), date_to=date(1987, 3, 31))
    assert got == len(expected)


def test_facet_counts_match_brute_force(reuters_index, scanned):
    settings, _ = reuters_index
    result = open_backend(settings).search(SearchRequest(q="oil", facet_size=500, facets=("region", "year")))
    matched = matching(scanned, lambda t, b, r, d: "oil" in t or "oil" in b)
    regions = Counter(region for doc_id in matched for region in scanned[doc_id][2])
    years = Counter(str(scanned[doc_id][3].year) for doc_id in matched if scanned[doc_id][3])
    assert {v.value: v.count for v in result.facets["region"].values} == dict(regions)
    assert {v.value: v.count for v in result.facets["year"].values} == dict(years)
    assert result.facets["region"].distinct == len(regions)
    assert "United States" in regions and "Japan" in regions


def test_timeline_adds_up_and_dates_fall_in_1987(reuters_index):
    settings, _ = reuters_index
    result = open_backend(settings).search(SearchRequest(q="oil"))
    assert result.timeline is not None
    assert sum(b.count for b in result.timeline.buckets) + result.timeline.undated == result.total
    assert {b.period[:4] for b in result.timeline.buckets} == {"1987"}
