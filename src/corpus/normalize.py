"""Turn raw records into clean Article values: pure functions, easy to test.

Field names are detected from common synonyms; an explicit mapping (`--map title=article`, or
`mapping:` in a `_folder.yaml`) wins over detection. Values of the wrong type (an author given as
a number, a date given as an object) never raise: what cannot be used is kept, as written, in the
article's stored metadata, so nothing a record said is lost.
"""

from __future__ import annotations

import html
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlparse

from dateutil import parser as dateparser

from . import bylines, sources
from . import regions as regions_mod
from .analysis import UNDETERMINED, detect_language, language_code
from .documents import Article, RawRecord, make_id
from .fields import SYNONYMS

AUTHOR_PLACEHOLDERS = {
    "", "not_signed", "not signed", "unsigned", "staff", "staff writer", "staff reporter", "unknown",
    "anonymous", "anon", "n/a", "na", "none", "null", "nan", "admin", "editor", "editors", "by",
}
# What follows a name in a byline without being one: "Jane Doe, Reuters", "John Roe, Staff Writer".
BYLINE_TAIL_RE = re.compile(
    r",\s*(?:reuters?|ap|afp|bloomberg|associated press|(?:senior |chief |special )?(?:staff )?"
    r"(?:writer|reporter|correspondent|contributor|editor)s?)\.?\s*$", re.IGNORECASE)
# Cloudflare's "[email protected]" stands where a scraped page hid an address: not words to index.
EMAIL_PLACEHOLDER_RE = re.compile(r"\s*\[\s*email[\s\u00a0]*protected\s*\]\s*([.,;:!?])?", re.IGNORECASE)
BULLET_RE = re.compile(r"^[\u2022\u25cf\u25aa\u2023\u2043\u00b7*\-][\s\u00a0]+", re.MULTILINE)
URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])(?:[/-](0?[1-9]|[12]\d|3[01]))?(?:/|$|[-_])")
EPOCH_RE = re.compile(r"^-?\d{9,13}(\.\d+)?$")
# A date string needs a year (or a d/m/yy form); dateutil would read "5" or "May" as a date in 2000.
HAS_YEAR_RE = re.compile(r"\d{4}|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2}\b|\b\d{1,2}[ -][A-Za-z]{3,9}[ -]\d{2}\b")
# A "source" that is a file name is where a converter read the record from, not a publication.
FILE_NAME_RE = re.compile(r"^[\w.-]+\.(txt|json|jsonl|csv|tsv|xml|sgm|sgml|html?|pdf|docx?|rtf|gz|zip)$", re.IGNORECASE)
# Words kept in capitals when an all-capitals headline is given a readable case.
ACRONYMS = {
    "US", "UK", "EC", "EEC", "EU", "UN", "USSR", "OPEC", "GATT", "IMF", "NATO", "GDP", "GNP", "CPI", "IBM", "GM",
    "ADR", "USDA", "SEC", "FCC", "FTC", "FDIC", "OECD", "ASEAN", "CFTC", "LDC", "NYSE", "NASA", "FBI", "CIA",
    "BBC", "CEO", "AT", "II", "III", "IV", "UAE", "ICO", "ITC", "ECU", "SDR", "CBT", "CME", "LME", "NZ", "TV",
}
HONORIFICS = {"MR", "MRS", "MS", "DR", "ST", "MT", "JR", "SR", "LT", "SGT", "REV"}
SMALL_WORDS = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "vs", "with", "from"}
# Bodies exported by a CMS often hold HTML markup: paragraphs and line breaks become our
# paragraph breaks, script and style go with their content, other tags go. Only real markup is
# taken out: a tag of an HTML element, with HTML's attribute syntax, in text that shows HTML
# elsewhere (a closing tag, a quoted attribute, a comment). Angle-bracketed names in plain text,
# such as Reuters' "<Oppenheimer-Palmieri Fund L.P.>" and tickers "<I>", "<P>", "<EM>", stay.
HTML_ELEMENTS = (
    "a|abbr|address|article|aside|b|big|blockquote|body|br|caption|center|cite|code|col|colgroup|dd|del|details|"
    "dfn|div|dl|dt|em|figcaption|figure|font|footer|form|h[1-6]|head|header|hr|html|i|iframe|img|ins|kbd|label|"
    "li|link|main|mark|meta|nav|noscript|ol|p|picture|pre|q|s|samp|section|small|source|span|strike|strong|sub|"
    "summary|sup|table|tbody|td|tfoot|th|thead|time|title|tr|tt|u|ul|var|wbr"
)
_ATTRS = r"""(?:\s+[A-Za-z_:][-\w:.]*(?:\s*=\s*(?:"[^"<>]*"|'[^'<>]*'|[^\s"'<>=`]+))?)*\s*/?"""
HTML_TAG_RE = re.compile(rf"<(?:{HTML_ELEMENTS}){_ATTRS}>|</(?:{HTML_ELEMENTS})\s*>", re.IGNORECASE)
HTML_BLOCK_RE = re.compile(
    rf"</?(?:p|div|h[1-6]|li|ul|ol|blockquote|section|article|tr|table|figure|figcaption|pre)(?:{_ATTRS})?>", re.IGNORECASE)
