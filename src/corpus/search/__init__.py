"""Search, engine-neutral: request and result types, the two engine protocols, the deadline, the result cache."""

from .backend import IndexWriter, SearchBackend
from .cache import CachedBackend
from .types import (
    ArticleRecord,
    AuthorMatch,
    AuthorPage,
    AuthorRecord,
    Bucket,
    CorpusStats,
    Export,
    ExportRow,
    Facet,
    FacetValue,
    Hit,
    IndexInfo,
    SearchRequest,
    SearchResult,
    Timeline,
)

__all__ = [
    "ArticleRecord", "AuthorMatch", "AuthorPage", "AuthorRecord", "Bucket", "CachedBackend", "CorpusStats", "Export",
    "ExportRow", "Facet", "FacetValue", "Hit", "IndexInfo", "IndexWriter", "SearchBackend", "SearchRequest",
    "SearchResult", "Timeline",
]
