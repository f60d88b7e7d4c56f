"""Snippets with the matched words marked: sentence-sized, HTML-escaped, whole words as written."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache
from heapq import nlargest
from html import escape
from itertools import compress
from typing import Any

from ... import analysis
from ...analysis import UNDETERMINED
from .analysis import EXACT

OPENING_CHARS = 240
FRAGMENT_CHARS = 300  # the most word characters a sentence may hold and still be shown as a snippet
BETWEEN = " … "

# Whoosh's highlighter re-ran the whole analyzer chain and built a Token object per word of every hit,
# which made snippets the largest fixed cost of a search. This module does the same work with a few
# regex passes and str.find around the matches: the tokeniser and each language's terms
# (corpus.analysis), SentenceFragmenter's sentences and BasicFragmentScorer's scores.
# tests/test_highlight.py pins the output for English to Whoosh's own highlighter. Text that is not
# ASCII takes the analyser's own tokens instead (a run of Chinese characters is matched pair by
# pair, a word with combining marks stays whole), and its sentences also end at 。！？.
#
# RegexTokenizer's default pattern is \w+(\.?\w+)*. As \w+ always takes a whole run, \.? can only
# ever take a full stop, so this possessive form matches the same words, only faster.
_WORDS = r"\w++(?:\.\w++)*+"
# A sentence ends at . ! or ? straight after a word, unless another of them follows ("...", "?!");
# a full stop followed by a word character is inside a word ("U.S", "3.5"), so it ends nothing.
_ENDS = r"(?:[!?]|\.(?!\w))(?<=\w.)(?![.!?])"
_WIDE_ENDS = r"(?:(?:[!?]|\.(?!\w))(?<=\w.)(?![.!?])|[。！？](?![。！？]))"
# For ASCII text, which is most text, \w means the same with re.ASCII and the scan is much quicker.
_UNICODE = (re.compile(_WORDS), re.compile(_WIDE_ENDS))
_ASCII = (re.compile(_WORDS, re.ASCII), re.compile(_ENDS, re.ASCII))
_WORD_CHAR = re.compile(r"\w")


@lru_cache(maxsize=256)
def _term_of(language: str) -> Callable[[str], str]:
    """A language's word -> term function behind a C-level cache: snippets look up every distinct word of each hit."""
    return lru_cache(maxsize=50_000)(analysis.analyzer(language).term)


def _indexed_form(word: str, language: str = UNDETERMINED) -> str:
    """The term the index holds for a word as written, in a language."""
    return _term_of(language)(word)


def _is_match(word: str, term: str, terms: frozenset[str], exact_wanted: bool) -> bool:
    """Whether a word as written, whose term is `term`, is one the terms stand for: by its term, or
    by its exact form (=word), which is only worked out when the query asked for one."""
    return term in terms or (exact_wanted and (EXACT + analysis.exact(word)) in terms)


def _wants_exact(terms: frozenset[str]) -> bool:
    return any(t.startswith(EXACT) for t in terms)


def _matched_words(text: str, terms: frozenset[str], language: str = UNDETERMINED) -> frozenset[str]:
    """The distinct words of the text, as written, whose term (or exact form) is one of the terms."""
    words, _ = _ASCII if text.isascii() else _UNICODE
    distinct = set(words.findall(text))
    found = set(compress(distinct, map(terms.__contains__, map(_term_of(language), distinct))))
    if _wants_exact(terms):
        found.update(w for w in distinct if EXACT + analysis.exact(w) in terms)
    return frozenset(found)


def _match_spans(text: str, terms: frozenset[str], language: str) -> list[tuple[int, int]]:
    """Where the text holds a match, in text order, overlapping pairs of a CJK run joined into one span."""
    if text.isascii():
        return _whole_word_spans(text, _matched_words(text, terms, language))
    spans: list[tuple[int, int]] = []
    exact_wanted = _wants_exact(terms)
    for token in analysis.analyze(text, language):
        if _is_match(token.text, token.term, terms, exact_wanted):
            if spans and token.start < spans[-1][1]:
                spans[-1] = (spans[-1][0], max(spans[-1][1], token.end))
            else:
                spans.append((token.start, token.end))
    return spans


def _word_char(c: str) -> bool:
    """Whether c is a character \\w matches; False for "", which slicing gives past either end of the text."""
    # The same set as re's \w, and far quicker than a regex per character; a test checks every code point.
    return c.isalnum() or c == "_"


def _whole_word_spans(text: str, words: Iterable[str]) -> list[tuple[int, int]]:
    """Where these words stand in the text as whole words of the tokeniser, in text order.

    A word is whole when neither a word character nor a full stop joining it to another word
    ("x.rate", "rate.x") touches it: exactly where the tokeniser starts and ends its words.
    """
    spans = []
    for word in words:
        i = text.find(word)
        while i >= 0:
            e = i + len(word)
            before, after = text[i - 1 : i], text[e : e + 1]  # i - 1 < 0 slices to ""
            if (_word_char(before) or _word_char(after) or (before == "." and _word_char(text[i - 2 : i - 1]))
                    or (after == "." and _word_char(text[e + 1 : e + 2]))):
                i = text.find(word, i + 1)
            else:
                spans.append((i, e))
                i = text.find(word, e)
    spans.sort()
    return spans


