"""The Whoosh schema: the only place that defines index fields, analyzers and facets.

Articles and author documents share one index and are told apart by `kind`. Each facet has a
KEYWORD field holding its display values exactly (for filters and counts), and a TEXT twin that
the query language searches (`author:goble` finds "Paul Goble").
"""

from __future__ import annotations

from whoosh import fields
from whoosh.analysis import StandardAnalyzer, StemmingAnalyzer

FACETS = ("author", "source", "region", "category")
# Facets shown by default in search results; `year` is computed from `date`.
DEFAULT_FACETS = ("author", "source", "region", "year")
# Query-language field names that users type, mapped to the indexed text field.
QUERY_FIELDS = {
    "title": "title",
    "body": "body",
    "author": "author_text",
    "bio": "bio",
    "source": "source_text",
    "region": "region_text",
    "category": "category_text",
    "date": "date",
    "id": "id",
}
# Values are joined with this in KEYWORD fields, so names must never contain it.
FACET_SEPARATOR = ","

ARTICLE = "article"
AUTHOR = "author"


def build_schema() -> fields.Schema:
    """The schema every index is created with."""
    stem = StemmingAnalyzer()
    plain = StandardAnalyzer(stoplist=None)
    return fields.Schema(
        id=fields.ID(unique=True, stored=True, sortable=True),
        kind=fields.ID(stored=True),
        title=fields.TEXT(analyzer=stem, stored=True, field_boost=2.0, phrase=True),
        body=fields.TEXT(analyzer=stem, stored=True, phrase=True, spelling=True),
        bio=fields.TEXT(analyzer=stem, stored=True, phrase=True),
        author=fields.KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        author_text=fields.TEXT(analyzer=plain, phrase=True),
        source=fields.KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        source_text=fields.TEXT(analyzer=plain, phrase=True),
        region=fields.KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        region_text=fields.TEXT(analyzer=plain, phrase=True),
        category=fields.KEYWORD(stored=True, commas=True, lowercase=False, scorable=False),
        category_text=fields.TEXT(analyzer=plain, phrase=True),
        date=fields.DATETIME(stored=True, sortable=True),
        url=fields.STORED(),
        meta=fields.STORED(),
        path=fields.ID(stored=True, sortable=True),
        root=fields.ID(stored=True),
        hash=fields.ID(stored=True, sortable=True),
        dedupe=fields.ID(stored=True, sortable=True),
    )
