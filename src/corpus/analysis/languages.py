"""What each language gets: its Snowball stemmer, and turning a record's language field into a code.

Languages are keyed by ISO 639-1 code; `und` is unknown. English uses the Porter stemmer exactly as
Whoosh applies it today (`porter.py`); every other language Snowball covers uses its Snowball
stemmer through PyStemmer (a C extension with wheels for CPython 3.11-3.13); the rest are folded
but not stemmed.
"""

from __future__ import annotations

import functools
import re

import pycountry

UNDETERMINED = "und"

# ISO 639-1 code -> PyStemmer algorithm name (every algorithm Snowball 3 ships, but the original
# Porter and dutch_porter, which are alternatives for English and Dutch).
SNOWBALL = {
    "ar": "arabic", "hy": "armenian", "eu": "basque", "ca": "catalan", "cs": "czech", "da": "danish",
    "nl": "dutch", "eo": "esperanto", "et": "estonian", "fi": "finnish", "fr": "french", "de": "german",
    "el": "greek", "hi": "hindi", "hu": "hungarian", "id": "indonesian", "ga": "irish", "it": "italian",
    "lt": "lithuanian", "ne": "nepali", "no": "norwegian", "nb": "norwegian", "nn": "norwegian",
    "fa": "persian", "pl": "polish", "pt": "portuguese", "ro": "romanian", "ru": "russian",
    "sr": "serbian", "st": "sesotho", "es": "spanish", "sv": "swedish", "ta": "tamil", "tr": "turkish",
    "yi": "yiddish",
}
ENGLISH = "en"
STEMMED = frozenset([*SNOWBALL, ENGLISH])

# Retired or alternative codes still found in feeds and HTML (iw for Hebrew, in for Indonesian).
_ALIASES = {"iw": "he", "in": "id", "ji": "yi", "jw": "jv", "mo": "ro", "sh": "sr"}
# Names that records give in the language itself, which pycountry does not know.
_NATIVE = {
    "deutsch": "de", "français": "fr", "francais": "fr", "español": "es", "espanol": "es",
    "italiano": "it", "português": "pt", "portugues": "pt", "nederlands": "nl", "polski": "pl",
    "русский": "ru", "українська": "uk", "беларуская": "be", "қазақ тілі": "kk", "ქართული": "ka",
    "中文": "zh", "汉语": "zh", "漢語": "zh", "日本語": "ja", "한국어": "ko", "العربية": "ar",
    "فارسی": "fa", "עברית": "he", "ελληνικά": "el", "türkçe": "tr", "svenska": "sv", "dansk": "da",
    "norsk": "no", "suomi": "fi", "magyar": "hu", "čeština": "cs", "română": "ro", "हिन्दी": "hi",
    "chinese (simplified)": "zh", "chinese (traditional)": "zh",
}
_SUBTAG_RE = re.compile(r"[-_\s.@]")


@functools.lru_cache(maxsize=1024)
def language_code(value: str | None) -> str:
    """The ISO 639-1 code of a record's language field ("en-US", "English", "eng", "pt_BR", "zh-Hant"), or `und`."""
    if not value:
        return UNDETERMINED
    text = value.strip().casefold()
    if text in _NATIVE:
        return _NATIVE[text]
    # A BCP 47 tag or a POSIX locale: the language is the first subtag ("zh-Hant-TW", "pt_BR.UTF-8").
    head = _SUBTAG_RE.split(text, 1)[0]
    head = _ALIASES.get(head, head)
    if head in (UNDETERMINED, "mul", "zxx", "mis", "xx", ""):
        return UNDETERMINED
    # Codes first: pycountry's lookup() matches names too, and "en" is also the name of a language.
    found = None
    if len(head) == 2:
        found = pycountry.languages.get(alpha_2=head)
    elif len(head) == 3:
        found = pycountry.languages.get(alpha_3=head) or pycountry.languages.get(bibliographic=head)
    if found is None:
        try:
            found = pycountry.languages.lookup(text)
        except LookupError:
            return UNDETERMINED
    # A language with no two-letter code (Hawaiian, haw) cannot be stored as ISO 639-1.
    return str(getattr(found, "alpha_2", "") or UNDETERMINED)
