"""Snippets and marked paragraphs: escaped, whole words as written, and identical to Whoosh's highlighter.

highlight.py builds snippets without Whoosh's highlighter because that was the largest fixed cost of a
search. The Whoosh-based version it replaced is kept below as the reference, and every real text the
tests can reach (the sample article, the mini fixtures, a few hundred Reuters bodies when
../shared/corpora is present) must come out character for character the same.
"""

from __future__ import annotations

import json
import re
from html import escape
from itertools import islice
from pathlib import Path
from typing import Any

import pytest
from whoosh import highlight as wh

from corpus.engines.whoosh import highlight as _highlight
from corpus.engines.whoosh.analysis import TextAnalyzer
from support import FIXTURES, REUTERS_DIR, SAMPLE

# ----- the reference: the Whoosh-based implementation as it was (commit 71cb4bb), unchanged

# The index's own analysis of English text (every token, stop words included), driving Whoosh's highlighter.
_ANALYZER = TextAnalyzer(exact_too=False, language="en")


class highlight:
    snippet = staticmethod(lambda text, terms, top=2: _highlight.snippet(text, terms, top=top, language="en"))
    mark_all = staticmethod(lambda text, terms: _highlight.mark_all(text, terms, "en"))
    opening = staticmethod(_highlight.opening)


class _OracleFormatter(wh.Formatter):
    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{escape(wh.get_text(text, token, replace))}</mark>"

    def format_fragment(self, fragment: Any, replace: bool = False) -> str:
        out = []
        index = fragment.startchar
        text = fragment.text
        for t in fragment.matches:
            if t.startchar is None:
                continue
            if t.startchar < index:
                continue
            if t.startchar > index:
                out.append(escape(text[index:t.startchar]))
            out.append(self.format_token(text, t, replace))
            index = t.endchar
        out.append(escape(text[index:fragment.endchar]))
        return "".join(out).strip()

    def format(self, fragments: list[Any], replace: bool = False) -> str:
        if not fragments:
            return ""
        joined = self.between.join(self.format_fragment(f, replace) for f in fragments)
        prefix = "… " if fragments[0].startchar > 0 else ""
        suffix = " …" if fragments[-1].endchar < len(fragments[-1].text.rstrip()) else ""
        return prefix + joined + suffix


class _OracleScorer(wh.BasicFragmentScorer):
    def __call__(self, fragment: Any) -> float:
        return float(super().__call__(fragment)) - fragment.startchar * 1e-9


def oracle_snippet(text: str, terms: frozenset[str] | None, top: int = 2) -> str:
    if not text:
        return ""
    if terms:
        flat = " ".join(text.split())
        fragmenter = wh.SentenceFragmenter(maxchars=300, charlimit=None)
        result = wh.highlight(flat, terms, _ANALYZER, fragmenter, _OracleFormatter(), top=top, scorer=_OracleScorer())
        if result:
            return result
    return highlight.opening(text)


def oracle_mark_all(text: str, terms: frozenset[str]) -> str:
    if not terms:
        return escape(text)
    result = wh.highlight(text, terms, _ANALYZER, wh.WholeFragmenter(charlimit=None), _OracleFormatter(), top=1)
    if not result:
        return escape(text)
    return result


# ----- texts and queries


def stems(words: str, *extra: str) -> frozenset[str]:
    """The indexed forms of these words, as query_terms would hand them over, plus raw extras."""
    return frozenset(t.text for t in _ANALYZER(words)) | frozenset(extra)


QUERIES = [
    stems("rates"),  # "rate", so "rate", "rates" and "rated" are all marked
    stems("oil prices"),
    stems("mln dlrs pct"),  # in nearly every Reuters sentence: many matches, long sentences
    stems("said company shares"),
    stems("U.S."),  # a token with dots inside
    stems("tariff markup running"),
    frozenset({"the", "a", "i"}),  # stop words and one-letter words: indexed like every word
    frozenset({"nosuchwordanywhere"}),
]


