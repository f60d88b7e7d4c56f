"""The two protocols every engine implements: SearchBackend (read) and IndexWriter (write).

The web app, the CLI and ingest see only these and the plain values of search.types; each
engine under corpus/engines/<name>/ implements them (see docs/architecture.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from ..documents import Article, Author, Byline, IndexedDoc
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


class SearchBackend(Protocol):
    """The read side: searches, facet values, exports and documents of the served index."""

    def search(self, req: SearchRequest) -> SearchResult:
        """One page of hits with exact total, facet counts (multi-select), timeline, suggestion, author matches."""

    def facet_values(self, name: str, req: SearchRequest, prefix: str = "", page: int = 1, size: int = 50) -> Facet:
        """Every value of one facet for a search, most frequent first, paged, optionally by prefix."""

    def export(self, req: SearchRequest, cap: int = 0, bodies: bool = False) -> Export:
        """Every matching article in the request's order (up to cap rows when cap > 0), read lazily."""

    def matches(self, req: SearchRequest) -> Matches:
        """The documents a search matches (by the engine's numbers, with ids, dates and facet
        columns) and the patterns its query looks for: what the concordance views start from."""

    def documents(self, doc_ids: list[str]) -> Iterator[ExportRow]:
        """Each article's hit and body, in the order asked (NotFound for an unknown id)."""

    def article(self, doc_id: str) -> ArticleRecord:
        """One article by id, or NotFound."""

    def highlight_article(self, record: ArticleRecord, q: str) -> list[str] | None:
        """The article's paragraphs as escaped HTML with the query's words marked, or None."""

    def more_like_this(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """Articles whose words are most like this one's."""

    def author(self, slug: str) -> AuthorRecord:
        """One author by slug, or NotFound."""

    def authors(self, prefix: str = "", page: int = 1, per_page: int = 50) -> AuthorPage:
        """Authors by number of articles then name, optionally by name prefix, paged."""

    def stats(self) -> CorpusStats:
        """Counts and span of the whole corpus, top facet values and its timeline."""

    def index_info(self) -> IndexInfo:
        """Which build is served, how big it is and when it last changed."""

    def version(self) -> str:
        """A token that changes whenever the served index changes, for ETags and caches."""


class IndexWriter(Protocol):
    """The write side: one build of the index, filled, then published (swapped in) or discarded.

    Opening a writer starts a build: empty (a first ingest, or a rebuild) or holding what the
    served index holds. Nothing a writer does is seen by searches until publish().
    """

    fresh: bool  # the build started empty
    name: str  # the build's name, shown in reports and IndexInfo
    live_name: str  # the build served when this one was started ("" when none)
    folder: Path  # the build's folder, where ingest keeps its manifest and word list

    def indexed(self) -> dict[str, IndexedDoc]:
        """What the build already holds: article id -> its hash, path, root and dedupe key."""

    def author_names(self) -> dict[str, str]:
        """slug -> the author name already in the build."""

    def generation(self) -> int:
        """A number that changes with every commit."""

    def counts(self) -> tuple[int, int]:
        """(articles, authors) live in the build."""

    def bylines(self) -> Iterator[Byline]:
        """The authors, date, sources and bios of every article in the build (as last committed)."""

    def begin(self) -> Any:
        """Get ready to put and delete (an engine may start writer processes here)."""

    def put(self, article: Article, digest: str, dedupe: str) -> None:
        """Add an article; a changed article is put again and its old version deleted."""

    def delete(self, doc_id: str) -> None:
        """Remove the indexed version of one article by id (the one indexed() listed)."""

    def commit(self) -> None:
        """Make what was put and deleted durable in the build (not yet served)."""

    def cancel(self) -> None:
        """Forget what was put and deleted since the last commit."""

    def put_authors(self, authors: Iterable[Author]) -> None:
        """Replace every author document with these, and commit."""

    def close(self) -> None:
        """Release the build's files; what was not committed is lost."""

    def publish(self) -> None:
        """Serve the build: the swap is atomic, readers see the old or the new build, never a mix."""

    def discard(self) -> None:
        """Throw the build away; the served index is untouched."""
