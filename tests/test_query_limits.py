"""Hostile queries: every stage of a search obeys the time limit and the expansion caps, hyphenated
words are phrases, and parse errors speak the query language, not Python.

The pathological queries run on a generated corpus with a large vocabulary (so a fresh clone
without ../shared tests them too) and, when it is present, on Reuters-21578.
"""

from __future__ import annotations

import random
import re
import string
import threading
import time
from dataclasses import replace
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import query as wq

from corpus.config import Settings
from corpus.engines.whoosh import WhooshBackend
from corpus.engines.whoosh import query as ql
from corpus.engines.whoosh.expand import Lexicon, expand, words_for
from corpus.engines.whoosh.schema import ARTICLE
from corpus.errors import QuerySyntaxError
from corpus.ingest import ingest
from corpus.search.syntax import render
from corpus.search.types import SearchRequest
from corpus.web import create_app
from support import write_corpus

LIMIT = 1.0  # the query time limit for the pathological queries; each must answer within LIMIT + 2 s
# Queries that stand for far too many words or far too much work: a 400 or a 503, never a long wait.
REFUSED = [
    "[a TO z]",
    "*a*",
    " ".join(f"*{c}*" for c in (string.ascii_lowercase + "aeiou")[:30]),  # 30 leading wildcards
    " ".join(f"{c}*" for c in string.ascii_lowercase),  # a* b* c* ... z*
    "a" * 395 + "~2",  # a fuzzy term on a "word" longer than any word: refused by its length
]
# Queries that used to run for a long time unchecked; now any quick answer is fine (a fuzzy term on
# a 100-letter word has no word within its length window, so it finds nothing, at once).
QUICK = ["a" * 100 + "~2", "*a*b*c*d*e*f*g*h*i*j*k*l*m*n*o*p*q*r*s*t*u*v*w*x*y*z*a*b*c*d*", "a~2 e~2 i~2 o~2 u~2"]
WORDS_SHOWN = ["wild", "wilder", "wildly", "world", "wold", "weld", "walden", "export", "exports", "exporter", "expert",
               "grain", "grains", "groin", "train", "brain", "tariff", "tariffs", "apple", "banana", "cherry"]


def _vocabulary(rng: random.Random, n: int) -> list[str]:
    words: set[str] = set()
    while len(words) < n:
        words.add("".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(5, 12))))
    return sorted(words)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """500 articles over 20,000 distinct made-up words, plus a few with known words and hyphenated names."""
    rng = random.Random(12)
    pool = _vocabulary(rng, 20_000)
    files: dict[str, str] = {}
    for n in range(500):
        own = pool[n * 40:(n + 1) * 40]
        shown = rng.sample(WORDS_SHOWN, 4)
        body = " ".join(own + shown + rng.sample(pool, 10))
        # Made-up words would be told apart as many languages; the corpus says it is English.
        files[f"doc{n:04d}.txt"] = f"Title: {' '.join(rng.sample(shown + own[:3], 3)).title()} {n}\nLanguage: en\n\n{body}.\n"
    files["coke1.txt"] = "Title: Soft drinks\nLanguage: en\n\nCoca-Cola raised prices in Atlanta.\n"
    files["coke2.txt"] = "Title: Bottlers\nLanguage: en\n\nThe coca cola bottlers met.\n"
    files["coke3.txt"] = "Title: Leaves\nLanguage: en\n\nCoca leaves are not cola nuts. Cola is sold here.\n"
    files["coke4.txt"] = "Title: Cola wars\nLanguage: en\n\nPepsi and cola only.\n"
    files["empire1.txt"] = "Title: Empire\nLanguage: en\n\nThe Austria-Hungary empire ended in 1918.\n"
    files["empire2.txt"] = "Title: Empire\nLanguage: en\n\nAustria signed first, and later Hungary left.\n"
    files["slop.txt"] = "Title: Rates\nLanguage: en\n\nInterest on the rates rose; wild interest rates.\n"
    tmp = tmp_path_factory.mktemp("limits")
    data, s = write_corpus(tmp, files)
    assert ingest([data], s, progress=False).exit_code == 0
    return replace(s, result_cache=0)


@pytest.fixture(scope="module")
def synthetic_service(synthetic: Settings) -> WhooshBackend:
    return WhooshBackend(synthetic)


