"""The Whoosh SearchBackend: the only reader of a Whoosh index at serve time.

It answers each call through the same steps: this thread's generation (searcher.py), the query
plan (plan.py), then facets and timeline (facets.py), the page of hits (ranking.py, codec.py)
and the side panels (suggest.py).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from typing import Any

import numpy as np
from whoosh import query as wq

from ... import analysis
from ...analysis import UNDETERMINED
from ...config import Settings
from ...errors import BadRequest, NotFound, QueryTimeout
from ...fields import DEFAULT_FACETS
from ...search import syntax
from ...search.deadline import Deadline
from ...search.types import (
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
from . import codec, concord, highlight
from .facets import facet, timeline
from .plan import Planner
from .ranking import Scored, by_date, ranked
from .schema import ARTICLE, AUTHOR
from .searcher import Searchers
from .snapshot import NO_DATE, Snapshot
from .suggest import author_matches, suggest


class WhooshBackend:
    """Searches, facets, timelines, article and author look-ups over the served Whoosh index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.searchers = Searchers(settings)
        self.planner = Planner(settings, self.searchers)
        self.tables = concord.Tables()

    def index_info(self) -> IndexInfo:
        """Which build is served, how big it is and when it last changed."""
        return self.searchers.current().info()

    def version(self) -> str:
        """A token that changes whenever the served index changes (build and generation), for ETags."""
        return self.searchers.current().version

    # ----- searching
    def search(self, req: SearchRequest) -> SearchResult:
        """Run one search: hits for the page, facet counts, timeline, suggestion, author matches."""
        started = time.perf_counter()
        gen = self.searchers.current()
        deadline = Deadline(self.settings.query_time_limit)
        plan = self.planner.plan(req, gen, deadline)
        deadline.check()
        snap = gen.snapshot
        hits = self._page(req, plan.q, gen.searcher, snap, plan.selected, plan.total, plan.scored)
        facets = {name: facet(name, req, snap, plan.matched, plan.masks) for name in req.facets}
        line = timeline(snap, plan.selected) if req.timeline else None
        suggestion = suggest(self.planner, req.q, gen, plan.total, deadline) if plan.parsed is not None else None
        authors = author_matches(self.planner, req.q, gen, deadline) if (req.authors and plan.q is not None) else []
        return SearchResult(
            request=req, parsed=syntax.render(plan.parsed), total=plan.total, hits=hits, facets=facets, timeline=line,
            suggestion=suggestion, authors=authors, took_ms=round((time.perf_counter() - started) * 1000, 2),
            index=gen.info(),
        )

    def _page(self, req: SearchRequest, q: wq.Query | None, searcher: Any, snap: Snapshot,
              selected: np.ndarray, total: int, scored: Scored | None) -> list[Hit]:
        start = (req.page - 1) * req.per_page
        if start >= total:
            return []
        scores: dict[int, float] = {}
        if scored is not None:
            docs, values = ranked(scored, selected, snap.id_rank, start + req.per_page)
            docnums = docs[start:].tolist()
            scores = dict(zip(docnums, values[start:].tolist(), strict=True))
        else:
            docnums = by_date(req, snap, selected)[start:start + req.per_page].tolist()
        terms = highlight.query_terms(q, searcher) if (q is not None and req.highlight) else None
        return [_hit(searcher, d, scores.get(d), terms) for d in docnums]

    def facet_values(self, name: str, req: SearchRequest, prefix: str = "", page: int = 1, size: int = 50) -> Facet:
        """Every value of one facet for a search, paged, optionally filtered by a prefix."""
        gen = self.searchers.current()
        plan = self.planner.plan(req, gen, Deadline(self.settings.query_time_limit), rank=False)
        return facet(name, req, gen.snapshot, plan.matched, plan.masks, size=size, prefix=prefix, offset=(page - 1) * size)

    def export(self, req: SearchRequest, cap: int = 0, bodies: bool = False) -> Export:
        """Every matching article in the request's order (not one page), as a lazy iterator."""
        gen = self.searchers.current()
        snap, searcher = gen.snapshot, gen.searcher
        plan = self.planner.plan(req, gen, Deadline(max(60.0, self.settings.query_time_limit)))
        if plan.scored is None:
            order = by_date(req, snap, plan.selected).tolist()
            scores: dict[int, float] = {}
        else:
            docs, values = ranked(plan.scored, plan.selected, snap.id_rank, plan.total)
            order = docs.tolist()
            scores = dict(zip(order, values.tolist(), strict=True))
        if cap:
            order = order[:cap]

        def rows() -> Iterator[ExportRow]:
            # Each row reads its stored fields on demand, from the searcher the export started
            # with (even if an ingest lands meanwhile): memory stays flat whatever the total.
            for docnum in order:
                stored = searcher.stored_fields(docnum)
                body = stored.get("body") or ""
                yield ExportRow(codec.hit(stored, highlight.opening(body), scores.get(docnum)), body if bodies else None)

        return Export(total=plan.total, rows=rows())

    def matches(self, req: SearchRequest) -> Matches:
        """The documents a search matches and the patterns its query looks for, for the concordance views."""
        gen = self.searchers.current()
        snap = gen.snapshot
        plan = self.planner.plan(req, gen, Deadline(self.settings.query_time_limit), rank=False)
        subcorpus = snap.articles.copy()
        for mask in plan.masks.values():
            subcorpus &= mask
        ids, facets = self.tables.get(gen.version, gen.searcher.reader(), snap)
        return Matches(
            request=req, parsed=syntax.render(plan.parsed), version=gen.version, build=str(gen.build),
            index=gen.info(), ids=ids, matched=plan.selected & snap.articles, subcorpus=subcorpus,
            days=concord.days(snap), facets=facets, patterns=concord.patterns(plan.q),
        )

    def documents(self, doc_ids: list[str]) -> Iterator[ExportRow]:
        """Each article's hit (its metadata) and body, in the order asked, from this thread's searcher."""
        gen = self.searchers.current()
        searcher = gen.searcher
        # By the served version's numbers (what Matches numbers documents by): a look-up of the id
        # term per document was a third of an export's time.
        numbers = self.tables.numbers(gen.version, searcher.reader(), gen.snapshot)
        for doc_id in doc_ids:
            docnum = numbers.get(doc_id)
            if docnum is None:
                raise NotFound(f"no article with id {doc_id!r}")
            stored = searcher.stored_fields(docnum)
            yield ExportRow(codec.hit(stored, "", None), stored.get("body") or "")

    # ----- single documents
    def article(self, doc_id: str) -> ArticleRecord:
        """One article by id, or NotFound."""
        stored = self.searchers.current().searcher.document(id=doc_id)
        if not stored or stored.get("kind") != ARTICLE:
            raise NotFound(f"no article with id {doc_id!r}")
        return codec.article_record(stored)

    def highlight_article(self, record: ArticleRecord, q: str) -> list[str] | None:
        """The article's paragraphs as escaped HTML with the query's words marked, or None."""
        gen = self.searchers.current()
        try:
            _, expanded = self.planner.query(q, gen, Deadline(self.settings.query_time_limit))
        except (BadRequest, QueryTimeout):
            return None
        if expanded is None:
            return None
        terms = highlight.query_terms(expanded, gen.searcher)
        return [highlight.mark_all(p, terms, record.language) for p in record.paragraphs]

    def more_like_this(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """Articles whose words are most like this one's."""
        searcher = self.searchers.current().searcher
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            raise NotFound(f"no article with id {doc_id!r}")
        stored = searcher.stored_fields(docnum)
        body = stored.get("body") or ""
        if not body:
            return []
        language = stored.get("language") or UNDETERMINED
        terms = distinctive_terms(searcher, body, language, MORE_LIKE_TERMS)
        if not terms:
            return []
        q = wq.Or([wq.Term("body", term, boost=weight) for term, weight in terms])
        # Articles in the same language only: a name or a number shared across languages is no likeness.
        same = wq.And([wq.Term("kind", ARTICLE), wq.Term("language", language)])
        results = searcher.search(q, limit=limit + 1, filter=same)
        return [_hit(searcher, hit.docnum, hit.score, None) for hit in results if hit.docnum != docnum][:limit]

    def author(self, slug: str) -> AuthorRecord:
        """One author by slug, or NotFound."""
        stored = self.searchers.current().searcher.document(id=codec.author_doc_id(slug))
        if not stored:
            raise NotFound(f"no author {slug!r}")
        return codec.author_record(stored)

    def authors(self, prefix: str = "", page: int = 1, per_page: int = 50) -> AuthorPage:
        """All authors, by number of articles then name, optionally by name prefix."""
        searcher = self.searchers.current().searcher
        records = [codec.author_record(s) for s in searcher.documents(kind=AUTHOR)]
        if prefix:
            folded = prefix.casefold()
            records = [r for r in records if r.name.casefold().startswith(folded)
                       or any(w.startswith(folded) for w in r.name.casefold().split())]
        records.sort(key=lambda r: (-r.article_count, r.name.casefold()))
        start = (page - 1) * per_page
        return AuthorPage(total=len(records), authors=records[start:start + per_page])

    def stats(self) -> CorpusStats:
        """Counts and span of the whole corpus, top facet values and its timeline."""
        gen = self.searchers.current()
        snap = gen.snapshot
        everything = SearchRequest(facet_size=10)
        masks: dict[str, np.ndarray] = {}
        facets = {name: facet(name, everything, snap, snap.articles, masks) for name in DEFAULT_FACETS}
        span = snap.date_span(snap.articles)
        return CorpusStats(
            index=gen.info(), documents=snap.article_count, authors=snap.author_count,
            sources=facets["source"].distinct, regions=facets["region"].distinct,
            undated=int((snap.articles & (snap.days == NO_DATE)).sum()),
            date_span=[span[0].isoformat(), span[1].isoformat()] if span else None,
            facets=facets, timeline=timeline(snap, snap.articles),
        )


# Whoosh's default of 5 key terms picked rare words of little meaning; 25 describe an article.
MORE_LIKE_TERMS = 25


def distinctive_terms(searcher: Any, text: str, language: str, count: int) -> list[tuple[str, float]]:
    """The text's most distinctive terms in its language, by tf-idf, without stop words: (term, weight)."""
    tf: dict[str, int] = {}
    for token in analysis.analyze(text, language):
        if not analysis.is_stop_word(token.text, language) and len(token.term) > 1:
            tf[token.term] = tf.get(token.term, 0) + 1
    if not tf:
        return []
    total = max(1, searcher.doc_count_all())
    weighted = []
    for term, n in tf.items():
        df = searcher.doc_frequency("body", term)
        if df:
            weighted.append((term, n * math.log(1 + total / df)))
    weighted.sort(key=lambda p: (-p[1], p[0]))
    top = weighted[:count]
    most = top[0][1] if top else 1.0
    return [(term, weight / most) for term, weight in top]


def _hit(searcher: Any, docnum: int, score: float | None, terms: Any) -> Hit:
    stored = searcher.stored_fields(docnum)
    body = stored.get("body") or ""
    language = stored.get("language") or UNDETERMINED
    snippet = highlight.snippet(body, terms, language=language) if terms is not None else highlight.opening(body)
    return codec.hit(stored, snippet, score)
