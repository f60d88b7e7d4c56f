"""The query language's own parser (search.parser) and its compilation for Whoosh.

Two kinds of check: the tree the parser builds for each construct of the language (precedence,
signs, fields, groups, leniency, errors), and an oracle. For queries in the part of the language
where the old parser's meaning is the intended one, the documents found and their scores must
equal those of Whoosh's own MultifieldParser, configured as corpus configured it before it had a
parser of its own; hypothesis writes the queries from the words of a generated corpus.
"""

from __future__ import annotations

import copy
import json
import random
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from whoosh import qparser

from corpus.engines.whoosh import WhooshBackend
from corpus.engines.whoosh.analysis import TextAnalyzer
from corpus.engines.whoosh.expand import Lexicon, expand
from corpus.engines.whoosh.query import DEFAULT_FIELDS, compile_tree
from corpus.engines.whoosh.schema import ARTICLE, AUTHOR, QUERY_FIELDS
from corpus.errors import QuerySyntaxError
from corpus.ingest import ingest
from corpus.search import syntax as s
from corpus.search.parser import parse
from corpus.search.types import SearchRequest
from support import write_corpus

T = s.Term


def test_words_side_by_side_are_anded_and_or_binds_tighter() -> None:
    assert parse("wheat corn") == s.And((T(None, "wheat"), T(None, "corn")))
    assert parse("wheat corn OR maize") == s.And((T(None, "wheat"), s.Or((T(None, "corn"), T(None, "maize")))))
    assert parse("a OR b AND c") == s.Or((T(None, "a"), s.And((T(None, "b"), T(None, "c")))))
    assert parse("(a OR b) c") == s.And((s.Or((T(None, "a"), T(None, "b"))), T(None, "c")))
    assert parse("a OR b OR c") == s.Or((T(None, "a"), T(None, "b"), T(None, "c")))


def test_not_minus_and_plus() -> None:
    assert parse("oil NOT opec") == s.And((T(None, "oil"), s.Not(T(None, "opec"))))
    assert parse("oil -opec") == parse("oil NOT opec")
    assert parse("-oil") == s.Not(T(None, "oil"))
    assert parse("NOT NOT oil") == T(None, "oil")
    assert parse("+oil gas") == parse("oil gas")
    assert parse("(oil -opec) gas") == s.And((T(None, "oil"), s.Not(T(None, "opec")), T(None, "gas")))
    assert parse("a-b") == T(None, "a-b")  # a - inside a word joins (see analysis), it never negates
    assert parse("-(oil OR gas)") == s.Not(s.Or((T(None, "oil"), T(None, "gas"))))


def test_lowercase_operators_are_words() -> None:
    assert parse("war and peace") == s.And((T(None, "war"), T(None, "and"), T(None, "peace")))


def test_fields_apply_to_words_groups_phrases_and_ranges() -> None:
    assert parse("title:oil") == T("title", "oil")
    assert parse("Author:goble") == T("author", "goble")
    assert parse("title:(oil gas)") == s.And((T("title", "oil"), T("title", "gas")))
    assert parse("title:(oil body:gas)") == s.And((T("title", "oil"), T("body", "gas")))
    assert parse('region:"united states"') == s.Phrase("region", ("united", "states"))
    assert parse("title:[a TO c]") == s.Range("title", "a", "c")
    assert parse("foo:bar") == T(None, "foo:bar")  # not a field: a word (the analyzer splits it)


def test_phrases_slop_boosts_and_curly_quotes() -> None:
    assert parse('"oil prices"~5') == s.Phrase(None, ("oil", "prices"), 5)
    assert parse("\u201coil prices\u201d") == s.Phrase(None, ("oil", "prices"))
    assert parse('"oil prices') == s.Phrase(None, ("oil", "prices"))  # an odd quote is closed
    assert parse("oil^2") == T(None, "oil", 2.0)
    assert parse('"oil prices"^3') == s.Phrase(None, ("oil", "prices"), 1, 3.0)
    assert parse("(oil gas)^2") == s.And((T(None, "oil"), T(None, "gas")), 2.0)


def test_wildcards_fuzzy_terms_and_ranges() -> None:
    assert parse("export*") == s.Prefix(None, "export")
    assert parse("w?eat") == s.Wildcard(None, "w?eat")
    assert parse("*port") == s.Wildcard(None, "*port")
    assert parse("*") == s.Every()
    assert parse("goverment~") == s.Fuzzy(None, "goverment", 1, 0)
    assert parse("wild~2/3") == s.Fuzzy(None, "wild", 2, 3)
    assert parse("[wheat TO wheel]") == s.Range(None, "wheat", "wheel")
    assert parse("{a TO b]") == s.Range(None, "a", "b", True, False)
    assert parse("[TO b]") == s.Range(None, None, "b")
    assert parse("[a TO *]") == s.Range(None, "a", None)
    assert parse("co-op*") == s.And((T(None, "co"), s.Prefix(None, "op")))
    assert parse("Coca-Cola~") == s.And((T(None, "Coca"), s.Fuzzy(None, "Cola")))