def _levenshtein(a: str, b: str, limit: int) -> int:
    """Plain Levenshtein distance by dynamic programming, stopping once every cell is past the limit."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        row = [i]
        for j, cb in enumerate(b, 1):
            row.append(min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(row) > limit:
            return limit + 1
        previous = row
    return previous[-1]


def _oracle(reader, fieldname: str, text: str, maxdist: int, prefixlength: int) -> list[str]:
    prefix = text[:prefixlength]
    # Exact forms ("=word") are indexed beside each word and are never what an expansion stands for.
    return sorted(w for w in (b.decode("utf-8") for b in reader.lexicon(fieldname))
                  if w.startswith(prefix) and not w.startswith("=") and _levenshtein(w, text, maxdist) <= maxdist)


def _check_fuzzy_against_brute_force(service: WhooshBackend, cases: list[tuple[str, int, int]]) -> None:
    state = service.searchers.current()
    reader = state.searcher.reader()
    lexicon = Lexicon()
    for text, maxdist, prefixlength in cases:
        leaf = wq.FuzzyTerm("body", text, maxdist=maxdist, prefixlength=prefixlength)
        assert words_for(leaf, reader, lexicon) == _oracle(reader, "body", text, maxdist, prefixlength), (text, maxdist, prefixlength)


FUZZY_CASES = [("export", 1, 0), ("export", 2, 0), ("export", 2, 3), ("grain", 2, 1), ("wild", 1, 0), ("wild", 2, 2),
               ("tarif", 1, 0), ("x", 2, 0), ("x", 2, 3), ("ab", 1, 5), ("oil", 2, 0), ("zzzzzzzzzzzzzzzzzzzz", 2, 0)]


def test_fuzzy_expansion_is_exactly_the_words_within_the_distance(synthetic_service):
    _check_fuzzy_against_brute_force(synthetic_service, FUZZY_CASES)


def test_fuzzy_expansion_is_exactly_the_words_within_the_distance_on_reuters(reuters_index):
    settings_, _ = reuters_index
    _check_fuzzy_against_brute_force(WhooshBackend(settings_), [("export", 1, 0), ("export", 2, 0), ("goverment", 2, 1),
                                                               ("oil", 2, 0), ("yen", 1, 1), ("a" * 395, 2, 0)])


def _whoosh_ranking(state, q: wq.Query) -> list[tuple[float, str]]:
    """Whoosh's own expansion and scoring of a query: (score, id) of each article, best first."""
    results = state.searcher.search(q, limit=None, filter=wq.Term("kind", ARTICLE))
    return sorted((-round(hit.score, 6), hit["id"]) for hit in results)


def _whoosh_expanded(q: wq.Query, reader) -> wq.Query:
    """Each fuzzy, prefix and wildcard term as the Or of the words Whoosh's own _btexts gives (what its
    MultiTerm.matcher ORs, and what the vector engine scored before); a range stays Whoosh's own
    TermRange, which scores every match with its boost."""
    if isinstance(q, (wq.FuzzyTerm, wq.Prefix, wq.Wildcard)):
        words = [w.decode("utf-8") if isinstance(w, bytes) else w for w in q._btexts(reader)]
        words = [w for w in words if not w.startswith("=")]  # the exact forms beside each word
        return wq.Or([wq.Term(q.fieldname, w) for w in words], boost=q.boost) if len(words) > 1 else wq.Term(q.fieldname, words[0], boost=q.boost)
    return q.apply(lambda sub: _whoosh_expanded(sub, reader))


@pytest.mark.parametrize("text", ["wild~", "export~", "grain~2", "expo*", "w?ld*", "[a TO c]", "[wild TO world]",
                                  "title:wild*", "wild~ OR tariff", '"interest rates"~3 wild*', '"interest rates"~3 OR w?ld*'])
def test_expanded_queries_find_and_rank_as_whoosh_does(synthetic_service, text):
    state = synthetic_service.searchers.current()
    # Whoosh's automaton and ours both count plain Levenshtein edits on a single segment (its
    # multi-segment reader counts transpositions as one edit instead).
    assert not hasattr(state.searcher.reader(), "readers") or len(state.searcher.reader().readers) == 1
    parsed = synthetic_service.planner.parse(text, state)
    expected = _whoosh_ranking(state, _whoosh_expanded(parsed, state.searcher.reader()))
    result = synthetic_service.search(SearchRequest(q=text, per_page=100, facets=()))
    assert expected and result.total == len(expected)
    found = [(-round(h.score or 0, 6), h.id) for h in result.hits]
    assert [i for _, i in found] == [i for _, i in expected[:100]]
    assert [s for s, _ in found] == pytest.approx([s for s, _ in expected[:100]], rel=1e-6)


def _client(settings_: Settings):
    return create_app(replace(settings_, query_time_limit=LIMIT, result_cache=0)).test_client()


def _timed(client, q: str) -> tuple[int, dict, float]:
    started = time.monotonic()
    response = client.get("/api/search?" + urlencode({"q": q}))
    return response.status_code, response.get_json(), time.monotonic() - started


