"""The query language, filters, facets, timeline, sorting and paging, checked by brute force.

Every expectation is computed from the stored documents with the same analyzer the index uses,
not written down by hand, so a wrong hit or a wrong count cannot hide.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import date

import pytest

from corpus import analysis
from corpus.engines import open_backend
from corpus.errors import BadRequest, QuerySyntaxError, QueryTimeout
from corpus.search import SearchBackend, SearchRequest


def stems(text: str, language: str = "en") -> list[str]:
    """Every token's term, stop words included, as corpus.analysis gives it (the fixture corpus is English)."""
    return analysis.analyzer(language).terms(text)


@dataclass
class Doc:
    id: str
    title: list[str]
    body: list[str]
    authors: list[str]
    source: str | None
    region: list[str]
    date: date | None
    language: str = "und"

    @property
    def words(self) -> set[str]:
        return set(self.title) | set(self.body)

    def phrase(self, words: list[str], slop: int = 1) -> bool:
        want = [stems(w)[0] for w in words]
        for tokens in (self.title, self.body):
            positions = [[i for i, t in enumerate(tokens) if t == w] for w in want]
            for start in positions[0]:
                last, ok = start, True
                for later in positions[1:]:
                    nxt = [p for p in later if last < p <= last + slop]
                    if not nxt:
                        ok = False
                        break
                    last = nxt[0]
                if ok:
                    return True
        return False


@pytest.fixture(scope="module")
def docs(mini_service: SearchBackend) -> list[Doc]:
    result = mini_service.search(SearchRequest(per_page=100, sort="oldest", facets=()))
    out = []
    for hit in result.hits:
        record = mini_service.article(hit.id)
        assert record.language == "en", record.id
        out.append(Doc(record.id, stems(record.title), stems(record.body), record.authors, record.source,
                       record.region, record.date.date() if record.date else None, record.language))
    assert len(out) == result.total == 12
    return out


def ids(svc: SearchBackend, q: str = "", **kw) -> set[str]:
    result = svc.search(SearchRequest(q=q, per_page=100, **kw))
    assert len(result.hits) == result.total
    return {h.id for h in result.hits}


def where(docs: list[Doc], predicate) -> set[str]:
    return {d.id for d in docs if predicate(d)}


@pytest.mark.parametrize(
    ("query", "predicate"),
    [
        ("oil", lambda d: "oil" in d.words),
        ("OIL", lambda d: "oil" in d.words),
        ("oil exporters", lambda d: {"oil", "export"} <= d.words),
        ("oil AND exporters", lambda d: {"oil", "export"} <= d.words),
        ("wheat OR corn", lambda d: bool({"wheat", "corn"} & d.words)),
        ("oil NOT opec", lambda d: "oil" in d.words and "opec" not in d.words),
        ("oil -opec", lambda d: "oil" in d.words and "opec" not in d.words),
        ("(oil OR yen) rates", lambda d: bool({"oil", "yen"} & d.words) and "rate" in d.words),
        ('"interest rates"', lambda d: d.phrase(["interest", "rates"])),
        ("\u201cinterest rates\u201d", lambda d: d.phrase(["interest", "rates"])),
        ('"exporters sold"', lambda d: d.phrase(["exporters", "sold"])),
        ('"yen dollar"~4', lambda d: d.phrase(["yen", "dollar"], slop=4)),  # "yen rises against the dollar"
        ('"yen rose"', lambda d: d.phrase(["yen", "rose"])),
        ("export*", lambda d: any(w.startswith("export") for w in d.words)),
        ("tarif~", lambda d: "tariff" in d.words),
        ("title:oil", lambda d: "oil" in d.title),
        ("body:oil", lambda d: "oil" in d.body),
        ("author:baker", lambda d: any("Baker" in a for a in d.authors)),
        ('author:"anna reed"', lambda d: "Anna Reed" in d.authors),
        ("source:reuters", lambda d: d.source == "Reuters"),
        ("region:japan", lambda d: "Japan" in d.region),
        ('region:"united states"', lambda d: "United States" in d.region),
        ("date:1987", lambda d: d.date is not None and d.date.year == 1987),
        ("date:1987-03", lambda d: d.date is not None and (d.date.year, d.date.month) == (1987, 3)),
        ("date:[1987-03 TO 1987-04]", lambda d: d.date is not None and date(1987, 3, 1) <= d.date <= date(1987, 4, 30)),
        ("date:[1987-04-01 to 1987-05-05]", lambda d: d.date is not None and date(1987, 4, 1) <= d.date <= date(1987, 5, 5)),
        ("date:>1987-04", lambda d: d.date is not None and d.date > date(1987, 4, 30)),
        ("date:>=1987-04", lambda d: d.date is not None and d.date >= date(1987, 4, 1)),
        ("date:<1987-03-15", lambda d: d.date is not None and d.date < date(1987, 3, 15)),
        ("exporters date:2024", lambda d: "export" in d.words and d.date is not None and d.date.year == 2024),
        ("running", lambda d: stems("running")[0] in d.words),  # stemming: runs, running
    ],
)
def test_query_feature_matches_brute_force(mini_service, docs, query, predicate):
    expected = where(docs, predicate)
    assert expected, f"the fixture corpus should hold matches for {query!r}"
    assert ids(mini_service, query) == expected


