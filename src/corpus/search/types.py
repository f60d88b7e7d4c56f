"""The search request and result: plain values that the web layer and the CLI share."""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ..fields import DEFAULT_FACETS


@dataclass(frozen=True)
class SearchRequest:
    """Everything a search needs; the web and the API build it from the same parameters."""

    q: str = ""
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (facet, values): OR within, AND across
    date_from: date | None = None  # inclusive
    date_to: date | None = None  # inclusive
    sort: str = "relevance"
    page: int = 1
    per_page: int = 10
    facet_size: int = 10
    facets: tuple[str, ...] = DEFAULT_FACETS
    highlight: bool = True
    timeline: bool = True
    authors: bool = True

    def selected(self, facet: str) -> tuple[str, ...]:
        """The selected values of one facet."""
        for name, values in self.filters:
            if name == facet:
                return values
        return ()

    @property
    def filter_dict(self) -> dict[str, list[str]]:
        return {name: list(values) for name, values in self.filters if values}


@dataclass
class Hit:
    id: str
    title: str
    authors: list[str]
    date: datetime | None
    source: str | None
    region: list[str]
    url: str | None
    snippet: str  # HTML, already escaped, matches wrapped in <mark>
    score: float | None
    category: list[str] = field(default_factory=list)
    language: str = "und"  # ISO 639-1, und when not determined


@dataclass
class FacetValue:
    value: str
    count: int
    selected: bool


@dataclass
class Facet:
    name: str
    values: list[FacetValue]
    distinct: int  # distinct values with a count above zero
    total_values: int = 0  # values listed in `values` after paging, for facet pages


@dataclass
class Bucket:
    period: str  # "1987", "1987-03" or "1987-03-02"
    start: date
    end: date  # inclusive
    count: int
    corpus_count: int


@dataclass
class Timeline:
    interval: str  # year, month or day
    buckets: list[Bucket]
    undated: int = 0


@dataclass
class AuthorMatch:
    slug: str
    name: str
    bio: str  # HTML snippet, escaped
    article_count: int


@dataclass
class IndexInfo:
    build: str
    documents: int
    authors: int
    updated: str | None


@dataclass
class SearchResult:
    request: SearchRequest
    parsed: str
    total: int
    hits: list[Hit]
    facets: dict[str, Facet]
    timeline: Timeline | None
    suggestion: str | None
    authors: list[AuthorMatch]
    took_ms: float
    index: IndexInfo

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.request.per_page))


@dataclass
class ArticleRecord:
    """A whole article for its page: text, metadata and the bios of its authors."""

    id: str
    title: str
    body: str
    authors: list[str]
    date: datetime | None
    source: str | None
    region: list[str]
    region_inferred: bool
    category: list[str]
    url: str | None
    bios: dict[str, str]
    extra: dict[str, Any]
    origin: str
    language: str = "und"  # ISO 639-1, und when not determined

    @property
    def paragraphs(self) -> list[str]:
        return [p for p in self.body.split("\n\n") if p.strip()]


@dataclass
class AuthorRecord:
    slug: str
    name: str
    bio: str
    url: str | None
    article_count: int
    first_date: str | None
    last_date: str | None
    sources: list[str]
    organisation: bool = False  # a wire service, newsroom or desk (ingest marks it), not a person
    aliases: list[str] = field(default_factory=list)  # spellings from the authors file merged into this name


@dataclass
class CorpusStats:
    """What the whole index holds: counts, date span, top facet values and the timeline."""

    index: IndexInfo
    documents: int
    authors: int
    sources: int
    regions: int
    undated: int
    date_span: list[str] | None  # [first, last] as ISO dates
    facets: dict[str, Facet]
    timeline: Timeline


@dataclass
class ExportRow:
    """One exported article: its hit, and its whole body when the export asked for it."""

    hit: Hit
    body: str | None = None


@dataclass
class Export:
    """Every article a search matches, in its order: the total, and the rows read one at a time."""

    total: int
    rows: Iterator[ExportRow]


@dataclass
class AuthorPage:
    """One page of the author listing, with the number of authors on every page."""

    total: int
    authors: list[AuthorRecord]


# ----- what the concordance and collocation views are computed from (engine-neutral)


@dataclass(frozen=True)
class Pattern:
    """What a query looks for in a text field: terms at consecutive positions.

    Each position holds a set of alternative index terms (a prefix or wildcard stands for its
    words); an exact-form term starts with "=" (as `=word` searches). Phrases with a slop allow up
    to `slop` positions from one word to the next (1: adjacent). `languages` keeps the pattern to
    articles in those languages (None: every language).
    """

    field: str  # "title" or "body"
    terms: tuple[frozenset[str], ...]
    slop: int = 1
    languages: frozenset[str] | None = None


@dataclass
class FacetTable:
    """One facet's values and (document number, value ordinal) pairs, for counting any set of documents."""

    values: list[str]
    docs: Any  # numpy int array of document numbers
    ords: Any  # numpy int array of ordinals into values


@dataclass
class Matches:
    """The documents a search matches, numbered as the engine numbers its served documents.

    `ids[n]` is the id of document number n ("" for what is not an article); the list is the same
    object for every call on one served version, so views can cache what they derive from it.
    """

    request: SearchRequest
    parsed: str
    version: str
    build: str  # the served build's folder, which holds its token store
    index: IndexInfo
    ids: list[str]
    matched: Any  # numpy bool per document: the query and the filters
    subcorpus: Any  # numpy bool per document: the filters alone (the corpus the numbers are relative to)
    days: Any  # numpy int32 per document: days since 1970-01-01, NO_DAY when undated
    facets: dict[str, FacetTable]
    patterns: tuple[Pattern, ...]


NO_DAY = -(2**31)  # the day number of an undated document in Matches.days