def _check_pathological(settings_: Settings) -> None:
    client = _client(settings_)
    client.get("/api/search?q=wild")  # open the index first: its one-off cost is not the query's
    for q in REFUSED + QUICK:
        status, body, took = _timed(client, q)
        assert took <= LIMIT + 2, (q, status, took)
        assert status in (200, 400, 503), (q, status)
        if status == 400:
            assert body["error"]["code"] == "query_syntax" and body["error"]["param"] == "q"
            assert "different words" in body["error"]["message"] or "at most 100 letters" in body["error"]["message"]
        if status == 503:
            assert body["error"]["code"] == "query_timeout"
        if q in REFUSED:
            assert status in (400, 503), (q, body)


def test_pathological_queries_answer_in_time_on_a_generated_corpus(synthetic):
    _check_pathological(synthetic)


def test_pathological_queries_answer_in_time_on_reuters(reuters_index):
    settings_, _ = reuters_index
    _check_pathological(settings_)


def test_the_message_names_the_term_that_stands_for_too_many_words(synthetic):
    status, body, _ = _timed(_client(synthetic), "wild [a TO z]")
    assert status == 400 and "'[a TO z]' matches more than 4096 different words" in body["error"]["message"]
    status, body, _ = _timed(_client(synthetic), " ".join(f"{c}*" for c in string.ascii_lowercase))
    assert status == 400 and "together" in body["error"]["message"] and str(ql.MAX_TOTAL_EXPANSIONS) in body["error"]["message"]


def test_a_normal_query_is_answered_while_a_hostile_one_runs(synthetic):
    app = create_app(replace(synthetic, query_time_limit=LIMIT, result_cache=0))
    app.test_client().get("/api/search?q=wild")
    hostile: list[tuple[int, float]] = []

    def run() -> None:
        status, _, took = _timed(app.test_client(), "[a TO f] OR *e*e*")
        hostile.append((status, took))

    worker = threading.Thread(target=run)
    worker.start()
    status, body, took = _timed(app.test_client(), "tariff")
    worker.join(timeout=LIMIT + 30)
    assert status == 200 and body["total"] > 0 and took <= LIMIT + 2
    assert hostile and hostile[0][1] <= LIMIT + 2


def test_expansion_looks_at_the_clock_as_it_goes(synthetic_service):
    state = synthetic_service.searchers.current()
    reader = state.searcher.reader()
    calls: list[int] = []

    def check() -> None:
        calls.append(1)
        if len(calls) > 3:
            raise TimeoutError

    for q in ["*e*", "e~2 a~2 i~2"]:
        calls.clear()
        with pytest.raises(TimeoutError):
            expand(synthetic_service.planner.parse(q, state), reader, Lexicon(), check)


def test_an_expired_deadline_stops_a_fuzzy_search_with_a_503(synthetic):
    from corpus.errors import QueryTimeout

    with pytest.raises(QueryTimeout, match="took longer than"):
        WhooshBackend(replace(synthetic, query_time_limit=1e-9)).search(SearchRequest(q="wild~2"))


@pytest.mark.parametrize("q", ["oil~3", "wild~9", "title:wild~5"])
def test_fuzzy_distances_above_two_are_refused(synthetic_service, q):
    with pytest.raises(QuerySyntaxError, match="at most 2") as caught:
        synthetic_service.search(SearchRequest(q=q))
    assert caught.value.param == "q" and q.split(":")[-1].split("~")[0] in caught.value.message


def test_a_prefix_longer_than_the_word_and_distance_zero_work(synthetic_service):
    assert synthetic_service.search(SearchRequest(q="wi~2/5")).total >= 0
    assert synthetic_service.search(SearchRequest(q="wild~0")).total == synthetic_service.search(SearchRequest(q="wild")).total
    schema = synthetic_service.searchers.current().searcher.schema
    assert render(ql.Compiler(schema).parse("wild~2/3")[0]) == "wild~2/3"


# ----- hyphenated words


def _total(service: WhooshBackend, q: str) -> int:
    return service.search(SearchRequest(q=q)).total


def _ids(service: WhooshBackend, q: str) -> set[str]:
    return {h.id for h in service.search(SearchRequest(q=q, per_page=100, facets=())).hits}


def test_a_hyphenated_word_is_the_phrase_of_its_parts(synthetic_service):
    phrase = _ids(synthetic_service, '"coca cola"')
    assert phrase == {"coke1", "coke2"}
    for q in ["Coca-Cola", "coca-cola", "Coca\u2010Cola", "Coca\u2013Cola", "title:Coca-Cola OR body:Coca-Cola"]:
        assert _ids(synthetic_service, q) == phrase, q
    assert _ids(synthetic_service, "Austria-Hungary") == _ids(synthetic_service, '"austria hungary"') == {"empire1"}
    assert synthetic_service.search(SearchRequest(q="Coca-Cola")).parsed == '"coca cola"'
    assert synthetic_service.search(SearchRequest(q="Coca-Cola prices")).parsed == '"coca cola" AND price'


