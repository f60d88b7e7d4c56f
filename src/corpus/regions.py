"""Regions: canonical country names from codes and names (pycountry), and inference from text."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import pycountry

# Short, everyday names where the ISO name is formal ("Russian Federation" -> "Russia").
SHORT_NAMES = {
    "RU": "Russia", "IR": "Iran", "SY": "Syria", "KR": "South Korea", "KP": "North Korea",
    "VN": "Vietnam", "BO": "Bolivia", "VE": "Venezuela", "TZ": "Tanzania", "MD": "Moldova",
    "LA": "Laos", "TW": "Taiwan", "CZ": "Czech Republic", "GB": "United Kingdom", "US": "United States",
    "MK": "North Macedonia", "PS": "Palestine", "FM": "Micronesia", "CD": "DR Congo", "CG": "Congo",
    "BN": "Brunei", "CV": "Cape Verde", "TR": "Turkey", "VA": "Vatican City", "KN": "Saint Kitts and Nevis",
}
# Codes and names seen in real corpora that are not (or no longer) ISO 3166-1.
EXTRA_NAMES = {
    "usa": "United States", "us": "United States", "u.s.": "United States", "america": "United States",
    "uk": "United Kingdom", "britain": "United Kingdom", "great britain": "United Kingdom", "england": "United Kingdom",
    "ussr": "Soviet Union", "soviet union": "Soviet Union", "west germany": "West Germany", "west-germany": "West Germany",
    "east germany": "East Germany", "east-germany": "East Germany", "yugoslavia": "Yugoslavia",
    "czechoslovakia": "Czechoslovakia", "austria-hungary": "Austria-Hungary", "ottoman empire": "Ottoman Empire",
    "int": "International", "international": "International", "hong-kong": "Hong Kong", "south-korea": "South Korea",
    "north-korea": "North Korea", "south-africa": "South Africa", "new-zealand": "New Zealand",
    "saudi-arabia": "Saudi Arabia", "sri-lanka": "Sri Lanka", "el-salvador": "El Salvador",
    "ivory-coast": "Ivory Coast", "ivory coast": "Ivory Coast", "burma": "Myanmar", "holland": "Netherlands",
    "bohemia": "Czech Republic", "serbia": "Serbia", "montenegro": "Montenegro",
    # Names pycountry no longer lists, or lists in a form nobody searches for.
    "turkey": "Turkey", "türkiye": "Turkey", "uae": "United Arab Emirates", "swaziland": "Eswatini",
    "kampuchea": "Cambodia", "trinidad-tobago": "Trinidad and Tobago", "antigua": "Antigua and Barbuda",
    "us-virgin-islands": "U.S. Virgin Islands", "brunei": "Brunei", "zaire": "Zaire",
    "yemen-arab-republic": "North Yemen", "yemen-demo-republic": "South Yemen",
    # Withdrawn ISO codes, read as the country they named for longest.
    "cs": "Czechoslovakia", "yu": "Yugoslavia", "su": "Soviet Union", "dd": "East Germany", "zr": "Zaire",
    "tp": "East Timor", "bu": "Myanmar", "xk": "Kosovo", "kosovo": "Kosovo",
}

# Demonyms, capitals and other strong signals of a country, for inference from text.
GAZETTEER_EXTRA: dict[str, tuple[str, ...]] = {
    "Russia": ("russian", "russians", "moscow", "kremlin", "petrograd", "st. petersburg"),
    "United States": ("american", "americans", "washington", "u.s.", "white house", "united states"),
    "United Kingdom": ("british", "britain", "london", "england", "english", "scotland", "scottish", "uk"),
    "China": ("chinese", "beijing", "peking"), "Japan": ("japanese", "tokyo"),
    "Germany": ("german", "germans", "berlin", "bonn"), "France": ("french", "paris"),
    "Italy": ("italian", "italians", "rome"), "Spain": ("spanish", "madrid"), "Ukraine": ("ukrainian", "ukrainians", "kyiv", "kiev"),
    "Poland": ("polish", "poles", "warsaw"), "India": ("indian", "new delhi"), "Brazil": ("brazilian", "brasilia"),
    "Canada": ("canadian", "ottawa"), "Australia": ("australian", "canberra"), "Mexico": ("mexican", "mexico city"),
    "Iran": ("iranian", "tehran", "persia", "persian"), "Iraq": ("iraqi", "baghdad"), "Israel": ("israeli", "jerusalem"),
    "Turkey": ("turkish", "ankara", "constantinople", "turks"), "Egypt": ("egyptian", "cairo"),
    "Saudi Arabia": ("saudi", "riyadh"), "South Korea": ("south korean", "seoul"), "North Korea": ("north korean", "pyongyang"),
    "Netherlands": ("dutch", "amsterdam", "the hague"), "Belgium": ("belgian", "brussels"), "Switzerland": ("swiss", "bern", "geneva"),
    "Austria": ("austrian", "vienna"), "Hungary": ("hungarian", "budapest", "magyar", "magyars"), "Czech Republic": ("czech", "czechs", "prague"),
    "Serbia": ("serbian", "serbs", "belgrade"), "Romania": ("romanian", "rumanian", "bucharest"), "Bulgaria": ("bulgarian", "sofia"),
    "Greece": ("greek", "athens"), "Sweden": ("swedish", "stockholm"), "Norway": ("norwegian", "oslo"), "Denmark": ("danish", "copenhagen"),
    "Finland": ("finnish", "helsinki"), "Estonia": ("estonian", "tallinn"), "Latvia": ("latvian", "riga"), "Lithuania": ("lithuanian", "vilnius"),
    "Belarus": ("belarusian", "minsk"), "Georgia": ("georgian", "tbilisi"), "Armenia": ("armenian", "yerevan"), "Azerbaijan": ("azerbaijani", "baku"),
    "Kazakhstan": ("kazakh", "astana", "almaty"), "Pakistan": ("pakistani", "islamabad"), "Afghanistan": ("afghan", "kabul"),
    "Argentina": ("argentine", "argentinian", "buenos aires"), "Chile": ("chilean", "santiago"), "Colombia": ("colombian", "bogota"),
    "Venezuela": ("venezuelan", "caracas"), "Nigeria": ("nigerian", "lagos", "abuja"), "South Africa": ("south african", "pretoria", "johannesburg"),
    "Kenya": ("kenyan", "nairobi"), "Indonesia": ("indonesian", "jakarta"), "Philippines": ("filipino", "philippine", "manila"),
    "Vietnam": ("vietnamese", "hanoi"), "Thailand": ("thai", "bangkok"), "Malaysia": ("malaysian", "kuala lumpur"),
    "Singapore": ("singaporean",), "Taiwan": ("taiwanese", "taipei"), "New Zealand": ("wellington",), "Ireland": ("irish", "dublin"),
    "Portugal": ("portuguese", "lisbon"), "Syria": ("syrian", "damascus"), "Lebanon": ("lebanese", "beirut"), "Kuwait": ("kuwaiti",),
    "Qatar": ("qatari", "doha"), "Libya": ("libyan", "tripoli"), "Algeria": ("algerian", "algiers"), "Morocco": ("moroccan", "rabat"),
    "Ecuador": ("ecuadorean", "ecuadorian", "quito"), "Peru": ("peruvian", "lima"), "Cuba": ("cuban", "havana"),
}
# Words that look like a gazetteer entry but usually are not one in running text.
AMBIGUOUS = {"georgia", "jordan", "chad", "turkey", "guinea", "niger", "sofia", "lima", "santiago", "wellington", "washington", "english", "polish"}
# Explicit-value aliases that are ordinary words in running text.
NOT_PLACES = {"international", "america"}


def _short_name(country: object) -> str:
    code = getattr(country, "alpha_2", "")
    return str(SHORT_NAMES.get(code) or getattr(country, "common_name", None) or getattr(country, "name", ""))


@lru_cache(maxsize=4096)
def canonical_region(value: str) -> str:
    """One canonical country name for a code or a name; unknown values come back unchanged."""
    text = " ".join(value.strip().split())
    if not text:
        return ""
    key = text.lower()
    if key in EXTRA_NAMES:
        return EXTRA_NAMES[key]
    names = _names()
    if key in names:
        return names[key]
    if key.replace("-", " ") in names:  # Reuters writes "south-africa"
        return names[key.replace("-", " ")]
    try:
        country = pycountry.countries.lookup(text.replace("-", " ") if len(text) > 3 else text)
    except LookupError:
        try:
            country = pycountry.countries.lookup(text)
        except LookupError:
            return text
    return _short_name(country)


@lru_cache(maxsize=1)
def _names() -> dict[str, str]:
    """Every spelling pycountry knows (short, common, official), lower-cased, to our canonical name."""
    table: dict[str, str] = {}
    for country in pycountry.countries:
        name = _short_name(country)
        for label in (name, getattr(country, "name", ""), getattr(country, "common_name", ""), getattr(country, "official_name", "")):
            if label:
                table.setdefault(label.lower(), name)
                if ", " in label:  # "Korea, Republic of" is also written "Republic of Korea"
                    head, _, tail = label.partition(", ")
                    table.setdefault(f"{tail} {head}".lower(), name)
    return table


def canonical_regions(values: list[str]) -> list[str]:
    """Canonical names for explicit region values, in order, without repeats."""
    out: list[str] = []
    for value in values:
        name = canonical_region(str(value))
        if name and name not in out:
            out.append(name)
    return out


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, str]:
    table: dict[str, str] = {}
    for country in pycountry.countries:
        name = _short_name(country)
        for label in {name, getattr(country, "name", ""), getattr(country, "common_name", "") or ""}:
            if label and "," not in label:
                table[label.lower()] = name
    for name, words in GAZETTEER_EXTRA.items():
        for word in words:
            table[word] = name
    for alias, name in EXTRA_NAMES.items():
        if len(alias) > 3 and "-" not in alias and alias not in NOT_PLACES:
            table.setdefault(alias, name)
    for code in ("us", "usa", "uk", "uae", "ussr"):
        table[code] = canonical_region(code)
    for word in AMBIGUOUS:
        table.pop(word, None)
    return table


@lru_cache(maxsize=1)
def _gazetteer_re() -> re.Pattern[str]:
    names = sorted(_gazetteer(), key=len, reverse=True)
    # Only capitalised mentions count (see infer_regions), so the pattern gives up at once
    # wherever a capital letter does not start a word; the names themselves match in any case.
    # This runs the whole-text scan about ten times faster than trying every name everywhere.
    return re.compile(r"(?<![\w-])(?=[A-Z])((?i:" + "|".join(re.escape(n) for n in names) + r"))(?![\w-])")


def infer_regions(text: str, limit: int = 3) -> list[str]:
    """Countries the text really discusses: mentioned at least twice and at least a third as often as the top one."""
    if not text:
        return []
    counts: Counter[str] = Counter()
    table = _gazetteer()
    for m in _gazetteer_re().finditer(text):
        word = m.group(1)
        # Capitalised mentions only, so "turkey" the bird or "china" the plates do not count;
        # short codes only in capitals, so "us" the pronoun does not count as the United States.
        if not word[0].isupper() or (len(word) <= 4 and word.isalpha() and not word.isupper()):
            continue
        counts[table[word.lower()]] += 1
    if not counts:
        return []
    top = counts.most_common(1)[0][1]
    return [name for name, n in counts.most_common(limit) if n >= 2 and n * 3 >= top]
