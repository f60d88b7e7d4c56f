"""The result cache: a wrapper that answers repeated searches from memory, for any engine."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace

from .backend import SearchBackend
from .types import (
    ArticleRecord,
    AuthorPage,
    AuthorRecord,
    CorpusStats,
    Export,
    ExportRow,
    Facet,
    Hit,
    IndexInfo,
    Matches,
    SearchRequest,
    SearchResult,
)


class CachedBackend:
    """A SearchBackend whose search() keeps its last `size` results per index version.

    A repeated search (the back button, a shared link, a script polling) is answered from
    memory until the next ingest changes the index; then everything older is dropped. Every
    other call goes to the engine unchanged.
    """

    def __init__(self, backend: SearchBackend, size: int) -> None:
        self.backend = backend
        self.size = size
        self._lock = threading.Lock()
        self._results: OrderedDict[tuple[str, SearchRequest], SearchResult] = OrderedDict()

    def search(self, req: SearchRequest) -> SearchResult:
        """The engine's answer, from memory when this version of the index answered it already."""
        if not self.size:
            return self.backend.search(req)
        started = time.perf_counter()
        key = (self.backend.version(), req)
        with self._lock:
            cached = self._results.get(key)
            if cached is not None:
                self._results.move_to_end(key)
        if cached is not None:
            return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 2))
        result = self.backend.search(req)
        with self._lock:
            if self._results and next(iter(self._results))[0] != key[0]:
                self._results.clear()  # the index changed: nothing older can be served again
            self._results[key] = result
            while len(self._results) > self.size:
                self._results.popitem(last=False)
        return result

    # Everything else is the engine's own answer.
    def facet_values(self, name: str, req: SearchRequest, prefix: str = "", page: int = 1, size: int = 50) -> Facet:
        """See SearchBackend.facet_values."""
        return self.backend.facet_values(name, req, prefix=prefix, page=page, size=size)

    def export(self, req: SearchRequest, cap: int = 0, bodies: bool = False) -> Export:
        """See SearchBackend.export."""
        return self.backend.export(req, cap, bodies)

    def matches(self, req: SearchRequest) -> Matches:
        """See SearchBackend.matches."""
        return self.backend.matches(req)

    def documents(self, doc_ids: list[str]) -> Iterator[ExportRow]:
        """See SearchBackend.documents."""
        return self.backend.documents(doc_ids)

    def article(self, doc_id: str) -> ArticleRecord:
        """See SearchBackend.article."""
        return self.backend.article(doc_id)

    def highlight_article(self, record: ArticleRecord, q: str) -> list[str] | None:
        """See SearchBackend.highlight_article."""
        return self.backend.highlight_article(record, q)

    def more_like_this(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """See SearchBackend.more_like_this."""
        return self.backend.more_like_this(doc_id, limit)

    def author(self, slug: str) -> AuthorRecord:
        """See SearchBackend.author."""
        return self.backend.author(slug)

    def authors(self, prefix: str = "", page: int = 1, per_page: int = 50) -> AuthorPage:
        """See SearchBackend.authors."""
        return self.backend.authors(prefix, page, per_page)

    def stats(self) -> CorpusStats:
        """See SearchBackend.stats."""
        return self.backend.stats()

    def index_info(self) -> IndexInfo:
        """See SearchBackend.index_info."""
        return self.backend.index_info()

    def version(self) -> str:
        """See SearchBackend.version."""
        return self.backend.version()