HTML_BR_RE = re.compile(r"<br\s*/?>", re.IGNORECASE)
HTML_HINT_RE = re.compile(
    rf"</(?:{HTML_ELEMENTS})\s*>|<(?:{HTML_ELEMENTS})\s+[A-Za-z-]+\s*=\s*[\"']|<br\s*/>|<br>|<p>|<!--", re.IGNORECASE)
HTML_DROP_RE = re.compile(r"<(script|style)\b.*?</\1\s*>|<!--.*?-->", re.IGNORECASE | re.DOTALL)
MAX_EXTRA_JSON = 20_000  # characters of a nested extra value kept as JSON text


# ---- finding fields --------------------------------------------------------------------------

def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or (isinstance(value, str) and not value.strip())


def find(fields: dict[str, Any], canonical: str, mapping: dict[str, str] | None = None) -> tuple[str | None, Any]:
    """(source key, value) of a canonical field: the mapped field first, else the first synonym present."""
    lowered = {str(k).lower(): k for k in fields}
    names: list[str] = []
    if mapping and canonical in mapping:
        names.append(mapping[canonical].lower())
    taken = {v.lower() for k, v in (mapping or {}).items() if k != canonical}
    names.extend(n for n in SYNONYMS[canonical] if n not in taken)
    for name in names:
        key = lowered.get(name)
        if key is not None and not _empty(fields[key]):
            return key, fields[key]
    return None, None


# ---- text ------------------------------------------------------------------------------------

def as_text(value: Any, sep: str = " ") -> str:
    """Any JSON value as text: lists are joined, objects give their text-like member, others nothing."""
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return sep.join(t for t in (as_text(v, sep) for v in value) if t.strip())
    if isinstance(value, dict):
        # WordPress's {"rendered": ...}, XML-to-JSON's {"#text": ...} and similar wrappers.
        for key in ("rendered", "#text", "text", "value", "content", "name", "title"):
            if isinstance(value.get(key), (str, list)):
                return as_text(value[key], sep)
    return ""


def _drop_placeholder(m: re.Match[str]) -> str:
    return m.group(1) or " "


def _undouble_quotes(text: str) -> str:
    # CSV escaping left in the text ("" for ") shows up as pairs; only undo it when nearly every quote is doubled.
    n = text.count('""')
    return re.sub(r'"{2,}', '"', text) if n >= 1 and n * 2 >= text.count('"') * 0.9 else text


def clean_inline(value: Any) -> str:
    """A one-line value: entities decoded, NFC, whitespace collapsed."""
    text = html.unescape(as_text(value))
    text = unicodedata.normalize("NFC", text)
    text = EMAIL_PLACEHOLDER_RE.sub(_drop_placeholder, text)
    text = _undouble_quotes(text)
    return " ".join(text.replace("\u00a0", " ").split())


