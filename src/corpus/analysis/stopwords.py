"""Stop-word lists per language, for the analysis views: a filter over tokens, never an index-time deletion.

The lists come from the `stop-words` package (34 languages, shipped as text files in the wheel).
They are compared with tokens in folded form, so "Über" is a German stop word as "über" is.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator

import stop_words

from .analyzer import Token
from .fold import fold

# ISO 639-1 codes the package has a list for (it files Norwegian under nb).
LANGUAGES = frozenset(stop_words.LANGUAGE_MAPPING)


@functools.cache
def stop_words_of(language: str) -> frozenset[str]:
    """The folded stop words of a language (ISO 639-1); empty for a language without a list."""
    code = "nb" if language == "no" else language
    if code not in LANGUAGES:
        return frozenset()
    return frozenset(fold(word) for word in stop_words.get_stop_words(code) if word.strip())


def is_stop_word(word: str, language: str) -> bool:
    """Whether a word (as written) is a stop word of the language."""
    return fold(word) in stop_words_of(language)


def without_stop_words(tokens: Iterable[Token], language: str) -> Iterator[Token]:
    """The tokens that are not stop words of the language (positions unchanged, so gaps show)."""
    stops = stop_words_of(language)
    return (token for token in tokens if fold(token.text) not in stops)
