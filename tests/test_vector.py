"""The vector engine against Whoosh's own matchers: the same documents and the same BM25F scores.

The engine reads posting blocks itself (engines/whoosh/postings.py), so these tests use corpora large
enough for many blocks per word, several segments and deleted documents, not only the mini set.
"""

from __future__ import annotations

import random
import re

import pytest
from whoosh import query as wq

from corpus.engines.whoosh import WhooshBackend
from corpus.engines.whoosh.postings import Unsupported
from corpus.engines.whoosh.query import AUTHOR_FIELDS
from corpus.engines.whoosh.schema import ARTICLE, AUTHOR
from corpus.ingest import ingest
from corpus.search.types import SearchRequest
from support import write_corpus

WORDS = ["oil", "price", "market", "grain", "wheat", "corn", "export", "bank", "rate", "interest", "company", "said", "growth", "trade", "dollar", "gold", "silver", "copper", "tin", "zinc", "union", "labour", "strike", "harvest", "shipping", "port", "tanker"]

QUERIES = [
    "oil", "said", "title:oil", "oil AND price", "oil price", "wheat OR corn", "gold OR silver OR copper OR zinc OR tin",
    "oil NOT price", "bank -rate", "+oil price", "NOT oil", '"interest rate"', '"the company said"', '"oil price market"',
    '"price oil"', '"nosuchword oil"', "expo*", "e*port", "shiping~", "(oil OR gold) AND (price OR rate)",
    "oil^3 price", "title:grain OR body:harvest", "date:1990 OR oil", "oil AND date:1991", "*", "nosuchword",
    "author:ana", "region:france AND oil", '"interest rates"~3',
]