def _hard_wrapped(lines: list[str]) -> bool:
    # Wire copy and e-mail are wrapped at a fixed width (Reuters at about 70 columns); text
    # written one paragraph per line has lines far longer than that.
    lengths = sorted(len(ln.strip()) for ln in lines if ln.strip())
    if len(lengths) < 3:
        return True
    return lengths[int(len(lengths) * 0.9) - 1] <= 100


def looks_like_html(text: str) -> bool:
    """True when text holds HTML markup: a closing tag, a quoted attribute, a line break, a comment.

    "<p>" and "<br>" count only in lower case, so a Reuters ticker such as "<P>" or "<BR>" alone is
    not markup.
    """
    for m in HTML_HINT_RE.finditer(text):
        hint = m.group(0)
        if hint.lower() in ("<br>", "<p>") and hint != hint.lower():
            continue
        return True
    return False


def clean_text(value: Any) -> str:
    """Body text: entities decoded, NFC, placeholders removed, hard-wrapped lines re-joined.

    Paragraphs are separated by a blank line. In hard-wrapped text a line that starts indented or
    with a bullet also starts a new paragraph, which is how wire copy such as Reuters marks them;
    in text with long lines and no blank lines, each line is a paragraph.
    """
    text = as_text(value, "\n\n")
    if looks_like_html(text):
        text = HTML_DROP_RE.sub(" ", text)
        text = HTML_BLOCK_RE.sub("\n\n", text)
        text = HTML_BR_RE.sub("\n", text)
        text = HTML_TAG_RE.sub("", text)
    text = html.unescape(text)
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = text.replace("\u000b", "\n").replace("\u000c", "\n\n")
    text = EMAIL_PLACEHOLDER_RE.sub(_drop_placeholder, text)
    text = _undouble_quotes(text)
    text = BULLET_RE.sub("\u2022 ", text)
    lines = text.split("\n")
    wrapped = _hard_wrapped(lines)
    line_per_paragraph = not wrapped
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        stripped = line.replace("\u00a0", " ").replace("\t", " ").strip()
        indented = line[:1] in (" ", "\t", "\u00a0")
        starts_new = line_per_paragraph or (wrapped and indented) or stripped.startswith("\u2022")
        if (not stripped or starts_new) and current:
            paragraphs.append(" ".join(current))
            current = []
        if stripped:
            current.append(" ".join(stripped.split()))
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(p for p in paragraphs if p)


def readable_title(title: str) -> str:
    """Give an all-capitals headline ("BAHIA COCOA REVIEW") a readable case, keeping acronyms and codes."""
    letters = [c for c in title if c.isalpha()]
    if len(letters) < 4 or any(c.islower() for c in letters) or len(title.split()) < 2:
        return title
    out = []
    for i, word in enumerate(title.split(" ")):
        m = re.match(r"^(\W*)(.*?)(\W*)$", word)
        lead, core, trail = m.groups() if m else ("", word, "")
        if "<" in word or not core:
            out.append(word)  # tickers such as <CPML>
        elif i > 0 and core.lower() in SMALL_WORDS:
            out.append(word.lower())
        else:
            parts = [p if _keep_caps(p) else re.sub(r"(?<=\w)'S\b", "'s", _title_word(p.lower())) for p in core.split("/")]
            out.append(lead + "/".join(parts) + trail)
    return " ".join(out)


def _keep_caps(word: str) -> bool:
    if word in HONORIFICS:
        return False
    return word in ACRONYMS or bool(re.search(r"[\d.&]", word)) or not re.search(r"[AEIOUY]", word)


# ---- dates, names, lists, sources -------------------------------------------------------

