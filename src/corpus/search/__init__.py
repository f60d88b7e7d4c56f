"""Search: the query language, facet counting, timelines and highlights behind one service."""

from .service import SearchService
from .types import (
    ArticleRecord,
    AuthorMatch,
    AuthorRecord,
    Bucket,
    Facet,
    FacetValue,
    Hit,
    IndexInfo,
    SearchRequest,
    SearchResult,
    Timeline,
)

__all__ = [
    "ArticleRecord", "AuthorMatch", "AuthorRecord", "Bucket", "Facet", "FacetValue", "Hit", "IndexInfo",
    "SearchRequest", "SearchResult", "SearchService", "Timeline",
]