def test_date_clauses() -> None:
    assert parse("date:1987") == s.DateRange(date(1987, 1, 1), date(1987, 12, 31))
    assert parse("date:1987-02") == s.DateRange(date(1987, 2, 1), date(1987, 2, 28))
    assert parse("date:[1987-03 TO 1987-06]") == s.DateRange(date(1987, 3, 1), date(1987, 6, 30))
    assert parse("date:[1987-03 TO]") == s.DateRange(date(1987, 3, 1), None)
    assert parse("date:>1987-03") == s.DateRange(date(1987, 4, 1), None)
    assert parse("date:>=1987-03") == s.DateRange(date(1987, 3, 1), None)
    assert parse("date:<1987-03") == s.DateRange(None, date(1987, 2, 28))
    assert parse("date:<=1987-03-04") == s.DateRange(None, date(1987, 3, 4))
    assert parse("oil -date:1987") == s.And((T(None, "oil"), s.Not(s.DateRange(date(1987, 1, 1), date(1987, 12, 31)))))


@pytest.mark.parametrize("text", ["date:abc", "date:(1987)", 'date:"1987"', "date:1987-13", "date:[x TO y]"])
def test_bad_date_clauses_say_what_date_takes(text: str) -> None:
    with pytest.raises(QuerySyntaxError) as caught:
        parse(text)
    assert "date" in caught.value.message and caught.value.param == "q"


@pytest.mark.parametrize("text", ["oil AND", "OR oil", "oil OR", "(oil", "oil)", "oil NOT", "AND", "((oil))", "oil ( )"])
def test_dangling_operators_and_parentheses_are_forgiven(text: str) -> None:
    assert parse(text) == T(None, "oil") if text != "AND" else parse(text) is None


def test_fuzzy_limits_are_refused_with_the_term_named() -> None:
    with pytest.raises(QuerySyntaxError, match="'wheat~3' allows 3 edits"):
        parse("wheat~3")
    with pytest.raises(QuerySyntaxError, match="at most 100 letters"):
        parse("a" * 101 + "~")
    with pytest.raises(QuerySyntaxError, match="both a wildcard and a fuzzy"):
        parse("whe*t~")


def test_render_reads_back_as_the_same_tree() -> None:
    for text in ["wheat OR corn", "a OR (b AND c)", "oil AND NOT opec", '"oil prices"~5', "author:goble",
                 "wild~2/3", "export*", "w?eat", "[wheat TO wheel]", "{a TO b]", "oil^2 AND gas",
                 "date:[1987-01-01 TO 1987-12-31]", "NOT oil", "(oil AND gas)^2"]:
        tree = parse(text)
        assert parse(s.render(tree)) == tree, text


@given(st.lists(st.sampled_from([*'ab1 -+"()[]{}*?~^:/\u2013', " AND ", " OR ", "NOT ", " TO ", "title:", "date:", "1987"]),
                max_size=25).map("".join))
@settings(max_examples=400, deadline=None)
def test_any_text_parses_or_is_refused_with_a_message(text: str) -> None:
    try:
        parse(text)
    except QuerySyntaxError as exc:
        assert exc.message and exc.param == "q"


# ----- the oracle: Whoosh's own parser, as corpus used it before it had its own

VOCABULARY = ["oil", "wheat", "grain", "export", "exports", "exporter", "price", "prices", "bank", "rate", "rates",
              "crude", "market", "tariff", "yen", "dollar", "coffee", "cocoa", "sugar", "gold", "ship", "shipping",
              "strike", "union", "harvest", "drought", "loan", "bond", "treasury", "opec", "quota", "refinery"]
NAMES = ["Anna Reed", "Kenji Sato", "Maria Novak", "Paul Goble", "Lina Park"]
SOURCES = ["Reuters", "Wire Daily", "Harbour News"]
REGIONS = ["Japan", "Brazil", "Saudi Arabia", "United States"]