def parse_date(value: Any, dayfirst: bool = False, _depth: int = 0) -> datetime | None:
    """Parse a date in any common form into an aware UTC datetime; None when there is none."""
    if value is None or value == "" or isinstance(value, bool) or _depth > 3:
        return None
    if isinstance(value, dict):
        if all(isinstance(value.get(k), (int, str)) for k in ("year", "month", "day")):
            try:
                return datetime(int(value["year"]), int(value["month"]), int(value["day"]), tzinfo=UTC)
            except (ValueError, OverflowError):
                return None
        # MongoDB's {"$date": ...} and {"$date": {"$numberLong": ...}}.
        inner = next((value[k] for k in ("$date", "date", "$numberLong") if k in value), None)
        return parse_date(inner, dayfirst, _depth + 1)
    if isinstance(value, list):
        return parse_date(value[0], dayfirst, _depth + 1) if value else None
    if isinstance(value, int) and 1000 <= value <= 2999:
        return datetime(value, 1, 1, tzinfo=UTC)  # a bare year
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):  # YAML reads 2025-01-15 as a date
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) or (isinstance(value, str) and EPOCH_RE.match(value.strip())):
        try:  # a number too large for a date (1e300, a 500-digit integer) is no date
            number = float(value)
            if abs(number) >= 1e11:  # milliseconds
                number /= 1000.0
            dt = datetime.fromtimestamp(number, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        text = clean_inline(value)
        if not text or len(text) > 100 or not HAS_YEAR_RE.search(text):
            return None
        # "21-APR-1987 12:17:49.31": dateutil reads it once the centiseconds are padded.
        text = re.sub(r"(\d{2}:\d{2}:\d{2})\.(\d{1,2})$", lambda m: f"{m.group(1)}.{m.group(2):0<6}", text)
        try:
            dt = dateparser.parse(text, dayfirst=dayfirst, default=datetime(2000, 1, 1))
        except (ValueError, OverflowError, TypeError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    try:
        dt = dt.astimezone(UTC)
    except (OverflowError, ValueError):
        return None
    if not 1000 <= dt.year <= 2999:
        return None
    return dt


def date_from_url(url: str | None) -> datetime | None:
    """The /YYYY/MM/DD/ date in a URL path, used when a record has no date of its own."""
    if not url:
        return None
    m = URL_DATE_RE.search(urlparse(url).path)
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
    try:
        return datetime(year, month, day, tzinfo=UTC)
    except ValueError:
        return None


def display_name(name: str) -> str:
    """One readable form for case variants of a name: "PAUL GOBLE" and "paul goble" -> "Paul Goble"."""
    name = clean_inline(name).strip(" ,;")
    if name.isupper() or name.islower():
        name = " ".join(_title_word(w) for w in name.split())
    # Initials written with and without their last full stop ("A. F. W" and "A. F. W.") are one name.
    if re.search(r"\b[A-Z]\.", name):
        name = re.sub(r"(?<=[\s.-])([A-Z])$", r"\1.", name)
    return name


def _title_word(word: str) -> str:
    if re.fullmatch(r"(?i)(de|da|van|von|der|den|la|le|du|y|bin|ibn)", word):
        return word.lower()
    return "-".join("'".join(p[:1].upper() + p[1:].lower() for p in part.split("'")) for part in word.split("-"))


@dataclass
class AuthorList:
    """A byline read: the names in order (people and organisations), which are organisations, what was dropped."""

    names: list[str] = field(default_factory=list)
    organisations: list[str] = field(default_factory=list)
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (the string as written, why it is no name)

    def extend(self, other: AuthorList) -> None:
        self.names = _unique([*self.names, *other.names])
        self.organisations = _unique([*self.organisations, *other.organisations])
        self.dropped.extend(other.dropped)


# A piece of a byline that may hold an address beside a name: "Jane Roe jane@example.com".
_EMBEDDED_RE = re.compile(f"{bylines.EMAIL_RE.pattern}|{bylines.URL_RE.pattern}|{bylines.HANDLE_RE.pattern}", re.IGNORECASE)


def clean_authors(value: Any) -> AuthorList:
    """Names from "By X", "X and Y", "X, Y", lists; placeholders mean unsigned; furniture, dates and addresses are dropped."""
    out = AuthorList()
    if value is None:
        return out
    if isinstance(value, dict):
        value = value.get("name") or value.get("author") or ""
    if isinstance(value, (list, tuple)):
        for item in value:
            out.extend(clean_authors(item))
        return out
    text = clean_inline(value)
    text = re.sub(r"^\s*by[:\s]+", "", text, flags=re.IGNORECASE)
    text = re.sub(r",?\s+(for|of)\s+(the\s+)?[A-Z][\w.]*(\s+[A-Z][\w.]*)*\s*$", "", text)
    text = BYLINE_TAIL_RE.sub("", text)
    # A comma separates names only when a whole name follows it: "Smith, John" stays one name.
    parts = re.split(r"\s*(?:;|\band\b|&|\||\u2022|\u00b7)\s*|\s+[\u2013\u2014-]\s+|,\s*(?=[^,\s]+\s+[^,\s])", text,
                     flags=re.IGNORECASE)
    names: list[str] = []
    for part in parts:
        part = part.strip(" ,.;") if not re.search(r"\b[A-Z]\.$", part.strip()) else part.strip(" ,;")
        if not part or part.lower().replace("-", "_") in AUTHOR_PLACEHOLDERS or part.lower() in AUTHOR_PLACEHOLDERS:
            continue
        if "@" in part or "://" in part or "www." in part.lower():
            for m in _EMBEDDED_RE.finditer(part):
                out.dropped.append((m.group(0), bylines.drop_reason(m.group(0)) or "a URL"))
            rest = " ".join(_EMBEDDED_RE.sub(" ", part).split()).strip(" ,.;:()<>")
            if not rest or rest.lower() in AUTHOR_PLACEHOLDERS:
                continue
            part = rest
        piece = bylines.classify(part)
        out.dropped.extend(piece.cut)
        if piece.kind == "drop":
            if piece.text != "no letters":
                out.dropped.append((part, piece.text))
            continue
        if piece.text.lower() in AUTHOR_PLACEHOLDERS:
            continue
        if piece.kind == "organisation":
            name = piece.text if bylines.wire_name(piece.text) else _org_display(piece.text)
            out.organisations.append(name)
        else:
            name = display_name(piece.text)
        names.append(name)
    out.names = _unique(names)
    out.organisations = _unique(out.organisations)
    return out


def _org_display(name: str) -> str:
    # "WEB DESK" reads "Web Desk"; short capitals ("BBC", "CNN Wire") stay.
    words = name.split()
    if name.isupper() and any(len(w) > 4 for w in words):
        return " ".join(w if len(w) <= 3 else _title_word(w.lower()) for w in words)
    return display_name(name) if name.islower() else name


def split_authors(value: Any) -> list[str]:
    """The names of a byline (see clean_authors)."""
    return clean_authors(value).names


def _unique(values: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for v in values:
        key = v.casefold()
        if v and key not in seen:
            seen.add(key)
            out.append(v)
    return out


def as_list(value: Any) -> list[str]:
    """A multi-valued field as a list of strings, splitting on ; and , in plain strings."""
    if value is None:
        return []
    if isinstance(value, (list, tuple, set)):
        out: list[str] = []
        for item in value:
            out.extend(as_list(item))
        return out
    if isinstance(value, dict):
        return []
    text = clean_inline(value)
    return [p.strip() for p in re.split(r"[;,|]", text) if p.strip()]


def source_from_url(url: str | None) -> str | None:
    """A source named after the URL's host, without www."""
    if not url:
        return None
    return sources.domain_of(url if "//" in url else "//" + url)


def safe_url(value: Any) -> str | None:
    """Keep only http(s) URLs; anything else (javascript:, data:) is dropped."""
    text = clean_inline(value)
    if not text:
        return None
    scheme = urlparse(text).scheme.lower()
    return text if scheme in ("http", "https") else None


# ---- the article -----------------------------------------------------------------------------

def _storable(value: Any) -> Any:
    """A value fit for stored metadata: scalars and flat lists as they are, nested values as JSON text."""
    if isinstance(value, (str, int, float, bool)):
        return value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float, bool)) for v in value):
        return list(value)
    try:
        text = json.dumps(value, ensure_ascii=False, default=str)
    except (ValueError, RecursionError):
        return "(a value nested too deeply to store)"
    if len(text) > MAX_EXTRA_JSON:
        return f"(a nested value of {len(text):,} characters, too large to store)"
    return text


