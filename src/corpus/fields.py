"""The one registry of fields and facets: canonical names, their synonyms, facets and sorts.

Everything that names a facet reads it from here: the index schema, request parsing, the
pages and templates, the CLI options, the API's JSON, the export columns and the OpenAPI
description. A new facet is one more `Facet(...)` line below, plus the attribute that holds
its values on `documents.Article` and `search.types.Hit`/`ArticleRecord`, which each engine's
codec stores and reads back.
"""

from __future__ import annotations

from dataclasses import dataclass

# Canonical field names, each with the record keys that mean it (the first is the name itself).
# An explicit mapping (`--map title=article`) wins over these; see normalize.find.
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
    "language": ("language", "lang", "locale", "inlanguage", "in_language", "language_code"),
}
FIELD_NAMES = tuple(SYNONYMS)

# Field names a query may name (`author:goble`); each engine maps them to its own fields.
QUERY_FIELDS = ("title", "body", "author", "bio", "source", "region", "category", "language", "date", "id")


@dataclass(frozen=True)
class Facet:
    """A facet: a field whose values are counted beside results and can be selected as filters."""

    name: str  # the field, the request parameter and the facet's key in answers
    label: str  # singular, for chips and headings ("Author")
    plural: str  # lower-case plural, for "All 12 authors"
    multi: bool  # an article may hold several values
    default: bool  # counted with every search unless the request names its facets
    computed: bool = False  # derived from another field (year from date), not stored as values
    pattern: str | None = None  # the form every value must have, when there is one
    pattern_hint: str = ""  # that form in words, for the error message
    filter_help: str = ""  # what selecting values does, for the API description
    cli_help: str | None = None  # the help of its `corpus search --NAME` option; None: no option
    attribute: str = ""  # the attribute holding its values on Article, Hit and ArticleRecord (default: name)
    browse: bool = True  # has a page of every value with a filter box (a year facet shows all its values anyway)

    @property
    def attr(self) -> str:
        """The attribute holding this facet's values on Article, Hit and ArticleRecord."""
        return self.attribute or self.name


FACETS: tuple[Facet, ...] = (
    Facet("author", "Author", "authors", multi=True, default=True,
          filter_help="Only articles by these authors (OR within, AND across facets).",
          cli_help="only this author (repeatable)", attribute="authors"),
    Facet("source", "Source", "sources", multi=False, default=True,
          filter_help="Only articles from these sources.", cli_help="only this source (repeatable)"),
    Facet("region", "Region", "regions", multi=True, default=True,
          filter_help="Only articles about these regions.", cli_help="only this region (repeatable)"),
    Facet("year", "Year", "years", multi=False, default=True, computed=True, pattern="[0-9]{4}",
          pattern_hint="four digits", filter_help="Only articles of these years.", browse=False),
    Facet("category", "Topic", "topics", multi=True, default=False,
          filter_help="Only articles in these categories."),
    Facet("language", "Language", "languages", multi=False, default=True,
          filter_help="Only articles in these languages (ISO 639-1 codes; und: not determined).",
          cli_help="only this language, as an ISO 639-1 code (repeatable)"),
)
BY_NAME = {facet.name: facet for facet in FACETS}
FACET_NAMES = tuple(facet.name for facet in FACETS)
# Facets held as values in the index, then the ones computed from other fields: the order in
# which filters are read and written into URLs.
STORED_FACETS = tuple(f.name for f in FACETS if not f.computed)
FILTER_NAMES = (*STORED_FACETS, *(f.name for f in FACETS if f.computed))
DEFAULT_FACETS = tuple(f.name for f in FACETS if f.default)

STORED = tuple(f for f in FACETS if not f.computed)
COMPUTED_FACETS = tuple(f.name for f in FACETS if f.computed)
# The columns of an export, in order: what identifies an article, its other facets, then the rest.
_EXPORT_LEAD = ("id", "title", "author", "date")
EXPORT_FIELDS = (*_EXPORT_LEAD, *(name for name in STORED_FACETS if name not in _EXPORT_LEAD), "url", "score", "body")

SORTS = ("relevance", "newest", "oldest")


def facet(name: str) -> Facet:
    """The facet of this name; KeyError when there is none."""
    return BY_NAME[name]
