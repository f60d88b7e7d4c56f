"""corpus.analysis as a Whoosh analyzer: the same tokens, terms and positions on the index and query side.

Whoosh gives an analyzer the field's value and nothing else, while each article has its own
language. So the codec hands the indexed text with its language in front (`marked`), stores the
text itself apart (Whoosh's `_stored_<field>`), and `TextAnalyzer` reads the language back off
the value. Every token is indexed, stop words included, each at its own position; where a word's
exact form (case folded, nothing else: `analysis.exact`) differs from its term, the exact form is
indexed too at the same position, as `=form`, for the `=word` syntax. Where it does not, the term
is the exact form: `=oil` is the term `oil` at the positions with no `=form` beside it (not "oils",
whose term is also `oil`), and exact.py finds it so. An exact form beside every token instead
made 2.8 times the tokens of the English-only index.

Query side: search.analyze calls `terms(...)` below through engines/whoosh/query.py, once per
language present in the index, and ORs the distinct results.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from whoosh import formats
from whoosh.analysis import Analyzer, Token

from ... import analysis
from ...analysis import UNDETERMINED

# The version of the analysis that indexes are built with. A build made with another one is not
# reused by an incremental ingest (the writer starts a fresh build), since its terms would not
# be what queries look for.
VERSION = 4
MARK = "\x1f"  # the language travels in front of an indexed text: "\x1fru\x1f" + text
EXACT = "="  # exact forms are indexed as "=form"; no term of the tokenizer starts with "="


def marked(text: str, language: str) -> str:
    """The value to index for a text in a language (see TextAnalyzer)."""
    return f"{MARK}{language}{MARK}{text}"


def unmarked(value: str) -> tuple[str, str]:
    """(language, text) of an indexed value; an unmarked value is in no known language."""
    if value.startswith(MARK):
        end = value.find(MARK, 1)
        if 0 < end <= 12:
            return value[1:end] or UNDETERMINED, value[end + 1:]
    return UNDETERMINED, value


class TextAnalyzer(Analyzer):
    """Every token of a text in its language, each with its term; exact forms beside them (`exact_too`)."""

    def __init__(self, exact_too: bool = True, language: str = UNDETERMINED) -> None:
        self.exact_too = exact_too
        self.language = language  # for a value that does not say its own (names, labels, tests)
        self.version = VERSION

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and vars(other) == vars(self)

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.exact_too, self.version, getattr(self, "language", UNDETERMINED)))

    def __call__(self, value: str, positions: bool = False, chars: bool = False, keeporiginal: bool = False,
                 removestops: bool = True, start_pos: int = 0, start_char: int = 0, tokenize: bool = True,
                 mode: str = "", **kwargs: Any) -> Iterator[Token]:
        """Whoosh's analyzer protocol: one reused Token, its text the term (or `=form`)."""
        language, text = unmarked(value)
        if not value.startswith(MARK):
            language = getattr(self, "language", UNDETERMINED)
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        token.stopped = False
        token.boost = 1.0
        if not tokenize:  # a whole value (Whoosh's own callers only; queries go through terms())
            token.original = token.text = analysis.analyzer(language).term(text) if text else ""
            token.pos, token.startchar, token.endchar = start_pos, start_char, start_char + len(text)
            yield token
            return
        exact_too = self.exact_too
        for tok in analysis.analyze(text, language):
            if positions:
                token.pos = start_pos + tok.position
            if chars:
                token.startchar, token.endchar = start_char + tok.start, start_char + tok.end
            if keeporiginal:
                token.original = tok.text
            token.text = tok.term
            yield token
            if exact_too:
                form = analysis.exact(tok.text)
                if form != tok.term:
                    token.text = EXACT + form
                    yield token


    def postings(self, value: str) -> dict[str, list[int]]:
        """Each term (and `=form`) of an indexed value -> its positions in order: what the index stores for it."""
        language, text = unmarked(value)
        if not value.startswith(MARK):
            language = getattr(self, "language", UNDETERMINED)
        out: dict[str, list[int]] = {}
        if not getattr(self, "exact_too", False):
            for tok in analysis.analyze(text, language):
                try:
                    out[tok.term].append(tok.position)
                except KeyError:
                    out[tok.term] = [tok.position]
            return out
        beside = _exact_beside(language)
        for tok in analysis.analyze(text, language):
            pos = tok.position
            try:
                out[tok.term].append(pos)
            except KeyError:
                out[tok.term] = [pos]
            marker = beside.get(tok.text)
            if marker is None:
                form = analysis.exact(tok.text)
                marker = EXACT + form if form != tok.term else ""
                if len(beside) >= _BESIDE_LIMIT:
                    beside.clear()
                beside[tok.text] = marker
            if marker:
                try:
                    out[marker].append(pos)
                except KeyError:
                    out[marker] = [pos]
        return out


# word as written -> the exact form indexed beside its term ("" when the term is the exact form), per language
_BESIDE: dict[str, dict[str, str]] = {}
_BESIDE_LIMIT = 200_000


def _exact_beside(language: str) -> dict[str, str]:
    found = _BESIDE.get(language)
    if found is None:
        found = _BESIDE[language] = {}
    return found


class WordPositions(formats.Positions):
    """Whoosh's Positions format, filled straight from TextAnalyzer, with exact forms left out of the field's length.

    The postings are byte for byte what Positions writes. Two things differ: the words and their
    positions come from `TextAnalyzer.postings` without a Whoosh Token per word (a fifth of the
    indexing time went to building and reading those), and an exact form (`=form`) reports a
    frequency of 0, which Whoosh adds to the field's length: a field is as long as its words,
    however many of them carry an exact form beside their term, so BM25 does not count an
    inflected word twice. (The frequency is used for nothing else; the posting keeps its weight
    and positions.)
    """

    def word_values(self, value: Any, analyzer: Any, **kwargs: Any) -> Iterator[tuple[str, int, float, bytes]]:
        if not isinstance(analyzer, TextAnalyzer) or not isinstance(value, str):
            yield from super().word_values(value, analyzer, **kwargs)
            return
        boost = self.field_boost
        encode = self.encode
        for word, poslist in analyzer.postings(value).items():
            freq = len(poslist)
            yield word, 0 if word.startswith(EXACT) else freq, freq * boost, encode(poslist)


def terms(text: str, language: str, whole: bool = False, exact: bool = False) -> list[str]:
    """The index terms of query text in one language: each word's term, or one normalised token (whole).

    With exact, the exact forms (`=form`, as indexed).
    """
    if whole:
        if exact:
            return [EXACT + analysis.exact(text)] if text else []
        term = analysis.analyzer(language).term(text) if text else ""
        return [term] if term else []
    if not exact:
        return analysis.analyzer(language).terms(text)
    return [EXACT + analysis.exact(tok.text) for tok in analysis.analyze(text, language)]