def source_value(value: Any) -> str:
    """A publication name from a source-like value; "" for numbers, file names and objects."""
    if isinstance(value, list):
        value = next((v for v in value if isinstance(v, str) and v.strip()), "")
    if not isinstance(value, str):
        return as_text(value) if isinstance(value, dict) else ""
    text = clean_inline(value)
    return "" if FILE_NAME_RE.match(text) else text


def author_bios(value: Any) -> dict[str, str]:
    """Bios given inside author objects: [{"name": ..., "bio": ...}]."""
    items = value if isinstance(value, list) else [value]
    bios: dict[str, str] = {}
    for item in items:
        if isinstance(item, dict):
            names = split_authors(item.get("name"))
            bio = next((item[k] for k in SYNONYMS["bio"] if isinstance(item.get(k), str) and item[k].strip()), None)
            if len(names) == 1 and bio:
                bios[names[0]] = clean_text(bio)
    return bios


def _layers(raw: RawRecord, mapping: dict[str, str]) -> tuple[list[dict[str, Any]], dict[str, str]]:
    # A sidecar speaks for one file and wins over the record; folder defaults only fill gaps.
    meta = raw.meta or {}
    sidecar_keys = set(meta.get("_sidecar_keys") or ())
    sidecar = {k: v for k, v in meta.items() if k in sidecar_keys and k != "mapping"}
    folder = {k: v for k, v in meta.items() if k not in sidecar_keys and k != "mapping" and not k.startswith("_")}
    folder_mapping = meta.get("mapping")
    merged = {str(k): str(v) for k, v in folder_mapping.items()} if isinstance(folder_mapping, dict) else {}
    merged.update(mapping)
    return [sidecar, raw.fields, folder], merged