@pytest.fixture(scope="module")
def backend(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """300 articles of words drawn from a small vocabulary, so that words and phrases co-occur."""
    rng = random.Random(7)
    files: dict[str, str] = {}
    for n in range(300):
        body = " ".join(rng.choice(VOCABULARY) for _ in range(rng.randint(8, 40)))
        title = " ".join(rng.choice(VOCABULARY) for _ in range(3)).title()
        files[f"doc{n:03d}.json"] = json.dumps({
            "id": f"d{n:03d}", "title": title, "body": body + ".", "author": rng.choice(NAMES), "source": rng.choice(SOURCES),
            "region": rng.choice(REGIONS), "date": f"1987-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "language": "en"})
    data, settings_ = write_corpus(tmp_path_factory.mktemp("parser"), files)
    assert ingest([data], settings_, progress=False).exit_code == 0
    return WhooshBackend(replace(settings_, result_cache=0))


def _whoosh_parser(schema: Any, fields: tuple[str, ...] = DEFAULT_FIELDS) -> qparser.QueryParser:
    # The index's own analysis of English text, without the exact forms (Whoosh's parser would make
    # them part of every phrase): what each word of an English article is indexed as.
    schema = copy.deepcopy(schema)
    for name in ("title", "body", "bio"):
        schema[name].analyzer = TextAnalyzer(exact_too=False, language="en")
        schema[name].format.analyzer = schema[name].analyzer
    parser = qparser.MultifieldParser([QUERY_FIELDS.get(f, f) for f in fields], schema, group=qparser.AndGroup)
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.PlusMinusPlugin())
    aliases: dict[str, list[str]] = {}
    for typed, real in QUERY_FIELDS.items():
        if typed != real:
            aliases.setdefault(real, []).append(typed)
    parser.add_plugin(qparser.FieldAliasPlugin(aliases))
    return parser


def _atom(draw: Any) -> str:
    word = draw(st.sampled_from(VOCABULARY))
    form = draw(st.integers(0, 9))
    if form == 0:
        return f'"{word} {draw(st.sampled_from(VOCABULARY))}"'
    if form == 1:
        return word[: draw(st.integers(2, len(word)))] + "*"
    if form == 2:
        return word + "~"
    if form == 3:
        return f"{draw(st.sampled_from(['title', 'body']))}:{word}"
    if form == 4:
        return f"author:{draw(st.sampled_from(NAMES)).split()[draw(st.integers(0, 1))].lower()}"
    if form == 5:
        return f"[{word} TO {draw(st.sampled_from(VOCABULARY))}]"
    if form == 6:
        return word[0] + "?" + word[2:] if len(word) > 2 else word
    return word


@st.composite
def queries(draw: Any, depth: int = 0) -> str:
    parts = [_atom(draw) if depth > 1 or draw(st.booleans()) else f"({draw(queries(depth + 1))})"
             for _ in range(draw(st.integers(1, 3)))]
    text = parts[0]
    for part in parts[1:]:
        text += draw(st.sampled_from([" ", " AND ", " OR "])) + part
    return text


# Author documents are also searched with no language (their names and bios are indexed without
# one), which Whoosh's parser cannot express, so the oracle covers the article fields.
@given(queries(), st.booleans(), st.just(DEFAULT_FIELDS))
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_same_documents_and_scores_as_whoosh_parser(backend: Any, text: str, negate: bool, fields: tuple[str, ...]) -> None:
    gen = backend.searchers.current()
    planner = backend.planner
    if negate:
        text = f"({text}) AND NOT {VOCABULARY[len(text) % len(VOCABULARY)]}"
    theirs = _whoosh_parser(gen.searcher.schema, fields).parse(text)
    tree, ours = planner.compile(text, gen, fields)
    assert ours is not None
    engine = gen.engine(ARTICLE if fields == DEFAULT_FIELDS else AUTHOR)
    ours_found = engine.evaluate(planner.query(text, gen, _no_deadline(), fields)[1], scored=True)
    theirs_found = engine.evaluate(expand(theirs, gen.searcher.reader(), Lexicon(), lambda: None), scored=True)
    assert ours_found.docs.tolist() == theirs_found.docs.tolist(), (text, s.render(tree), repr(theirs))
    # Whoosh's NOT added 1.0 to the score of every match, ours adds nothing; Whoosh merges
    # overlapping ranges in an OR into one ([a TO m] OR [k TO z] scores a word in both once),
    # ours scores each range. Where neither happens, scores are equal.
    if not negate and text.count(" TO ") < 2:
        assert ours_found.scores.tolist() == pytest.approx(theirs_found.scores.tolist(), rel=1e-9), text
    assert compile_tree(tree, fields) == ours


def _no_deadline() -> Any:
    from corpus.search.deadline import Deadline

    return Deadline(60.0)


def test_the_oracle_corpus_answers_through_the_backend(backend: Any) -> None:
    result = backend.search(SearchRequest(q="oil OR wheat"))
    assert result.total > 100 and result.parsed == "oil OR wheat"


def test_the_echo_names_every_field_typed(backend: Any) -> None:
    assert backend.search(SearchRequest(q="title:oil")).parsed == "title:oil"
    assert backend.search(SearchRequest(q="title:oil OR oil")).parsed == "title:oil OR oil"
    assert backend.search(SearchRequest(q="prices oil OR gas")).parsed == "price AND (oil OR ga)"


@pytest.mark.parametrize("q", ["(" * 33 + "oil" + ")" * 33, "(" * 300, "NOT " * 33 + "oil", "+(" * 20 + "oil",
                               "(NOT " * 17 + "oil"])
def test_nesting_deeper_than_the_limit_is_a_clear_syntax_error(q: str) -> None:
    with pytest.raises(QuerySyntaxError, match="nests more than 32 levels"):
        parse(q)


def test_nesting_up_to_the_limit_parses() -> None:
    assert parse("(" * 32 + "oil" + ")" * 32) == parse("oil")
    assert parse("NOT " * 32 + "oil") == parse("oil")  # an even number of NOTs cancels out