def _document(rng: random.Random, n: int) -> str:
    body = []
    for _ in range(rng.randint(3, 8)):
        body.append(" ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 20))) + ".")
        if rng.random() < 0.3:
            body.append("The company said interest rates rose.")
    author = rng.choice(["Ana Lima", "Bo Chen", "Cy Diaz"])
    region = rng.choice(["France", "Japan", "Brazil"])
    title = " ".join(rng.choice(WORDS) for _ in range(rng.randint(2, 6))).title()
    year = rng.choice([1989, 1990, 1991])
    return f"Title: {title} {n}\nAuthor: {author}\nDate: {year}-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}\nRegion: {region}\n\n" + "\n\n".join(body)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> WhooshBackend:
    """600 generated articles, then a second ingest that edits 40 and deletes 20: three kinds of segment."""
    rng = random.Random(7)
    tmp = tmp_path_factory.mktemp("vector")
    data, settings = write_corpus(tmp, {f"doc{n:04d}.txt": _document(rng, n) for n in range(600)})
    assert ingest([data], settings, progress=False).exit_code == 0
    for n in range(0, 400, 10):
        (data / f"doc{n:04d}.txt").write_text(_document(rng, n) + "\n\nEdited oil tanker.", encoding="utf-8")
    for n in range(5, 200, 10):
        (data / f"doc{n:04d}.txt").unlink()
    assert ingest([data], settings, progress=False).exit_code == 0
    return WhooshBackend(settings)


def _whoosh(state: object, q: wq.Query, kind: str) -> tuple[set[int], dict[int, float]]:
    """What Whoosh's matchers find (every match) and score (the matches it scores above zero)."""
    searcher = state.searcher  # type: ignore[attr-defined]
    universe = state.snapshot.articles if kind == ARTICLE else state.snapshot.authors  # type: ignore[attr-defined]
    matcher = q.matcher(searcher)
    found = set()
    while matcher.is_active():
        if universe[matcher.id()]:
            found.add(matcher.id())
        matcher.next()
    results = searcher.search(q, limit=None, filter=wq.Term("kind", kind))
    return found, {hit.docnum: hit.score for hit in results}


def test_the_fixture_has_several_segments_and_deletions(service: WhooshBackend) -> None:
    reader = service.searchers.current().searcher.reader()
    assert len(reader.leaf_readers()) >= 2
    assert reader.doc_count_all() > reader.doc_count()  # deleted documents are still in the postings
    assert reader.doc_frequency("body", "said") > 128  # more than one posting block


@pytest.mark.parametrize("text", QUERIES)
def test_engine_matches_and_scores_like_whoosh(service: WhooshBackend, text: str) -> None:
    state = service.searchers.current()
    q = service.planner.parse(text, state)
    try:
        found = state.engine(ARTICLE).evaluate(q, scored=True)
    except Unsupported:
        assert "~3" in text, f"{text!r} should be evaluated by the vector engine"
        return
    expected, scores = _whoosh(state, q, ARTICLE)
    assert set(found.docs.tolist()) == expected
    assert list(found.docs) == sorted(found.docs)
    mine = dict(zip(found.docs.tolist(), found.scores.tolist(), strict=True))
    # Whoosh's collector, unlike its plain matcher, lets some excluded documents through on a
    # segment with deletions (`bank -rate` listed a document holding "rates"); compare scores
    # only where the two agree that a document matches.
    for docnum, score in scores.items():
        if docnum not in expected:
            continue
        assert mine[docnum] == pytest.approx(score, rel=1e-6), (text, docnum)


def test_unscored_evaluation_finds_the_same_documents(service: WhooshBackend) -> None:
    state = service.searchers.current()
    for text in QUERIES[:-1]:
        q = service.planner.parse(text, state)
        scored = state.engine(ARTICLE).evaluate(q, scored=True)
        bare = state.engine(ARTICLE).evaluate(q, scored=False)
        assert bare.scores is None and list(bare.docs) == list(scored.docs), text


def test_phrases_need_adjacent_words_in_order(service: WhooshBackend) -> None:
    state = service.searchers.current()
    # Punctuation does not break a phrase: compare with the words alone.
    stored = {d: " ".join(re.findall(r"\w+", (state.searcher.stored_fields(d).get("body") or "").lower()))
              for d in range(state.snapshot.size) if state.snapshot.articles[d]}
    found = state.engine(ARTICLE).evaluate(service.planner.parse('"company said interest"', state), scored=False)
    assert set(found.docs.tolist()) == {d for d, body in stored.items() if "company said interest" in body}
    assert len(found.docs) > 50


def test_author_documents_are_searched_apart(service: WhooshBackend) -> None:
    state = service.searchers.current()
    q = service.planner.parse("lima", state, AUTHOR_FIELDS)
    found = state.engine(AUTHOR).evaluate(q, scored=True)
    expected, _ = _whoosh(state, q, AUTHOR)
    assert set(found.docs.tolist()) == expected and len(expected) == 1
    assert not state.snapshot.articles[found.docs].any()


def test_slop_phrases_fall_back_to_whoosh_with_the_same_answer(service: WhooshBackend) -> None:
    state = service.searchers.current()
    q = service.planner.parse('"interest rates"~3', state)
    with pytest.raises(Unsupported):
        state.engine(ARTICLE).evaluate(q, scored=True)
    expected, _ = _whoosh(state, q, ARTICLE)
    result = service.search(SearchRequest(q='"interest rates"~3', per_page=100))
    assert result.total == len(expected) > 0
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_pages_rank_by_score_then_id_without_gaps(service: WhooshBackend) -> None:
    everything = service.search(SearchRequest(q="oil price", per_page=100))
    ranked = [(-round(h.score or 0, 6), h.id) for h in everything.hits]
    assert ranked == sorted(ranked)
    paged = []
    for page in range(1, 6):
        paged += service.search(SearchRequest(q="oil price", per_page=20, page=page)).hits
    assert [h.id for h in paged] == [h.id for h in everything.hits][:len(paged)]


def test_reading_postings_is_stopped_by_the_deadline(service: WhooshBackend) -> None:
    state = service.searchers.current()
    calls = []

    def check() -> None:
        calls.append(1)
        if len(calls) > 3:
            raise TimeoutError

    with pytest.raises(TimeoutError):
        state.engine(ARTICLE).evaluate(service.planner.parse("oil OR gold OR corn OR wheat OR tin", state), scored=True, check=check)


@pytest.mark.parametrize("text", ["said", "oil AND prices", "gold OR silver OR copper OR zinc OR tin", "bank NOT rate",
                                  '"the company said"', '"interest rates"', "petro*", "title:bank"])
def test_engine_matches_and_scores_like_whoosh_on_reuters(reuters_index, text: str) -> None:
    settings, _ = reuters_index
    service = WhooshBackend(settings)
    state = service.searchers.current()
    q = service.planner.parse(text, state)
    found = state.engine(ARTICLE).evaluate(q, scored=True)
    expected, scores = _whoosh(state, q, ARTICLE)
    assert set(found.docs.tolist()) == expected and expected
    mine = dict(zip(found.docs.tolist(), found.scores.tolist(), strict=True))
    assert all(mine[d] == pytest.approx(s, rel=1e-6) for d, s in scores.items() if d in expected)


LANGUAGE_WORDS = {
    "en": "the prices of oil rose while markets said banks were lending",
    "de": "die Preise für Öl stiegen während die Märkte sagten die Banken",
    "fr": "les prix du pétrole montaient tandis que les marchés disaient les banques",
}


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> WhooshBackend:
    """300 generated articles in three declared languages: each query word gets a variant per language."""
    rng = random.Random(11)
    tmp = tmp_path_factory.mktemp("vector-mixed")
    files = {}
    for n in range(300):
        lang = ("en", "de", "fr")[n % 3]
        words = [*LANGUAGE_WORDS[lang].split(), "oil", "prices", "markets"]
        body = "\n\n".join(" ".join(rng.choice(words) for _ in range(rng.randint(8, 25))) + "." for _ in range(rng.randint(2, 5)))
        files[f"doc{n:04d}.txt"] = f"Title: {rng.choice(words).title()} {n}\nLanguage: {lang}\nDate: 1990-01-0{n % 9 + 1}\n\n{body}"
    data, settings = write_corpus(tmp, files)
    assert ingest([data], settings, progress=False).exit_code == 0
    return WhooshBackend(settings)


@pytest.mark.parametrize("text", ["prices", "oil AND prices", "markets OR banks", "(oil OR prices) AND date:1990", '"oil prices"', "prices NOT oil"])
def test_language_variants_score_alike_on_both_paths(mixed: WhooshBackend, text: str) -> None:
    """A word's per-language variants are filtered to their languages, and the filter adds nothing to a score,
    in the vector engine and in Whoosh's collector (the path slop phrases and other fallbacks take)."""
    state = mixed.searchers.current()
    assert set(state.snapshot.languages) >= {"en", "de", "fr"}
    q = mixed.planner.parse(text, state)
    assert "language" in repr(q), "the query should carry language-restricted variants"
    found = state.engine(ARTICLE).evaluate(q, scored=True)
    expected, scores = _whoosh(state, q, ARTICLE)
    assert set(found.docs.tolist()) == expected and expected
    mine = dict(zip(found.docs.tolist(), found.scores.tolist(), strict=True))
    for docnum, score in scores.items():
        if docnum in expected:
            assert mine[docnum] == pytest.approx(score, rel=1e-6), (text, docnum)


def _exact_brute(state: object, words: list[str], slop: int = 1) -> set[int]:
    """Articles whose title or body holds the words as written (case folded), in order, within slop."""
    from corpus import analysis

    searcher = state.searcher  # type: ignore[attr-defined]
    snap = state.snapshot  # type: ignore[attr-defined]
    found = set()
    for d in range(snap.size):
        if not snap.articles[d]:
            continue
        stored = searcher.stored_fields(d)
        for text in (stored.get("title") or "", stored.get("body") or ""):
            forms = [analysis.exact(t.text) for t in analysis.analyze(text, stored.get("language") or "und")]
            at: dict[str, list[int]] = {}
            for i, f in enumerate(forms):
                at.setdefault(f, []).append(i)
            starts = at.get(words[0], [])
            if len(words) == 1 and starts:
                found.add(d)
            for s in starts:
                if len(words) > 1 and _follows(at, words[1:], s, slop):
                    found.add(d)
                    break
    return found


def _follows(at: dict[str, list[int]], rest: list[str], prev: int, slop: int) -> bool:
    if not rest:
        return True
    return any(_follows(at, rest[1:], p, slop) for p in at.get(rest[0], []) if prev < p <= prev + slop)


@pytest.mark.parametrize(("text", "words", "slop"), [
    ("=prices", ["prices"], 1), ("=banks", ["banks"], 1), ("=Oil", ["oil"], 1), ("=the", ["the"], 1), ("=said", ["said"], 1),
    ("=lending", ["lending"], 1), ("=markets", ["markets"], 1), ("=Märkte", ["märkte"], 1), ("=marchés", ["marchés"], 1),
    ("=öl", ["öl"], 1), ("=pétrole", ["pétrole"], 1),
    ('="oil prices"', ["oil", "prices"], 1), ('="the prices"', ["the", "prices"], 1),
    ('"=oil prices"', None, 1), ('="prices of oil"~3', ["prices", "of", "oil"], 3),
])
def test_exact_forms_match_the_words_as_written_on_both_paths(mixed: WhooshBackend, text: str, words: list[str] | None,
                                                              slop: int) -> None:
    """Exact forms are indexed only where they differ from the term; `=word` still finds exactly the word
    as written (brute force over the stored texts), in the vector engine and in Whoosh's matchers."""
    state = mixed.searchers.current()
    q = mixed.planner.parse(text, state)
    expected_whoosh, _ = _whoosh(state, q, ARTICLE)
    if words is not None:
        assert expected_whoosh == _exact_brute(state, words, slop)
        assert expected_whoosh, f"{text} should match something in the fixture"
        assert mixed.search(SearchRequest(q=text, per_page=10)).total == len(expected_whoosh)  # the search's own plan
    try:
        found = state.engine(ARTICLE).evaluate(q, scored=True)
    except Unsupported:
        assert slop > 1
        return
    assert set(found.docs.tolist()) == expected_whoosh


def test_an_exact_form_is_indexed_only_where_it_differs_from_the_term(mixed: WhooshBackend) -> None:
    reader = mixed.searchers.current().searcher.reader()
    assert ("body", b"=prices") in reader  # English stems it to price
    assert ("body", b"=oil") not in reader  # its term is the word itself
    assert ("body", b"=the") not in reader


def _per_word(self: object, terms: list[wq.Term], boost: float, scored: bool) -> object:
    """The path an OR of words took before it was vectorised: a Matches per word, then _combine."""
    parts = [self._term(t.fieldname, t.text, t.boost, scored) for t in terms]  # type: ignore[attr-defined]
    return self._combine(parts, "or", boost, scored)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("fixture", "text"), [
    ("service", "co*"), ("service", "*er"), ("service", "s* OR p*t"), ("service", "tin~2"), ("service", "t* AND oil"),
    ("service", "(gold OR silver OR tin)^2 price"), ("service", "title:gr* OR body:ha*"), ("service", "c*^0.5 NOT oil"),
    ("mixed", "pri*"), ("mixed", "mar* OR ban*"), ("mixed", '"oil prices" OR pr*'), ("mixed", "m* AND date:1990"), ("mixed", "preis~2"),
])
def test_an_or_of_words_scores_bit_for_bit_as_word_by_word(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch,
                                                           fixture: str, text: str) -> None:
    """The vectorised OR of a prefix's words gives exactly the documents and float scores of the word-by-word path,
    with and without a language mask around it (the mixed corpus puts each variant under its languages)."""
    from corpus.engines.whoosh import vector

    service = request.getfixturevalue(fixture)
    state = service.searchers.current()
    q = service.planner.parse(text, state)
    engine = state.engine(ARTICLE)
    calls = []
    original = vector.VectorEngine._words

    def counted(self: object, *args: object) -> object:
        calls.append(1)
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(vector.VectorEngine, "_words", counted)
    fast = [engine.evaluate(q, scored=s) for s in (True, False)]
    assert calls, f"{text!r} should take the vectorised path"
    monkeypatch.setattr(vector.VectorEngine, "_words", _per_word)
    slow = [engine.evaluate(q, scored=s) for s in (True, False)]
    assert len(fast[0].docs), text
    for a, b in zip(fast, slow, strict=True):
        assert a.docs.dtype == b.docs.dtype and a.docs.tolist() == b.docs.tolist(), text
    assert fast[0].scores.tolist() == slow[0].scores.tolist(), text  # equal floats, not approximately
    assert fast[1].scores is None and slow[1].scores is None