def to_article(raw: RawRecord, mapping: dict[str, str] | None = None, dayfirst: bool = False) -> Article:
    """Build an Article from a raw record, its sidecar metadata and its folder defaults."""
    layers, mapping = _layers(raw, mapping or {})
    record = raw.fields
    consumed: set[str] = set()

    detected = raw.meta.get("_detected") if isinstance(raw.meta, dict) else None
    detected = detected if isinstance(detected, dict) else {}

    def value(canonical: str) -> tuple[str | None, Any]:
        for layer in layers:
            key, found = find(layer, canonical, mapping if layer is record else None)
            if key is not None:
                return (key if layer is record else None), found
        # Keys chosen by their content for this file (readers/detect.py), after every name.
        for key in detected.get(canonical, ()):
            if key in record and not _empty(record[key]):
                return key, record[key]
        return None, None

    def use(key: str | None, ok: bool) -> None:
        # A record field counts as used only when it gave a value; otherwise it stays as extra metadata.
        if key is not None and ok:
            consumed.add(key)

    key, record_id = value("id")
    if isinstance(record_id, (str, int)) and not isinstance(record_id, bool) and str(record_id).strip():
        doc_id = make_id(str(record_id).strip())
        use(key, True)
    else:
        doc_id = path_id(raw.path, raw.recno)

    notes: dict[str, Any] = {}
    extra_meta: dict[str, Any] = {}
    key, url_value = value("url")
    url = safe_url(url_value) if isinstance(url_value, str) else None
    use(key, url is not None)
    key, title_value = value("title")
    written_title = clean_inline(title_value)
    title = readable_title(written_title)
    use(key, bool(title))
    key, body_value = value("body")
    body = clean_text(body_value)
    use(key, bool(body))
    key, author_value = value("author")
    byline = clean_authors(author_value)
    authors = byline.names
    use(key, bool(authors) or bool(byline.dropped) or _is_placeholder(author_value))
    if byline.dropped:
        notes["dropped_authors"] = byline.dropped
        extra_meta["author_as_written"] = _storable(author_value)
    if byline.organisations:
        extra_meta["author_organisations"] = byline.organisations
    key, date_value = value("date")
    date = parse_date(date_value, dayfirst)
    use(key, date is not None)
    date = date or date_from_url(url)
    source, domain = _source(layers, record, mapping, detected, use)
    domain = domain or source_from_url(url)
    if source and domain:
        extra_meta["source_domain"] = domain
        notes["source_link"] = [domain, source]
    elif domain:
        source = domain
        notes["source_domain"] = domain

    key, region_value = value("region")
    explicit_regions = as_list(region_value)
    use(key, bool(explicit_regions))
    if explicit_regions:
        region, inferred = regions_mod.canonical_regions(explicit_regions), False
    else:
        region = regions_mod.infer_regions(title + "\n\n" + body)
        inferred = bool(region)

    key, category_value = value("category")
    category = [c for c in (clean_inline(v) for v in as_list(category_value)) if c]
    use(key, bool(category))

    key, language_value = value("language")
    language = language_code(str(language_value)) if isinstance(language_value, str) else UNDETERMINED
    use(key, language != UNDETERMINED)
    if language == UNDETERMINED:  # a record that names no language of its own: told by its text
        language = detect_language(f"{title}\n\n{body}")
        if language != UNDETERMINED:
            extra_meta["language_detected"] = True

    bios = author_bios(author_value)
    record_bios = record.get("bios")
    if isinstance(record_bios, dict):
        consumed.add("bios")
        for name, bio in record_bios.items():
            if isinstance(bio, str) and bio.strip():
                bios[display_name(str(name))] = clean_text(bio)
    key, bio_value = value("bio")
    if isinstance(bio_value, str) and len(authors) == 1:
        bios.setdefault(authors[0], clean_text(bio_value))
        use(key, True)

    extra = {k: _storable(v) for k, v in record.items() if k not in consumed and not k.startswith("_") and not _empty(v)}
    if written_title != title:
        extra["title_as_written"] = written_title
    for name, meta_value in extra_meta.items():
        extra.setdefault(name, meta_value)
    return Article(
        id=doc_id, title=title, body=body, authors=authors, date=date, source=source, region=region,
        region_inferred=inferred, url=url, bios=bios, extra=extra, category=category, language=language,
        origin=raw.origin, path=raw.path, notes=notes,
    )