def test_a_leading_minus_still_negates(synthetic_service):
    assert _ids(synthetic_service, "coca -cola") == set()
    assert _ids(synthetic_service, "cola -coca") == {"coke4"}
    assert _ids(synthetic_service, "cola -Coca-Cola") == {"coke3", "coke4"}
    assert synthetic_service.search(SearchRequest(q="cola -coca")).parsed == "cola AND NOT coca"
    # A query of negated terms alone means every article without them.
    everything = _total(synthetic_service, "")
    assert _total(synthetic_service, "-cola") == everything - _total(synthetic_service, "cola")


def test_hyphens_in_dates_ranges_and_fuzzy_syntax_are_left_alone(synthetic_service):
    assert synthetic_service.search(SearchRequest(q="date:2024-06")).total >= 0
    assert synthetic_service.search(SearchRequest(q="wild~2/3")).parsed == "wild~2/3"
    assert synthetic_service.search(SearchRequest(q="Coca-Cola*")).parsed == "coca AND cola*"


def test_coca_cola_is_the_phrase_on_reuters(reuters_index):
    settings_, _ = reuters_index
    service = WhooshBackend(settings_)
    phrase = _total(service, '"coca cola"')
    assert phrase > 2 and _total(service, "Coca-Cola") == phrase
    assert _total(service, "Austria-Hungary") == _total(service, '"austria hungary"')


def test_help_explains_hyphens_and_limits(mini_client):
    text = mini_client.get("/help").get_data(as_text=True)
    assert "Coca-Cola" in text and "~2/3" in text
    assert f"{ql.MAX_EXPANSIONS:,}" in text and f"{ql.MAX_TOTAL_EXPANSIONS:,}" in text


# ----- messages in the query language's terms

PYTHON_TEXT = re.compile(r"invalid literal|index out of range|Error\b|Traceback|NotImplemented|\bPlus\b|\bMinus\b|"
                         r"NoneType|object has no|must be in 1\.\.12|year 0 is out of range|out of range for|"
                         r"unexpected keyword|argument|is not a parseable date|<class", re.IGNORECASE)
PIECES = ["AND", "OR", "NOT", "-", "+", "(", ")", '"', "*", "?", "~", "~2", "~9", "~2/3", "/", ":", "[", "]", "{", "}",
          "TO", "date:", "date:[", "date:>", "title:", "author:", "bio:", "^", "^2", "^x", "\\", "2024-13", "0000", "9999-12-31",
          "1987", "oil", "a", "Coca-Cola", "-x-", "'", "&&", "<=", "=", "!"]
odd_queries = st.one_of(
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map(" ".join),
    st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join),
    st.text(alphabet=st.sampled_from(list("()[]{}\"'~^*?:+-/ ab1TO")), min_size=1, max_size=30),
)


@pytest.mark.parametrize("q", ["NOT NOT oil", "NOT OR -", "a (+)", "(-x -)", "date:oil", "date:2024-13", "date:[0000 TO 9999]",
                               "date:2023-02-30", "date:>9999-12-31", "x~2/3", "oil~3", "date:x*", "-"])
def test_known_odd_queries_get_messages_in_the_query_language(mini_service, q):
    try:
        mini_service.search(SearchRequest(q=q))
    except QuerySyntaxError as exc:
        assert exc.param == "q" and not PYTHON_TEXT.search(exc.message), exc.message


@pytest.mark.fuzz
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(q=odd_queries)
def test_no_parse_message_shows_python_internals(mini_client, q):
    response = mini_client.get("/api/search?" + urlencode({"q": q}))
    assert response.status_code in (200, 400, 503), (q, response.status_code)
    if response.status_code == 400:
        message = response.get_json()["error"]["message"]
        assert not PYTHON_TEXT.search(message), (q, message)


@pytest.mark.parametrize("path", ["/api/search", "/search", "/api/concordance", "/api/keywords", "/api/export"])
@pytest.mark.parametrize("q", ["(" * 198 + "oil" + ")" * 198, "(" * 399, "NOT " * 99 + "oil"])
def test_deeply_nested_queries_are_a_clear_400_on_every_page(synthetic, path, q):
    # Past 32 levels of parentheses or NOT the parser refuses the query; it used to recurse until
    # Python's limit and answer 500.
    with create_app(synthetic).test_client() as c:
        resp = c.get(path, query_string={"q": q})
    assert resp.status_code == 400, (path, resp.status_code)
    text = resp.get_data(as_text=True)
    assert "nests more than 32 levels" in text
