"""Split text into tokens with their offsets, in every script.

Words are runs of Unicode word characters (letters, marks, digits, connectors), joined across
single periods as Whoosh's default `\\w+(\\.?\\w+)*` does, so English tokenises exactly as today
("U.S." is `U.S`, "o'neil" is `o` and `neil`). Unlike Python's `re`, the `regex` module's `\\w`
includes combining marks, so a Devanagari vowel sign or an Arabic haraka never splits a word.

Scripts written without spaces are cut into overlapping pairs of characters, as Elasticsearch's
`cjk` analyzer does: Han, Hiragana, Katakana and Hangul (中美合作 is 中美 美合 合作, a lone
character is itself), and Thai, Lao, Khmer and Myanmar. A "character" here is a grapheme cluster,
so a pair never separates a base letter from its marks (a Thai vowel sign, a half-width voiced
mark). For Thai, pythainlp's dictionary segmenter (newmm) does work offline, but it is 67 MB
installed, costs about 0.4 ms a sentence, and keeps compounds whole (สวนสาธารณะ, so สวน would not
find it); pairs find any word inside a run, as for CJK.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import regex

# Characters of the space-less scripts. U+30FC (the prolonged sound mark) and the half-width
# sound marks are Common, not Katakana, by script, but belong inside Japanese words.
_CJK = r"\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}\u30fc\uff70\uff9e\uff9f\u3099\u309a"
_SEA = r"\p{Thai}\p{Lao}\p{Khmer}\p{Myanmar}"
_WORD = rf"[\w--[{_CJK}{_SEA}]]"
# Hebrew geresh and gershayim join an abbreviation (צה״ל) as the period joins "U.S".
_TOKEN_RE = regex.compile(
    rf"(?P<word>{_WORD}+(?:[.\u05f3\u05f4]{_WORD}+)*)|(?P<run>[{_CJK}{_SEA}]+)", regex.VERSION1
)
# For ASCII text \w of `re` is the same set and is faster.
_ASCII_RE = re.compile(r"\w+(?:\.\w+)*", re.ASCII)
_GRAPHEME_RE = regex.compile(r"\X")

WORD = 0
PAIR = 1
SINGLE = 2


def spans(text: str) -> Iterator[tuple[int, int, int]]:
    """Each token of text as (kind, start, end): a word, a pair of space-less characters, or a lone one."""
    if text.isascii():
        for match in _ASCII_RE.finditer(text):
            yield WORD, match.start(), match.end()
        return
    for match in _TOKEN_RE.finditer(text):
        start, end = match.span()
        if match.lastgroup == "word":
            yield WORD, start, end
            continue
        yield from _pairs(text, start, end)


def _pairs(text: str, start: int, end: int) -> Iterator[tuple[int, int, int]]:
    """Overlapping pairs of grapheme clusters of one space-less run, or the run if it is one cluster."""
    if end - start == 1:
        yield SINGLE, start, end
        return
    bounds = [m.start() for m in _GRAPHEME_RE.finditer(text, start, end)]
    if len(bounds) == 1:
        yield SINGLE, start, end
        return
    bounds.append(end)
    for i in range(len(bounds) - 2):
        yield PAIR, bounds[i], bounds[i + 2]
