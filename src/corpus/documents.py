"""Plain value types that travel from readers to the index and back: no Whoosh, no Flask."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,199}$")


def is_valid_id(value: str) -> bool:
    """True for ids that are URL-safe and cannot name a path outside a folder."""
    return bool(ID_RE.match(value)) and ".." not in value


def make_id(text: str) -> str:
    """Turn any string (a record id, a relative path) into a URL-safe id."""
    text = unicodedata.normalize("NFKD", text)
    text = text.encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^A-Za-z0-9._~-]+", "-", text)
    text = re.sub(r"\.{2,}", ".", text).strip("-.~_")
    if not text:
        text = "doc"
    if len(text) > 160:
        digest = hashlib.sha1(text.encode()).hexdigest()[:12]
        text = f"{text[:140]}-{digest}"
    return text


def slugify(name: str) -> str:
    """A readable URL slug for an author name ("R. W. Seton-Watson" -> "r-w-seton-watson")."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    text = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if not text:
        text = "author-" + hashlib.sha1(name.encode()).hexdigest()[:10]
    return text[:120]


@dataclass
class RawRecord:
    """One record as a reader found it: field names are still the source's own."""

    fields: dict[str, Any]
    origin: str  # "relative/path" or "relative/path:line"
    path: str  # relative path of the file, used for ids and removal of gone files
    recno: int | None = None  # record number inside a multi-record file
    fmt: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  # sidecar / folder defaults


@dataclass
class Article:
    """One article as it is indexed and displayed."""

    id: str
    title: str
    body: str  # paragraphs separated by a blank line
    authors: list[str] = field(default_factory=list)
    date: datetime | None = None  # timezone-aware UTC
    source: str | None = None
    region: list[str] = field(default_factory=list)
    region_inferred: bool = False
    url: str | None = None
    bios: dict[str, str] = field(default_factory=dict)  # author name -> bio found with this article
    extra: dict[str, Any] = field(default_factory=dict)  # other stored metadata
    category: list[str] = field(default_factory=list)  # topic/type-like values
    language: str = "und"  # ISO 639-1: the record's own field, else detected from the text (und: unknown)
    origin: str = ""  # "relative/path:line" of the record
    path: str = ""  # file path relative to the ingest root
    root: str = ""  # absolute ingest root
    # Set by the ingest workers, so the main process does not spend its time hashing.
    digest: str = ""  # content_hash()
    dedupe: str = ""  # dedupe_key(), or a key of its own for a record with no text
    # What normalising found that the ingest report tells and the index does not hold: author
    # strings dropped, a source domain linked to a publication name, why a page is no article.
    notes: dict[str, Any] = field(default_factory=dict)

    def content_hash(self) -> str:
        """A hash of everything that ends up in the index, used to skip unchanged documents."""
        payload = asdict(self)
        for derived in ("origin", "digest", "dedupe", "notes"):
            payload.pop(derived)
        payload["date"] = self.date.isoformat() if self.date else None
        blob = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha1(blob.encode("utf-8")).hexdigest()

    def dedupe_key(self) -> str:
        """Same normalised title and body means the same document."""
        norm = " ".join((self.title + "\n" + self.body).lower().split())
        return hashlib.sha1(norm.encode("utf-8")).hexdigest()

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]


@dataclass
class Author:
    """An author document: a name, a bio and what the corpus holds by them."""

    slug: str
    name: str
    bio: str = ""
    url: str | None = None
    article_count: int = 0
    first_date: datetime | None = None
    last_date: datetime | None = None
    sources: list[str] = field(default_factory=list)
    organisation: bool = False  # a wire service, newsroom or desk rather than a person
    aliases: list[str] = field(default_factory=list)  # other spellings merged into this name


@dataclass
class IndexedDoc:
    """What an index build holds about one article: enough to tell whether it changed or moved."""

    hash: str  # Article.content_hash() of the indexed version
    path: str
    root: str
    dedupe: str


@dataclass
class Byline:
    """Who wrote an indexed article, when, where and with which bios: what author documents are made from."""

    authors: list[str]
    date: datetime | None
    sources: list[str]
    bios: dict[str, str]
    organisations: list[str] = field(default_factory=list)  # the authors that are organisations
