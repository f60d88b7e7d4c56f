"""Character normalisation of one token: the searched (folded) form and the exact form.

`fold` is what every language's terms go through before stemming, so that spellings a reader
would call the same word become one term: case (casefold), width and compatibility forms (NFKC:
fullwidth Ｌａｔｉｎ, ligatures), diacritics on Latin, Greek and Cyrillic letters (Anticorrupción =
anticorrupcion, Zürich = zurich), Cyrillic ё = е, Arabic and Persian letter variants, harakat and
tatweel, Hebrew points. Letters that are letters of their own in a Cyrillic alphabet (й, ї, ў) keep
their marks, and so do the vowel signs of Indic and South-East Asian scripts, which are part of
the spelling, not an accent.

`exact` is what the exact-form search (`=word`) compares: NFC and casefold only.
"""

from __future__ import annotations

import unicodedata

# Combining marks removed after NFD: accents on Latin/Greek/Cyrillic letters, Arabic harakat and
# Quranic marks, Hebrew points. Not U+0900 onwards (Indic vowel signs and viramas spell the word).
_MARK_RANGES = (
    (0x0300, 0x036F),  # combining diacritical marks
    (0x0483, 0x0489),  # Cyrillic titlo and the like
    (0x0591, 0x05BD), (0x05BF, 0x05BF), (0x05C1, 0x05C2), (0x05C4, 0x05C5), (0x05C7, 0x05C7),  # Hebrew
    (0x0610, 0x061A), (0x064B, 0x065F), (0x0670, 0x0670), (0x06D6, 0x06DC), (0x06DF, 0x06E8),
    (0x06EA, 0x06ED),  # Arabic
    (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF), (0x20D0, 0x20FF), (0xFE20, 0xFE2F),
)
_DROP: dict[int, str | None] = {cp: None for lo, hi in _MARK_RANGES for cp in range(lo, hi + 1)}
_DROP.update({
    0x0640: None,  # Arabic tatweel (kashida): stretching, not a letter
    0x200C: None,  # zero-width non-joiner, written or not inside Persian words
    0x200D: None,  # zero-width joiner
    0x00AD: None,  # soft hyphen
})

# Letters that do not decompose but that ASCII users type without their stroke or as two letters
# (the common part of Lucene's ASCIIFoldingFilter); ß is already "ss" after casefold.
_LATIN = {
    "ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h",
    "ŧ": "t", "ŀ": "l", "ĸ": "k", "ŋ": "n",
}
# Before the marks are stripped: ё is е for every Russian reader and most texts omit the dots;
# й, ї, ў, ѓ, ќ and the like are letters of their own whose mark must survive, so they are
# hidden in private-use code points across the stripping and put back after.
_CYRILLIC_KEEP = "йїўѓќѐѝ"
_PRIVATE = 0xF0000
_HIDE = {ord(c): chr(_PRIVATE + i) for i, c in enumerate(_CYRILLIC_KEEP)}
_SHOW = {_PRIVATE + i: c for i, c in enumerate(_CYRILLIC_KEEP)}
_HIDE[ord("ё")] = "е"
# Arabic and Persian letter variants (as Lucene's ArabicNormalizer and PersianNormalizer):
# alef with hamza or madda and alef wasla are alef; alef maksura and Farsi yeh are yeh; teh marbuta
# is heh; keheh is kaf; heh with yeh and heh goal are heh.
_ARABIC = {
    "أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ی": "ي", "ې": "ي", "ة": "ه", "ۀ": "ه",
    "ہ": "ه", "ە": "ه", "ک": "ك", "ڪ": "ك",
}
_LETTERS = str.maketrans({**_LATIN, **_ARABIC})
# Arabic's Snowball stemmer removes a feminine teh marbuta (مدرسة, المدرسة: مدرس) but treats heh
# as a pronoun suffix it may keep (المدرسه stays), so its stemmer sees ة and the stem is folded after.
_LETTERS_BEFORE_ARABIC_STEM = str.maketrans({**_LATIN, **{k: v for k, v in _ARABIC.items() if k != "ة"}})
TEH_MARBUTA = "ة"


def fold(token: str, before_arabic_stem: bool = False) -> str:
    """The searched form of a token: casefolded, width-folded, diacritics and letter variants folded."""
    if token.isascii():
        # The common case, and casefold of ASCII is lower.
        return token.lower()
    text = unicodedata.normalize("NFKC", token).casefold().translate(_HIDE)
    text = unicodedata.normalize("NFD", text).translate(_DROP)
    letters = _LETTERS_BEFORE_ARABIC_STEM if before_arabic_stem else _LETTERS
    return unicodedata.normalize("NFC", text).translate(letters).translate(_SHOW)


def exact(token: str) -> str:
    """The exact form of a token: as written but for case (NFC, casefolded)."""
    if token.isascii():
        return token.lower()
    return unicodedata.normalize("NFC", token).casefold()
