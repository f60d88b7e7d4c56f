"""The analysis chains: text to tokens (as written, term, position, offsets) for one language.

Index time: `analyze(text, language)` yields every token, stop words included, each with the text
as written (`text[start:end]`), its search term, and its position (one per token; the pairs of a
CJK run take one position each, so a phrase of pairs is a phrase). The search term of a word is
`stem(fold(word))`: folding comes first so that folded and unfolded spellings are one term by
construction (Zürich and Zurich, Путина and путина), and the stemmer then sees one spelling of
each word. Pairs of space-less scripts are folded (width, case) but never stemmed.

The exact chain (`analyze(text, exact=True)`, for `=word` searches) keeps the spelling: no
folding of accents or letter variants and no stemming, only case (see `fold.exact`).

Query time: `analyze_query(text, languages)` gives the terms of the query text for each language
in the index, so a bare word finds its inflections in every language present.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import NamedTuple

import Stemmer

from . import porter
from .fold import TEH_MARBUTA, fold
from .fold import exact as exact_form
from .languages import ENGLISH, SNOWBALL, UNDETERMINED
from .tokenize import WORD, spans

# A token's term is cached by its text as written: corpora repeat words, and folding plus
# stemming costs far more than a dictionary look-up. Bounded so a hostile corpus cannot grow it
# without end; clearing it all at once is cheaper than an LRU's bookkeeping on every token.
_CACHE_LIMIT = 200_000
# Longer words are rare and not worth caching (a hostile file may hold megabyte-long ones).
_CACHE_WORD_CHARS = 64


class Token(NamedTuple):
    """One token: the text as written, its term, its position, and its character offsets."""

    text: str
    term: str
    position: int
    start: int
    end: int


class Analyzer:
    """The analysis of one language: tokenising, folding and (where Snowball has one) stemming."""

    def __init__(self, language: str, exact: bool = False) -> None:
        """An analyzer for an ISO 639-1 code (`und` or an unknown code: folding, no stemming)."""
        self.language = language
        self.exact = exact
        self.stemmed = False
        stem: Callable[[str], str] | None = None
        if not exact:
            if language == ENGLISH:
                stem = porter.stem
            elif language in SNOWBALL:
                stem = Stemmer.Stemmer(SNOWBALL[language]).stemWord
        self.stemmed = stem is not None
        self._stem = stem
        self._form = exact_form if exact else fold
        self._arabic = self.stemmed and language == "ar"
        self._words: dict[str, str] = {}
        self._others: dict[str, str] = {}

    def term(self, word: str) -> str:
        """The term of one word as written (folded and stemmed, or the exact form)."""
        found = self._words.get(word)
        if found is None:
            stem = self._stem
            if stem is None:
                found = self._form(word)
            elif self._arabic:
                found = stem(fold(word, before_arabic_stem=True)).replace(TEH_MARBUTA, "ه")
            else:
                found = stem(self._form(word))
            if len(word) <= _CACHE_WORD_CHARS:
                if len(self._words) >= _CACHE_LIMIT:
                    self._words.clear()
                self._words[word] = found
        return found

    def _pair_term(self, chars: str) -> str:
        """The term of a CJK (or Thai, Lao, Khmer, Myanmar) pair or lone character: never stemmed."""
        found = self._others.get(chars)
        if found is None:
            found = self._form(chars)
            if len(self._others) >= _CACHE_LIMIT:
                self._others.clear()
            self._others[chars] = found
        return found

    def tokens(self, text: str, position: int = 0) -> Iterator[Token]:
        """Every token of text, stop words included, numbered from `position`."""
        term = self.term
        pair_term = self._pair_term
        for kind, start, end in spans(text):
            written = text[start:end]
            yield Token(written, term(written) if kind == WORD else pair_term(written), position, start, end)
            position += 1

    def terms(self, text: str) -> list[str]:
        """The terms of text in order (what an index stores for it, without positions)."""
        term = self.term
        pair_term = self._pair_term
        return [term(text[s:e]) if kind == WORD else pair_term(text[s:e]) for kind, s, e in spans(text)]


_ANALYZERS: dict[tuple[str, bool], Analyzer] = {}


def analyzer(language: str = UNDETERMINED, exact: bool = False) -> Analyzer:
    """The shared analyzer of a language code (the exact chain is the same for every language)."""
    key = (UNDETERMINED if exact else language, exact)
    found = _ANALYZERS.get(key)
    if found is None:
        found = _ANALYZERS[key] = Analyzer(*key)
    return found


def analyze(text: str, language: str = UNDETERMINED, exact: bool = False) -> Iterator[Token]:
    """Every token of a text in a language (ISO 639-1), stop words included; the exact chain if `exact`."""
    return analyzer(language, exact).tokens(text)


def analyze_query(text: str, languages: Iterable[str], exact: bool = False) -> dict[str, list[str]]:
    """The terms of query text for each language, so a bare query finds each language's inflections.

    A query word that gives several terms (a CJK run: its pairs) is a phrase of those terms.
    Languages whose analysis gives the same terms come out the same; callers OR the distinct ones.
    """
    if exact:
        terms = analyzer(exact=True).terms(text)
        return {language: terms for language in languages}
    return {language: analyzer(language).terms(text) for language in languages}


def query_variants(text: str, languages: Iterable[str], exact: bool = False) -> list[list[str]]:
    """The distinct term sequences of query text over the languages, in a stable order (for an OR)."""
    seen: dict[tuple[str, ...], None] = {}
    for terms in analyze_query(text, sorted(set(languages)) or [UNDETERMINED], exact).values():
        seen.setdefault(tuple(terms), None)
    return [list(terms) for terms in seen]