def _source(layers: list[dict[str, Any]], record: dict[str, Any], mapping: dict[str, str],
            detected: dict[str, list[str]], use: Any) -> tuple[str | None, str | None]:
    """(publication name, domain) from every source-like field: a name wins, a URL or bare domain gives the domain.

    "site_name": "Example News" beside "source": "https://www.example.org/" is the source "Example
    News" with the domain example.org; a record with only the address has the source example.org.
    """
    name: str | None = None
    domain: str | None = None
    for layer in layers:
        names = list(SYNONYMS["source"])
        if layer is record:
            if "source" in mapping:
                names.insert(0, mapping["source"].lower())
            taken = {v.lower() for k, v in mapping.items() if k != "source"}
            names = [n for n in names if n not in taken or n == mapping.get("source", "").lower()]
        lowered = {str(k).lower(): k for k in layer}
        keys = [lowered[n] for n in dict.fromkeys(names) if n in lowered]
        if layer is record:
            keys += [k for k in detected.get("source", ()) if k in record and k not in keys]
        for key in keys:
            text = source_value(layer[key])
            if not text:
                continue
            found = sources.domain_of(text)
            if found is None and name is None:
                name = text
            elif found is not None and domain is None:
                domain = found
            else:
                continue
            if layer is record:
                use(key, True)
        if name is not None:
            break  # a sidecar's or the record's name wins over the folder's
    return name, domain


def path_id(path: str, recno: int | None = None) -> str:
    """The id of a record without an id field: its relative path, plus its number in a multi-record file.

    ".gz" never counts, so compressing a file keeps its ids. The ".txt" of plain-text articles
    is dropped for readable ids; other suffixes stay, so "a.csv" and "a.tsv" do not collide.
    """
    stem = re.sub(r"\.gz$", "", path, flags=re.IGNORECASE)
    stem = re.sub(r"\.txt$", "", stem, flags=re.IGNORECASE)
    return make_id(stem.replace("/", "-") + (f"-{recno}" if recno is not None else ""))


def _is_placeholder(value: Any) -> bool:
    return isinstance(value, str) and clean_inline(value).lower().replace("-", "_") in AUTHOR_PLACEHOLDERS
