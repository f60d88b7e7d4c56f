"""Turn raw records into clean Article values: pure functions, easy to test.

Field names are detected from common synonyms; an explicit mapping (`--map title=article`)
wins over detection.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

from dateutil import parser as dateparser

from . import regions as regions_mod
from .documents import Article, make_id
from .readers.base import RawRecord

SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "doc_id", "docid", "_id", "guid", "uuid"),
    "title": ("title", "headline", "head", "name_of_article"),
    "body": ("body", "text", "content", "article_text", "full_text", "maintext", "article_body"),
    "author": ("author", "authors", "byline", "by", "creator", "writer"),
    "date": ("date", "published", "publish_date", "pubdate", "published_at", "date_published", "datetime", "timestamp", "created_at"),
    "source": ("source", "publication", "site_name", "sitename", "site", "domain", "publisher", "outlet", "newspaper"),
    "region": ("region", "regions", "country", "countries", "places", "place", "location", "locations"),
    "url": ("url", "link", "canonical_url", "href", "permalink"),
    "bio": ("bio", "author_bio", "biography", "about_author"),
    "category": ("topics", "topic", "category", "categories", "type", "section", "tags", "subject"),
}

AUTHOR_PLACEHOLDERS = {
    "", "not_signed", "not signed", "unsigned", "staff", "staff writer", "staff reporter", "unknown",
    "anonymous", "anon", "n/a", "na", "none", "null", "nan", "admin", "editor", "editors", "by",
}
# Cloudflare's "[email protected]" stands where a scraped page hid an address: not words to index.
EMAIL_PLACEHOLDER_RE = re.compile(r"\s*\[\s*email[\s\u00a0]*protected\s*\]\s*([.,;:!?])?", re.IGNORECASE)
BULLET_RE = re.compile(r"^[\u2022\u25cf\u25aa\u2023\u2043\u00b7*\-][\s\u00a0]+", re.MULTILINE)
URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})[/-](0?[1-9]|1[0-2])(?:[/-](0?[1-9]|[12]\d|3[01]))?(?:/|$|[-_])")
EPOCH_RE = re.compile(r"^-?\d{9,13}(\.\d+)?$")


def pick(fields: dict[str, Any], canonical: str, mapping: dict[str, str] | None = None) -> Any:
    """The value of a canonical field: from the explicit mapping, else the first synonym present."""
    if mapping and canonical in mapping:
        return fields.get(mapping[canonical])
    lowered = {k.lower(): v for k, v in fields.items()} if any(k != k.lower() for k in fields) else fields
    for name in SYNONYMS[canonical]:
        value = lowered.get(name)
        if value not in (None, "", []):
            return value
    return None


def used_keys(fields: dict[str, Any], mapping: dict[str, str] | None = None) -> set[str]:
    """Source field names consumed as canonical fields; the rest are kept as extra metadata."""
    used = set()
    for canonical, names in SYNONYMS.items():
        if mapping and canonical in mapping:
            used.add(mapping[canonical])
            continue
        for name in names:
            for key in fields:
                if key.lower() == name and fields[key] not in (None, "", []):
                    used.add(key)
                    break
            else:
                continue
            break
    return used


def _drop_placeholder(m: re.Match[str]) -> str:
    return m.group(1) or " "


def clean_inline(value: Any) -> str:
    """A one-line value: entities decoded, NFC, whitespace collapsed."""
    if value is None:
        return ""
    text = html.unescape(str(value))
    text = unicodedata.normalize("NFC", text)
    text = EMAIL_PLACEHOLDER_RE.sub(_drop_placeholder, text)
    return " ".join(text.replace("\u00a0", " ").split())


def clean_text(value: Any) -> str:
    """Body text: entities decoded, NFC, placeholders removed, hard-wrapped lines re-joined.

    Paragraphs are separated by a blank line. A line that starts indented or with a bullet also
    starts a new paragraph, which is how wire copy such as Reuters marks them.
    """
    if value is None:
        return ""
    text = html.unescape(str(value))
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = EMAIL_PLACEHOLDER_RE.sub(_drop_placeholder, text)
    text = text.replace('""', '"') if text.count('""') >= 2 and text.count('""') * 2 >= text.count('"') else text
    text = BULLET_RE.sub("\u2022 ", text)
    paragraphs: list[str] = []
    current: list[str] = []
    for line in text.split("\n"):
        stripped = line.replace("\u00a0", " ").replace("\t", " ").strip()
        starts_new = (line[:1] in (" ", "\t", "\u00a0") and len(line) - len(line.lstrip()) >= 2) or stripped.startswith("\u2022")
        if (not stripped or starts_new) and current:
            paragraphs.append(" ".join(current))
            current = []
        if stripped:
            current.append(" ".join(stripped.split()))
    if current:
        paragraphs.append(" ".join(current))
    return "\n\n".join(p for p in paragraphs if p)


def parse_date(value: Any, dayfirst: bool = False) -> datetime | None:
    """Parse a date in any common form into an aware UTC datetime; None when there is none."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, dict):
        value = value.get("$date", value.get("date"))
        if isinstance(value, dict):  # {"$date": {"$numberLong": "..."}}
            value = value.get("$numberLong")
        return parse_date(value, dayfirst)
    if isinstance(value, list):
        return parse_date(value[0], dayfirst) if value else None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, (int, float)) or (isinstance(value, str) and EPOCH_RE.match(value.strip())):
        number = float(value)
        if abs(number) >= 1e11:  # milliseconds
            number /= 1000.0
        try:
            return datetime.fromtimestamp(number, tz=UTC)
        except (OverflowError, OSError, ValueError):
            return None
    else:
        text = clean_inline(value)
        if not text or len(text) > 100 or not re.search(r"\d", text):
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
    return name