def derived_queries(text: str) -> list[frozenset[str]]:
    """Words taken from the text itself, so that matches land at its start, middle and end."""
    indexed = [t.text for t in _ANALYZER(text)]
    if not indexed:
        return []
    first, middle, last = indexed[0], indexed[len(indexed) // 2], indexed[-1]
    return [frozenset({first}), frozenset({middle}), frozenset({last}), frozenset({first, middle, last})]


def check_same(text: str, queries: list[frozenset[str]], tops: tuple[int, ...] = (1, 2, 3)) -> None:
    """snippet (at these sizes) and mark_all agree with the reference for every query."""
    for terms in [*queries, *derived_queries(text)]:
        for top in tops:
            assert highlight.snippet(text, terms, top=top) == oracle_snippet(text, terms, top=top), (terms, top, text[:80])
        assert highlight.mark_all(text, terms) == oracle_mark_all(text, terms), (terms, text[:80])


def paragraphs(text: str) -> list[str]:
    return [p for p in re.split(r"\n\s*\n", text) if p.strip()]


MINI_FILES = sorted((FIXTURES / "mini").rglob("*.txt"))


@pytest.mark.parametrize("path", MINI_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_same_output_as_whoosh_on_the_mini_fixtures(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    check_same(text, QUERIES)
    for paragraph in paragraphs(text):
        check_same(paragraph, QUERIES[:2])


def test_same_output_as_whoosh_on_the_sample_article() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    check_same(text, [*QUERIES, stems("government policy"), stems("people years")])
    for paragraph in paragraphs(text):
        check_same(paragraph, [stems("government people")])


# Corners of tokenising and sentence splitting that real texts rarely reach.
ODD_TEXTS = [
    "",
    "   ",
    "rates",
    "Rates.",
    ".rates",
    "...rates...",
    "U.S. rates rose 3.5 pct... Then they fell! Why? Rates: up. Mr. Smith said rates.",
    "a.b.c rate.rates rate_rates rate-rates rates.5 5.rates",
    "Rate!? Rate?! Rate.. Rate. . Rate!!",
    "rates.Next sentence rates.\nNext rates",
    "İstanbul RATES ß straße ﬁne ΣΊΣΥΦΟΣ rates",  # lower() changes the length of some of these
    "café cafe\u0301 rate\u0301s rates\u0301",  # a combining accent is not a word character
    "\u00a0rates\u2003rate\u3000rated\u2028rates\u0085end",  # Unicode spaces: str.split() flattens them
    "١٢٣ rates ²³ rates Ⅻ rates",  # digits and numerals that are word characters
    "rate " * 200 + "end. A second rates sentence.",  # an over-long sentence is skipped
    "A short rates sentence. " + "rate " * 200 + "end without a full stop",  # the last one is kept whatever its length
    "word rate " * 120,  # no sentence end at all
    "<script>alert('rate')</script> & \"rates\" 'quoted' <b>rates</b>",
    "… rates … and more rates …",  # starts and ends with an ellipsis, as a paragraph may
    "  leading and trailing spaces around rates  ",
    "The a I i. A rates! An I.",
    "12 1987 3.5 rates 1987.",
    "\n".join(f"Line {n} with rates in it." for n in range(40)),
    "One. Two. Three rates. Four. Five rates rates. Six rates. Seven rates rates rates. Eight.",
]


@pytest.mark.parametrize("text", ODD_TEXTS, ids=range(len(ODD_TEXTS)))
def test_same_output_as_whoosh_on_odd_texts(text: str) -> None:
    extra = [stems("İstanbul café straße ﬁne ΣΊΣΥΦΟΣ"), stems("1987 3.5 5 ١٢٣ ²³"), stems("line seven"), frozenset({"rate"})]
    check_same(text, [*QUERIES, *extra])


def reuters_bodies(count: int) -> list[str]:
    """Every 40th non-empty Reuters body, up to `count` of them: spread over the whole collection."""
    with (REUTERS_DIR / "reuters21578.jsonl").open(encoding="utf-8") as f:
        bodies = (json.loads(line)["body"] for line in f)
        return list(islice((b for i, b in enumerate(bodies) if b.strip() and i % 40 == 0), count))


@pytest.mark.corpora
@pytest.mark.skipif(not (REUTERS_DIR / "reuters21578.jsonl").is_file(),
                    reason=f"Reuters-21578 is not at {REUTERS_DIR} (a fresh clone has no ../shared/corpora)")
def test_same_output_as_whoosh_on_reuters_bodies() -> None:
    bodies = reuters_bodies(300)
    assert len(bodies) == 300
    for i, body in enumerate(bodies):
        check_same(body, QUERIES, tops=(1 + i % 3,))  # one snippet size per body keeps this a few seconds
        for paragraph in body.split("\n    "):  # Reuters indents each new paragraph
            check_same(paragraph, QUERIES[:1], tops=(2,))


@pytest.mark.corpora
@pytest.mark.skipif(not (REUTERS_DIR.parent / "new_europe" / "tne_articles.jsonl").is_file(),
                    reason=f"The New Europe corpus is not at {REUTERS_DIR.parent / 'new_europe'} (a fresh clone has no ../shared/corpora)")
def test_same_output_as_whoosh_on_long_non_ascii_articles() -> None:
    # Long articles with curly quotes and accented names: the Unicode path, and many sentences each.
    with (REUTERS_DIR.parent / "new_europe" / "tne_articles.jsonl").open(encoding="utf-8") as f:
        texts = [json.loads(line)["text"] for i, line in enumerate(f) if i % 50 == 0]
    texts = [t for t in texts if not t.isascii()][:30]
    assert len(texts) == 30
    for text in texts:
        check_same(text, [stems("war government"), stems("people said")], tops=(2,))


# ----- the properties the page relies on


def test_html_in_the_text_is_escaped_inside_and_outside_marks() -> None:
    text = "A body with <script>alert('x')</script> and a <b>rate</b> & rates."
    for out in (highlight.snippet(text, stems("rates")), highlight.mark_all(text, stems("rates script"))):
        assert "<script>" not in out and "<b>" not in out
        assert "&lt;script&gt;" in out or "&lt;<mark>script</mark>&gt;" in out
        assert "&amp;" in out and "&#x27;x&#x27;" in out
        assert re.sub(r"</?mark>", "", out).count("<") == 0


def test_marks_wrap_whole_words_as_written() -> None:
    terms = stems("running rates")
    out = highlight.snippet("RUNNING, Running and running rates; corporate Rates. Run.", terms)
    assert out == "<mark>RUNNING</mark>, <mark>Running</mark> and <mark>running</mark> <mark>rates</mark>; corporate <mark>Rates</mark> …"
    assert highlight.mark_all("Rated rate corporate", stems("rates")) == "<mark>Rated</mark> <mark>rate</mark> corporate"


def test_empty_text() -> None:
    assert highlight.snippet("", stems("rates")) == ""
    assert highlight.snippet("", None) == ""
    assert highlight.mark_all("", stems("rates")) == ""


def test_no_match_falls_back_to_the_opening() -> None:
    text = "Tariffs on grain <exports> rose. " * 20
    assert highlight.snippet(text, stems("oil")) == highlight.opening(text)
    assert highlight.snippet(text, frozenset()) == highlight.opening(text)
    assert highlight.snippet(text, None) == highlight.opening(text)
    assert highlight.opening(text).endswith(" …") and "&lt;exports&gt;" in highlight.opening(text)


def test_mark_all_keeps_a_paragraphs_own_ellipses() -> None:
    text = "… and rates rose again …"
    assert highlight.mark_all(text, stems("rates")) == "… and <mark>rates</mark> rose again …"


def test_mark_all_marks_every_occurrence() -> None:
    text = "Rates rose. The rate rose again, rates!\nRATES and rate_cut and rated."
    out = highlight.mark_all(text, stems("rates"))
    assert out.count("<mark>") == 5
    assert out == ("<mark>Rates</mark> rose. The <mark>rate</mark> rose again, <mark>rates</mark>!\n"
                   "<mark>RATES</mark> and rate_cut and <mark>rated</mark>.")
    assert highlight.mark_all(text, frozenset()) == escape(text)
    assert highlight.mark_all(text, stems("oil")) == escape(text)


def test_snippet_keeps_the_best_sentences_in_document_order() -> None:
    text = "Oil rose. Nothing here. Rates and oil fell. Rates rose. Oil and rates again. End."
    # Two sentences match both words; the earlier of equal scores wins, and order follows the text.
    assert highlight.snippet(text, stems("oil rates"), top=2) == "… <mark>Rates</mark> and <mark>oil</mark> fell … <mark>Oil</mark> and <mark>rates</mark> again …"
    assert highlight.snippet(text, stems("oil"), top=1) == "<mark>Oil</mark> rose …"


def test_word_characters_are_what_the_tokeniser_calls_word_characters() -> None:
    # highlight.py tests single characters with str.isalnum() instead of re's \w, for speed; both
    # must agree on every code point or a word could be marked where Whoosh would not mark it.
    word = re.compile(r"\w")
    differ = [hex(c) for c in range(0x110000) if (word.match(chr(c)) is not None) != _highlight._word_char(chr(c))]
    assert differ == []
    assert not _highlight._word_char("")
