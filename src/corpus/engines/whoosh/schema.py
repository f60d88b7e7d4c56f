"""The Whoosh schema: the only place that defines index fields, analyzers and facets.

Articles and author documents share one index and are told apart by `kind`. Each facet has a
KEYWORD field holding its display values exactly (for filters and counts), and a TEXT twin that
the query language searches (`author:goble` finds "Paul Goble").
"""

from __future__ import annotations

from typing import Any

from whoosh import fields
from whoosh.codec import whoosh3

from ... import fields as registry
from .analysis import VERSION, TextAnalyzer, WordPositions

# The facets held as values in the index, and the ones computed from other fields.
FACETS = registry.STORED_FACETS
COMPUTED = registry.COMPUTED_FACETS
# This engine knows how to compute one facet: the year of the date (snapshot.years).
assert set(COMPUTED) <= {"year"}, f"the Whoosh engine cannot compute the facets {set(COMPUTED) - {'year'}}"
# Query-language field names that users type, mapped to the indexed text field.
QUERY_FIELDS = {name: f"{name}_text" if name in FACETS else name for name in registry.QUERY_FIELDS}
# Values are joined with this in KEYWORD fields, so names must never contain it.
FACET_SEPARATOR = ","

ARTICLE = "article"
AUTHOR = "author"


def _cache_missing_length_columns() -> None:
    """Make Whoosh remember that a segment has no length column for a field.

    Whoosh 2.7.4's W3PerDocReader._cached_reader caches the readers it finds but not the
    misses, so while a segment is written every posting of an unscored field (IDs, keywords,
    the spelling words) stats the disk again: about 400,000 stats for 2,000 BBC articles, a
    third of the ingest time. Segments are immutable once written, so a miss stays a miss.
    """
    reader_class = whoosh3.W3PerDocReader
    original = reader_class._cached_reader
    if getattr(original, "corpus_caches_misses", False):
        return

    def _cached_reader(self: Any, fieldname: str, column: Any) -> Any:
        if fieldname in self._readers:
            return self._readers[fieldname]
        reader = original(self, fieldname, column)
        if reader is None:
            self._readers[fieldname] = None
        return reader

    _cached_reader.corpus_caches_misses = True  # type: ignore[attr-defined]
    reader_class._cached_reader = _cached_reader


_cache_missing_length_columns()


def current_analysis(schema: Any) -> bool:
    """Whether an index's schema analyses text as this code does (else its terms are not what queries seek)."""
    try:
        analyzer = schema["body"].analyzer
    except KeyError:
        return False
    return isinstance(analyzer, TextAnalyzer) and getattr(analyzer, "version", None) == VERSION


def _text(analyzer: TextAnalyzer, stored: bool = False, field_boost: float = 1.0) -> fields.TEXT:
    """A text field with positions, its postings written by WordPositions (see analysis.py)."""
    field = fields.TEXT(analyzer=analyzer, stored=stored, field_boost=field_boost, phrase=True)
    field.format = WordPositions(field_boost=field_boost)
    return field


def build_schema() -> fields.Schema:
    """The schema every index is created with."""
    text = TextAnalyzer(exact_too=True)  # each article's own language (see analysis.py)
    plain = TextAnalyzer(exact_too=False)  # names and labels: folded, never stemmed
    facets: dict[str, Any] = {}
    for name in FACETS:
        facets[name] = fields.KEYWORD(stored=True, commas=True, lowercase=False, scorable=False)
        facets[f"{name}_text"] = _text(plain)
    return fields.Schema(
        id=fields.ID(unique=True, stored=True, sortable=True),
        kind=fields.ID(stored=True),
        title=_text(text, stored=True, field_boost=2.0),
        body=_text(text, stored=True),
        bio=_text(text, stored=True),
        **facets,
        date=fields.DATETIME(stored=True, sortable=True),
        url=fields.STORED(),
        meta=fields.STORED(),
        path=fields.ID(stored=True, sortable=True),
        root=fields.ID(stored=True, sortable=True),
        hash=fields.ID(stored=True, sortable=True),
        dedupe=fields.ID(stored=True, sortable=True),
    )