def _title_word(word: str) -> str:
    if re.fullmatch(r"(?i)(de|da|van|von|der|den|la|le|du|y|bin|ibn)", word):
        return word.lower()
    return "-".join("'".join(p[:1].upper() + p[1:].lower() for p in part.split("'")) for part in word.split("-"))


def split_authors(value: Any) -> list[str]:
    """Names from "By X", "X and Y", "X, Y", lists; placeholders mean unsigned (an empty list)."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = value.get("name") or value.get("author") or ""
    if isinstance(value, (list, tuple)):
        names: list[str] = []
        for item in value:
            names.extend(split_authors(item))
        return _unique(names)
    text = clean_inline(value)
    text = re.sub(r"^\s*by[:\s]+", "", text, flags=re.IGNORECASE)
    text = re.sub(r",?\s+(for|of)\s+(the\s+)?[A-Z][\w.]*(\s+[A-Z][\w.]*)*\s*$", "", text)
    parts = re.split(r"\s*(?:;|\band\b|&|\|)\s*|,\s*(?=[^,]*\s)", text, flags=re.IGNORECASE)
    names = []
    for part in parts:
        part = part.strip(" ,.;") if not re.search(r"\b[A-Z]\.$", part.strip()) else part.strip(" ,;")
        if not part or part.lower().replace("-", "_") in AUTHOR_PLACEHOLDERS or part.lower() in AUTHOR_PLACEHOLDERS:
            continue
        if not re.search(r"[^\W\d_]", part):
            continue
        names.append(display_name(part))
    return _unique(names)


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
    try:
        host = urlparse(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    return host.removeprefix("www.")


def safe_url(value: Any) -> str | None:
    """Keep only http(s) URLs; anything else (javascript:, data:) is dropped."""
    text = clean_inline(value)
    if not text:
        return None
    scheme = urlparse(text).scheme.lower()
    return text if scheme in ("http", "https") else None


def to_article(raw: RawRecord, mapping: dict[str, str] | None = None, dayfirst: bool = False) -> Article:
    """Build an Article from a raw record, its sidecar metadata and its folder defaults."""
    fields = dict(raw.fields)
    meta = raw.meta or {}
    # Sidecar and folder values fill in what the record itself does not say.
    for key, value in meta.items():
        if key not in ("mapping",):
            fields.setdefault(key, value)
    mapping = {**(meta.get("mapping") or {}), **(mapping or {})}

    record_id = pick(fields, "id", mapping)
    if record_id not in (None, "") and not isinstance(record_id, (dict, list)):
        doc_id = make_id(str(record_id))
    else:
        stem = re.sub(r"(\.gz)?$", "", raw.path)
        stem = re.sub(r"\.[A-Za-z0-9]{1,5}$", "", stem)
        doc_id = make_id(stem.replace("/", "-") + (f"-{raw.recno}" if raw.recno is not None else ""))

    url = safe_url(pick(fields, "url", mapping))
    title = clean_inline(pick(fields, "title", mapping))
    body = clean_text(pick(fields, "body", mapping))
    authors = split_authors(pick(fields, "author", mapping))
    date = parse_date(pick(fields, "date", mapping), dayfirst) or date_from_url(url)
    source_value = pick(fields, "source", mapping)
    source_text = clean_inline(source_value) if isinstance(source_value, (str, int, float)) else ""
    source = source_text or source_from_url(url) or None

    explicit_regions = as_list(pick(fields, "region", mapping))
    if explicit_regions:
        region = regions_mod.canonical_regions(explicit_regions)
        inferred = False
    else:
        region = regions_mod.infer_regions(title + "\n\n" + body)
        inferred = bool(region)

    bios: dict[str, str] = {}
    record_bios = fields.get("bios")
    if isinstance(record_bios, dict):
        for name, bio in record_bios.items():
            bios[display_name(str(name))] = clean_text(bio)
    bio_value = pick(fields, "bio", mapping)
    if bio_value and authors:
        bios.setdefault(authors[0], clean_text(bio_value))

    used = used_keys(fields, mapping) | {"bios", "mapping"}
    extra = {
        k: v for k, v in fields.items()
        if k not in used and not k.startswith("_") and isinstance(v, (str, int, float, bool, list)) and v not in ("", [])
    }
    category = [clean_inline(c) for c in as_list(pick(fields, "category", mapping))][:20]
    return Article(
        id=doc_id, title=title, body=body, authors=authors, date=date, source=source, region=region,
        region_inferred=inferred, url=url, bios=bios, extra=extra, category=category,
        origin=raw.origin, path=raw.path,
    )