def _marked(text: str, spans: list[tuple[int, int]], start: int, end: int, flatten: bool = False) -> str:
    """text[start:end] escaped, each span wrapped in <mark>, trimmed; whitespace runs made one space if asked."""
    out = []
    index = start
    for s, e in spans:
        out.append(escape(text[index:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        index = e
    out.append(escape(text[index:end]))
    marked = "".join(out)
    # Neither the marks nor escaping add whitespace, so flattening here is flattening the text.
    return " ".join(marked.split()) if flatten else marked.strip()


class _Sentence:
    """A sentence holding matches: where its first word starts, where its last word ends, its matches."""

    __slots__ = ("end", "first", "spans", "start")

    def __init__(self, start: int, end: int, spans: list[tuple[int, int]]) -> None:
        self.start, self.end, self.spans = start, end, spans
        self.first = start


def _sentence_start(text: str, ends: re.Pattern[str], lo: int, hi: int) -> int:
    """Where the sentence holding position hi starts: just after the last sentence end in [lo, hi), or lo."""
    while True:
        p = max(text.rfind(".", lo, hi), text.rfind("!", lo, hi), text.rfind("?", lo, hi))
        if not text.isascii():
            p = max(p, text.rfind("。", lo, hi), text.rfind("！", lo, hi), text.rfind("？", lo, hi))
        if p < 0:
            return lo
        if ends.match(text, p):
            return p + 1
        hi = p


def _matched_sentences(text: str, matched: list[tuple[int, int]]) -> list[_Sentence]:
    """The sentences holding a match, found by looking around each match rather than splitting the text."""
    _, ends = _ASCII if text.isascii() else _UNICODE
    sentences: list[_Sentence] = []
    for span in matched:
        if sentences and span[0] < sentences[-1].end:
            sentences[-1].spans.append(span)
            continue
        lo = sentences[-1].end + 1 if sentences else 0
        after = ends.search(text, span[1])
        # The last sentence has no end mark; it ends with the last word of the text.
        sentences.append(_Sentence(_sentence_start(text, ends, lo, span[0]), after.start() if after else len(text) + 1, [span]))
    return sentences


def _fragments(text: str, matched: list[tuple[int, int]]) -> list[_Sentence]:
    """The sentences SentenceFragmenter would offer, each trimmed to run from its first word to its last.

    One whose words add up to more than FRAGMENT_CHARS characters is skipped, except the last of the
    text, which Whoosh keeps whatever its length.
    """
    words, _ = _ASCII if text.isascii() else _UNICODE
    kept = []
    for sentence in _matched_sentences(text, matched):
        if sentence.end > len(text):
            end = len(text)
            # A combining mark belongs to the letter before it: never cut a character in half.
            while not (_word_char(text[end - 1]) or unicodedata.category(text[end - 1]).startswith("M")):
                end -= 1
            sentence.end = end
        elif sentence.end - sentence.start > FRAGMENT_CHARS and sum(map(len, words.findall(text, sentence.start, sentence.end))) > FRAGMENT_CHARS:
            continue
        sentence.first = _WORD_CHAR.search(text, sentence.start).start()  # type: ignore[union-attr]  # a match follows
        kept.append(sentence)
    return kept


def _score(sentence: _Sentence, text: str, language: str) -> tuple[int, int]:
    """BasicFragmentScorer's score (matches times 100 per distinct indexed word), the earlier sentence winning ties."""
    # The Whoosh-based version broke ties by subtracting start * 1e-9 from the score: the same order,
    # since scores are whole hundreds and no text is long enough for that term to reach one.
    distinct = {_indexed_form(text[s:e], language) for s, e in sentence.spans}
    return len(sentence.spans) * len(distinct) * 100, -sentence.first


def query_terms(q: Any, searcher: Any, fields: tuple[str, ...] = ("title", "body")) -> frozenset[str]:
    """The indexed words (stems, with wildcards expanded) the query looks for in these fields.

    Whoosh's own Query.existing_terms reuses its `fieldname` argument as a loop variable, so it
    drops terms of every field after the first; this walks the leaves itself.
    """
    reader = searcher.reader()
    terms: set[str] = set()
    for leaf in q.leaves():
        if leaf.field() not in fields:
            continue
        try:
            expanded = list(leaf.expanded_terms(reader, phrases=True))
        except Exception:  # expansion can fail on odd queries; then nothing is marked for them
            continue
        for fieldname, text in expanded:
            word = text.decode("utf-8") if isinstance(text, bytes) else text
            if fieldname in fields:
                terms.add(word)
    return frozenset(terms)


def opening(text: str, chars: int = OPENING_CHARS) -> str:
    """The start of an article, escaped, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= chars:
        return escape(text)
    cut = text.rfind(" ", 0, chars)
    return escape(text[: cut if cut > chars // 2 else chars]) + " …"


def snippet(text: str, terms: frozenset[str] | None, field: str = "body", top: int = 2,
            language: str = UNDETERMINED) -> str:
    """Up to `top` sentence-sized fragments with matches marked; the opening when nothing matches."""
    if not text:
        return ""
    matched = _match_spans(text, terms, language) if terms else []
    if not matched:
        return opening(text)
    best = nlargest(top, _fragments(text, matched), key=lambda f: _score(f, text, language))
    if not best:  # every sentence with a match was too long
        return opening(text)
    best.sort(key=lambda f: f.first)
    # Whoosh's snippet was cut from the text with whitespace runs made one space. No word holds
    # whitespace, so cutting first and flattening each fragment gives the same words and sentences.
    joined = BETWEEN.join(_marked(text, f.spans, f.first, f.end, flatten=True) for f in best)
    prefix = "… " if text[: best[0].first].strip() else ""
    suffix = " …" if text[best[-1].end :].strip() else ""
    return prefix + joined + suffix


def mark_all(text: str, terms: frozenset[str], language: str = UNDETERMINED) -> str:
    """A whole paragraph, escaped, with every match marked."""
    spans = _match_spans(text, terms, language) if terms else []
    if not spans:
        return escape(text)
    # The whole paragraph is one fragment, so no ellipsis is added, and the paragraph's own
    # leading "… " or trailing " …" stays (an earlier version stripped them).
    return _marked(text, spans, 0, len(text))