def test_bio_field_finds_authors_not_articles(mini_service):
    result = mini_service.search(SearchRequest(q="bio:baltic"))
    assert result.total == 0
    assert [a.name for a in result.authors] == ["Maria Novak"]


def test_empty_query_browses_everything_newest_first_undated_last(mini_service, docs):
    result = mini_service.search(SearchRequest(per_page=100))
    assert result.total == len(docs)
    dated = sorted((d for d in docs if d.date), key=lambda d: (-d.date.toordinal(), d.id))
    undated = sorted(d.id for d in docs if not d.date)
    assert [h.id for h in result.hits] == [d.id for d in dated] + undated
    assert result.parsed == "*"


def test_sort_oldest_and_ties_broken_by_id(mini_service, docs):
    result = mini_service.search(SearchRequest(q="exporters", sort="oldest", per_page=100))
    hits = [(h.date.date() if h.date else date.max, h.id) for h in result.hits]
    assert hits == sorted(hits)


def test_relevance_puts_title_matches_first(mini_service):
    result = mini_service.search(SearchRequest(q="oil"))
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert all("oil" in h.title.lower() for h in result.hits[:2])  # title boosted


def test_paging_is_exact_and_complete(mini_service):
    everything = [h.id for h in mini_service.search(SearchRequest(q="exporters OR oil", per_page=100)).hits]
    paged = []
    for page in range(1, 5):
        result = mini_service.search(SearchRequest(q="exporters OR oil", per_page=3, page=page))
        assert result.total == len(everything)
        assert result.pages == -(-len(everything) // 3)
        paged += [h.id for h in result.hits]
    assert paged == everything
    assert mini_service.search(SearchRequest(q="oil", page=50)).hits == []


def test_the_parsed_query_is_stated(mini_service):
    assert mini_service.search(SearchRequest(q="wheat OR corn")).parsed == "wheat OR corn"
    assert mini_service.search(SearchRequest(q="oil -opec")).parsed == "oil AND NOT opec"
    assert mini_service.search(SearchRequest(q="date:1987-03")).parsed == "date:[1987-03-01 TO 1987-03-31]"
    assert mini_service.search(SearchRequest(q="author:baker")).parsed == "author:baker"


# ----- filters and facets


def brute_facets(docs: list[Doc], matched: set[str], filters: dict[str, set[str]], years: set[int] | None = None):
    """Facet counts computed by hand: each facet ignores its own selection."""

    def keep(d: Doc, skip: str) -> bool:
        for name, values in filters.items():
            if name == skip:
                continue
            have = {"author": set(d.authors), "source": {d.source} if d.source else set(), "region": set(d.region),
                    "language": {d.language}}[name]
            if not have & values:
                return False
        return not (years and skip != "year" and (d.date is None or d.date.year not in years))

    counts = {}
    for facet in ("author", "source", "region", "year", "language"):
        c: Counter[str] = Counter()
        for d in docs:
            if d.id in matched and keep(d, facet):
                if facet == "year":
                    if d.date:
                        c[str(d.date.year)] += 1
                else:
                    values = {"author": d.authors, "source": [d.source] if d.source else [], "region": d.region,
                              "language": [d.language]}[facet]
                    c.update(values)
        counts[facet] = dict(c)
    return counts


def engine_facets(result) -> dict[str, dict[str, int]]:
    return {name: {v.value: v.count for v in f.values} for name, f in result.facets.items()}


@pytest.mark.parametrize(
    ("q", "filters", "years"),
    [
        ("", {}, None),
        ("exporters", {}, None),
        ("exporters", {"author": {"Tom Baker"}}, None),
        ("", {"author": {"Anna Reed", "Kenji Sato"}}, None),  # OR within a facet
        ("", {"author": {"Anna Reed"}, "region": {"United States"}}, None),  # AND across facets
        ("", {"source": {"Reuters"}, "region": {"Japan", "Canada"}}, None),
        ("", {"region": {"United States"}}, {1987}),
    ],
)
def test_filters_and_multi_select_facet_counts_match_brute_force(mini_service, docs, q, filters, years):
    matched = ids(mini_service, q) if q else {d.id for d in docs}
    req = SearchRequest(
        q=q, per_page=100, facet_size=100,
        filters=tuple((k, tuple(sorted(v))) for k, v in filters.items()) + ((("year", tuple(str(y) for y in years)),) if years else ()),
    )
    result = mini_service.search(req)

    def selected(d: Doc) -> bool:
        for name, values in filters.items():
            have = {"author": set(d.authors), "source": {d.source}, "region": set(d.region)}[name]
            if not have & values:
                return False
        return not years or (d.date is not None and d.date.year in years)

    assert {h.id for h in result.hits} == {d.id for d in docs if d.id in matched and selected(d)}
    assert engine_facets(result) == brute_facets(docs, matched, filters, years)
    for name, values in filters.items():
        assert {v.value for v in result.facets[name].values if v.selected} == values


def test_facet_top_n_and_distinct(mini_service):
    result = mini_service.search(SearchRequest(facet_size=2))
    authors = result.facets["author"]
    assert len(authors.values) == 2
    assert authors.distinct == 6  # every signed author in the fixture corpus
    counts = [v.count for v in authors.values]
    assert counts == sorted(counts, reverse=True)


def test_more_values_of_one_facet_with_a_prefix(mini_service):
    facet = mini_service.facet_values("author", SearchRequest(), prefix="t")
    assert [v.value for v in facet.values] == ["Tom Baker"]
    assert mini_service.facet_values("region", SearchRequest(), prefix="united").values[0].value == "United States"
    page2 = mini_service.facet_values("author", SearchRequest(), page=2, size=3)
    page1 = mini_service.facet_values("author", SearchRequest(), page=1, size=3)
    assert not {v.value for v in page1.values} & {v.value for v in page2.values}


def test_date_filter_is_inclusive_at_both_ends(mini_service, docs):
    req = SearchRequest(date_from=date(1987, 3, 2), date_to=date(1987, 4, 1), per_page=100)
    expected = where(docs, lambda d: d.date is not None and date(1987, 3, 2) <= d.date <= date(1987, 4, 1))
    assert {h.id for h in mini_service.search(req).hits} == expected
    assert {"wire-oil-prices", "wire-wheat"} <= expected


def test_unknown_facet_is_refused(mini_service):
    with pytest.raises(BadRequest):
        mini_service.search(SearchRequest(filters=(("colour", ("red",)),)))


# ----- timeline


@pytest.mark.parametrize("q", ["", "exporters", "oil", "date:1987"])
def test_timeline_buckets_add_up_to_the_total(mini_service, q):
    result = mini_service.search(SearchRequest(q=q))
    timeline = result.timeline
    assert sum(b.count for b in timeline.buckets) + timeline.undated == result.total
    assert all(b.count <= b.corpus_count for b in timeline.buckets)


def test_timeline_interval_follows_the_span(mini_service):
    assert mini_service.search(SearchRequest()).timeline.interval == "year"  # 1987 to 2025
    one_year = mini_service.search(SearchRequest(q="date:1987"))
    assert one_year.timeline.interval == "month"
    assert [b.period for b in one_year.timeline.buckets][:3] == ["1987-03", "1987-04", "1987-05"]
    corpus_march = one_year.timeline.buckets[0].corpus_count
    assert corpus_march == 3  # oil-prices, oil-glut, yen: the whole corpus in that month


# ----- highlights, suggestions, more like this, authors


def test_highlights_mark_whole_words_as_written_and_escape_html(mini_service):
    hit = next(h for h in mini_service.search(SearchRequest(q="running")).hits if h.id == "opinion-running")
    assert "<mark>running</mark>" in hit.snippet  # the word as written, not the stem "run"
    xss = mini_service.search(SearchRequest(q="tariff markup")).hits[0]
    assert "<img" not in xss.snippet and "&lt;img" in xss.snippet
    assert "<mark>markup</mark>" in xss.snippet


def test_title_only_match_falls_back_to_the_opening(mini_service):
    hit = mini_service.search(SearchRequest(q="title:undated")).hits[0]
    assert hit.snippet.startswith("Tariffs on grain exports")
    assert "<mark>" not in hit.snippet


def test_did_you_mean_only_when_it_finds_more(mini_service):
    assert mini_service.search(SearchRequest(q="exporterz")).suggestion == "exporters"
    # One edit from both "exporters" and "exports", which the corpus spells equally often.
    assert mini_service.search(SearchRequest(q="exportrs")).suggestion in ("exporters", "exports")
    assert mini_service.search(SearchRequest(q="tarifs AND grian")).suggestion in ("tariff AND grain", "tariffs AND grain")
    assert mini_service.search(SearchRequest(q="x" * 30)).suggestion is None  # too long to look up
    assert mini_service.search(SearchRequest(q="exporters")).suggestion is None


def test_more_like_this(mini_service):
    similar = [h.id for h in mini_service.more_like_this("wire-oil-prices")]
    assert similar and "wire-oil-prices" not in similar
    assert similar[0] in {"wire-oil-glut", "wire-opec-quota"}


def test_author_matches_are_returned_beside_articles(mini_service):
    result = mini_service.search(SearchRequest(q="Novak"))
    assert [a.name for a in result.authors] == ["Maria Novak"]
    assert result.authors[0].article_count == 2


# ----- bad input and limits


@pytest.mark.parametrize("q", ["the", "a AND", "NOT", ")(", "date:2024-13", "date:[x TO y]"])
def test_unusable_queries_get_a_clear_message(mini_service, q):
    try:
        result = mini_service.search(SearchRequest(q=q))
    except QuerySyntaxError as exc:
        assert exc.message and exc.param == "q"
    else:  # some odd strings are still a search, just an unusual one
        assert result.total >= 0


def test_too_broad_wildcards_are_refused_clearly(mini_service, monkeypatch):
    from corpus.engines.whoosh import query

    monkeypatch.setattr(query, "MAX_EXPANSIONS", 2)
    with pytest.raises(QuerySyntaxError, match="more than 2 different words"):
        mini_service.search(SearchRequest(q="e*"))


def test_query_over_the_time_limit_gets_a_message_and_the_service_recovers(mini_settings):
    from dataclasses import replace

    slow = open_backend(replace(mini_settings, query_time_limit=1e-9))
    with pytest.raises(QueryTimeout, match="took longer than"):
        slow.search(SearchRequest(q="exporters OR oil"))
    assert open_backend(mini_settings).search(SearchRequest(q="exporters OR oil")).total > 0


def test_query_length_cap(mini_service):
    with pytest.raises(BadRequest, match="longer than"):
        mini_service.search(SearchRequest(q="oil " * 200))


def test_snippets_hold_no_raw_markup_for_any_hit(mini_service):
    for hit in mini_service.search(SearchRequest(q="tariff OR markup OR hacker", per_page=100)).hits:
        assert not re.search(r"<(?!/?mark>)", hit.snippet)


@pytest.mark.parametrize("q", ["a~~", "x~", "e~2", "oil OR a~"])
def test_every_match_is_listed_even_when_whoosh_scores_it_zero(mini_service, q):
    result = mini_service.search(SearchRequest(q=q, per_page=100))
    assert len(result.hits) == result.total
    found = mini_service.export(SearchRequest(q=q))
    assert len(list(found.rows)) == found.total == result.total


@pytest.mark.parametrize("q", ["export*", "source:reuters", "date:1987 OR oil", "e*", "exporters OR oil OR yen"])
def test_relevance_ties_are_broken_by_id_on_every_page(mini_service, q):
    full = mini_service.search(SearchRequest(q=q, per_page=100, facets=()))
    order = [(-round(h.score, 6), h.id) for h in full.hits]
    assert order == sorted(order)
    paged = []
    for page in range(1, full.total + 1):
        paged += [h.id for h in mini_service.search(SearchRequest(q=q, per_page=1, page=page, facets=())).hits]
    assert paged == [h.id for h in full.hits]


def test_ranked_hits_respect_every_filter(mini_service):
    req = SearchRequest(q="exporters OR oil", filters=(("author", ("Kenji Sato",)),), per_page=100)
    result = mini_service.search(req)
    assert result.total == len(result.hits) > 0
    assert all("Kenji Sato" in h.authors for h in result.hits)


def test_repeated_searches_come_from_the_cache_until_the_index_changes(tmp_path):
    from corpus.ingest import ingest
    from support import write_corpus

    data, settings = write_corpus(tmp_path, {"a.txt": "Title: Wheat\n\nWheat prices rose.\n"})
    ingest([data], settings, progress=False)
    svc = open_backend(settings)
    first = svc.search(SearchRequest(q="wheat"))
    again = svc.search(SearchRequest(q="wheat"))
    assert again.hits is first.hits  # served from memory
    assert svc.search(SearchRequest(q="wheat", page=2)).hits == []  # a different request is searched
    (data / "b.txt").write_text("Title: More wheat\n\nWheat exports fell.\n")
    ingest([data], settings, progress=False)
    assert svc.search(SearchRequest(q="wheat")).total == 2  # the new build is searched, not the cache


def test_the_cache_can_be_turned_off(mini_settings):
    from dataclasses import replace

    svc = open_backend(replace(mini_settings, result_cache=0))
    first = svc.search(SearchRequest(q="oil"))
    again = svc.search(SearchRequest(q="oil"))
    assert again.hits is not first.hits and [h.id for h in again.hits] == [h.id for h in first.hits]


@pytest.mark.parametrize("q", ['date:""', 'oil date:""', 'date:"2024"', 'oil OR date:"x"'])
def test_anything_else_on_the_date_field_is_a_clear_error(mini_service, q):
    with pytest.raises(QuerySyntaxError, match="date: takes"):
        mini_service.search(SearchRequest(q=q))
