"""The search service: the only reader of the index at serve time.

One searcher per thread, all sharing one Snapshot of facet ordinals per index generation. Each
call checks (cheaply) whether an ingest has committed or swapped in a new build, and reopens.
"""

from __future__ import annotations

import re
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
from whoosh import index as whoosh_index
from whoosh import query as wq
from whoosh.collectors import FilterCollector
from whoosh.filedb.filestore import FileStorage

from .. import indexdir, spelling
from ..config import Settings
from ..errors import BadRequest, NoIndex, NotFound, QueryTimeout
from ..fields import DEFAULT_FACETS
from ..schema import ARTICLE, AUTHOR, FACET_SEPARATOR
from . import highlight
from .expand import Lexicon, expand
from .postings import Unsupported
from .query import AUTHOR_FIELDS, DEFAULT_FIELDS, make_parser, parse, render, split_date_clauses
from .snapshot import NO_DATE, Snapshot
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
from .vector import PostingCache, VectorEngine

CHECK_EVERY = 8192  # matched documents between two looks at the clock
MAX_SUGGEST_WORD = 24  # longer words get no spelling suggestion
SUGGEST_SECONDS = 0.5  # a suggestion is a courtesy: no more than this is spent looking for one


class _Deadline:
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def check(self) -> None:
        if time.monotonic() > self.at:
            raise QueryTimeout(
                f"the search took longer than {self.seconds:g} s and was stopped; narrow the query "
                "(fewer wildcards, more specific words) and try again"
            )

    @property
    def left(self) -> float:
        return max(0.001, self.at - time.monotonic())


class _FilterWithDeadline(FilterCollector):
    """Whoosh's filter collector, with the query's deadline checked as it goes.

    Whoosh's TimeLimitCollector cannot be combined with a filter: it drives the child's loop
    itself and so skips the filter (selected facets were ignored in ranked results). This
    keeps the filter in charge of the loop and looks at the clock every few thousand matches.
    """

    def __init__(self, child: Any, allow: set[int], deadline: _Deadline) -> None:
        super().__init__(child, allow=allow)
        self.deadline = deadline

    def collect_matches(self) -> None:
        child, allow, offset = self.child, self._allow, self.offset
        for count, sub_docnum in enumerate(child.matches()):
            if offset + sub_docnum in allow:
                child.collect(sub_docnum)
            if count % 2048 == 2047:
                self.deadline.check()


class _State:
    """What one thread holds open: a searcher on one build, and that generation's snapshot."""

    def __init__(self, build: Path, ix: Any, searcher: Any, snapshot: Snapshot, cache: PostingCache, lexicon: Lexicon) -> None:
        self.build, self.ix, self.searcher, self.snapshot, self.cache = build, ix, searcher, snapshot, cache
        self.lexicon = lexicon  # the generation's words, for expanding wildcards, fuzzy terms and ranges
        self._engines: dict[str, VectorEngine] = {}

    def engine(self, kind: str) -> VectorEngine:
        """The vector engine over this searcher's reader, limited to articles or to authors."""
        engine = self._engines.get(kind)
        if engine is None:
            snap = self.snapshot
            universe = snap.articles if kind == ARTICLE else snap.authors
            engine = self._engines[kind] = VectorEngine(self.searcher.reader(), self.searcher.schema, universe,
                                                        snap.days, NO_DATE, snap.lengths, self.cache, self.lexicon)
        return engine


class SearchService:
    """Searches, facets, timelines, article and author look-ups over the served index."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index_dir = Path(settings.index_dir)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._snapshots: dict[tuple[str, int], tuple[Snapshot, PostingCache, Lexicon]] = {}
        self._parsers: dict[tuple[str, ...], Any] = {}
        self._spelling_build: Path | None = None
        self._spelling = spelling.Words({})
        self._results: OrderedDict[tuple[str, int, SearchRequest], SearchResult] = OrderedDict()

    # ----- opening and reopening
    def _state(self) -> _State:
        build = indexdir.current_build(self.index_dir)
        state: _State | None = getattr(self._local, "state", None)
        if state is not None and state.build == build and state.searcher.up_to_date():
            return state
        if build is None or not whoosh_index.exists_in(str(build)):
            raise NoIndex(f"there is no index in {self.index_dir} yet; run `corpus ingest` to build one")
        if state is not None:
            state.searcher.close()
        # Without mmap: Whoosh wraps each mapped sub-file of a compound segment in a BytesIO, which
        # copies it into private memory, once per searcher (646 MB for the 10x Reuters index).
        ix = FileStorage(str(build), supports_mmap=False, readonly=True).open_index()
        searcher = ix.searcher()
        key = (str(build), searcher.reader().generation())
        with self._lock:
            shared = self._snapshots.get(key)
            if shared is None:
                shared = (Snapshot(searcher.reader()), PostingCache(self.settings.postings_cache_mb * 2**20), Lexicon())
                # Only the newest generation is worth keeping.
                self._snapshots = {key: shared}
        state = _State(build, ix, searcher, *shared)
        self._local.state = state
        return state

    def _parser(self, schema: Any, fields: tuple[str, ...] = ("title", "body")) -> Any:
        parser = self._parsers.get(fields)
        if parser is None:
            parser = self._parsers[fields] = make_parser(schema, fields)
        return parser

    def index_info(self) -> IndexInfo:
        """Which build is served, how big it is and when it last changed."""
        state = self._state()
        return self._info(state)

    def _info(self, state: _State) -> IndexInfo:
        try:
            updated = datetime.fromtimestamp(state.ix.last_modified(), tz=UTC).isoformat(timespec="seconds")
        except (OSError, ValueError):
            updated = None
        return IndexInfo(build=state.build.name, documents=state.snapshot.article_count,
                         authors=state.snapshot.author_count, updated=updated)

    # ----- searching
    def search(self, req: SearchRequest) -> SearchResult:
        """Run one search: hits for the page, facet counts, timeline, suggestion, author matches.

        Results are kept in a small per-process LRU cache keyed by the index build and
        generation, so a repeated search (the back button, a shared link, a script polling)
        is answered from memory until the next ingest changes the index.
        """
        started = time.perf_counter()
        state = self._state()
        key = (str(state.build), state.searcher.reader().generation(), req)
        cached = self._cached(key)
        if cached is not None:
            return replace(cached, took_ms=round((time.perf_counter() - started) * 1000, 2))
        result = self._search(req, state, started)
        self._remember(key, result)
        return result

    def _cached(self, key: tuple[str, int, SearchRequest]) -> SearchResult | None:
        if not self.settings.result_cache:
            return None
        with self._lock:
            result = self._results.get(key)
            if result is not None:
                self._results.move_to_end(key)
            return result

    def _remember(self, key: tuple[str, int, SearchRequest], result: SearchResult) -> None:
        if not self.settings.result_cache:
            return
        with self._lock:
            if self._results and next(iter(self._results))[:2] != key[:2]:
                self._results.clear()  # the index changed: nothing older can be served again
            self._results[key] = result
            while len(self._results) > self.settings.result_cache:
                self._results.popitem(last=False)

    def _search(self, req: SearchRequest, state: _State, started: float) -> SearchResult:
        deadline = _Deadline(self.settings.query_time_limit)
        snap, searcher = state.snapshot, state.searcher
        parsed, expanded = self._query(req.q, state, deadline)
        q, matched, scored = self._evaluate(expanded, req.sort, state, deadline)
        masks = self._filter_masks(req, snap)
        selected = matched.copy()
        for mask in masks.values():
            selected &= mask
        total = int(selected.sum())
        deadline.check()

        hits = self._page(req, q, searcher, snap, selected, total, scored)
        facets = {name: self._facet(name, req, snap, matched, masks) for name in req.facets}
        timeline = self._timeline(snap, selected) if req.timeline else None
        suggestion = self._suggest(req.q, state, total, deadline) if parsed is not None else None
        authors = self._author_matches(req.q, state, deadline) if (req.authors and q is not None) else []
        return SearchResult(
            request=req, parsed=render(parsed), total=total, hits=hits, facets=facets, timeline=timeline,
            suggestion=suggestion, authors=authors, took_ms=round((time.perf_counter() - started) * 1000, 2),
            index=self._info(state),
        )

    def _parse(self, text: str, searcher: Any, fields: tuple[str, ...] = DEFAULT_FIELDS) -> wq.Query | None:
        """The query as parsed (for echoing it), with its wildcards, fuzzy terms and ranges not yet expanded."""
        if len(text) > self.settings.max_query_length:
            raise BadRequest(f"the query is longer than {self.settings.max_query_length} characters", param="q")
        return parse(self._parser(searcher.schema, fields), text)

    def _query(self, text: str, state: _State, deadline: _Deadline,
               fields: tuple[str, ...] = DEFAULT_FIELDS) -> tuple[wq.Query | None, wq.Query | None]:
        """(the query as parsed, the same with every wildcard, fuzzy term and range expanded into its words).

        Everything downstream (evaluation, Whoosh's matchers, snippets) sees the expanded form,
        made under the search's deadline and expansion caps (see search.expand).
        """
        parsed = self._parse(text, state.searcher, fields)
        deadline.check()
        if parsed is None:
            return None, None
        return parsed, expand(parsed, state.searcher.reader(), state.lexicon, deadline.check)

    def _match(self, q: wq.Query | None, state: _State, deadline: _Deadline) -> tuple[wq.Query | None, np.ndarray]:
        """The articles a parsed query matches, and the part of it left to rank.

        Date clauses ANDed at the top level are answered from the snapshot's day numbers: Whoosh
        would expand a date range into one term per distinct timestamp (16,000 for a month of
        Reuters, most of a second), while a numpy comparison takes microseconds.
        """
        rest, ranges = split_date_clauses(q)
        matched = self._matched(rest, state, deadline)
        for first, last in ranges:
            matched &= state.snapshot.date_mask(first, last)
        return rest, matched

    def _evaluate(self, parsed: wq.Query | None, sort: str, state: _State,
                  deadline: _Deadline) -> tuple[wq.Query | None, np.ndarray, tuple[np.ndarray, np.ndarray] | None]:
        """(the part left to rank, the matched mask, (documents, scores) when sorting by relevance).

        For a relevance sort one evaluation gives both the matched set (for facets and counts)
        and the ranking.
        """
        q, ranges = split_date_clauses(parsed)
        if q is None or sort != "relevance":
            q, matched = self._match(parsed, state, deadline)
            return q, matched, None
        scored = self._scored(q, state, deadline)
        matched = np.zeros(state.snapshot.size, dtype=bool)
        matched[scored[0]] = True
        for first, last in ranges:
            matched &= state.snapshot.date_mask(first, last)
        return q, matched, scored

    def _matched(self, q: wq.Query | None, state: _State, deadline: _Deadline) -> np.ndarray:
        """A boolean mask of the articles the query matches (all of them for an empty query)."""
        snap = state.snapshot
        if q is None:
            return snap.articles.copy()
        mask = np.zeros(snap.size, dtype=bool)
        try:
            mask[state.engine(ARTICLE).evaluate(q, scored=False, check=deadline.check).docs] = True
            return mask
        except Unsupported:
            pass
        return self._whoosh_matched(state.engine(ARTICLE).precompute(q, False, deadline.check), state, deadline)

    def _whoosh_matched(self, q: wq.Query, state: _State, deadline: _Deadline) -> np.ndarray:
        """The articles Whoosh's matchers find, for the query forms the vector engine does not
        evaluate (everything it does evaluate is already Precomputed in q)."""
        snap = state.snapshot
        mask = np.zeros(snap.size, dtype=bool)
        deadline.check()
        matcher = q.matcher(state.searcher)
        buffer: list[int] = []
        while matcher.is_active():
            buffer.append(matcher.id())
            if len(buffer) >= CHECK_EVERY:
                mask[buffer] = True
                buffer.clear()
                deadline.check()
            matcher.next()
        if buffer:
            mask[buffer] = True
        return mask & snap.articles

    def _scored(self, q: wq.Query, state: _State, deadline: _Deadline) -> tuple[np.ndarray, np.ndarray]:
        """Every article the query matches, with its BM25F score: (document numbers, scores)."""
        try:
            found = state.engine(ARTICLE).evaluate(q, scored=True, check=deadline.check)
            assert found.scores is not None
            return found.docs, found.scores
        except Unsupported:
            pass
        snap = state.snapshot
        q = state.engine(ARTICLE).precompute(q, True, deadline.check)
        matched = self._whoosh_matched(q, state, deadline)
        collector = _FilterWithDeadline(state.searcher.collector(limit=None), snap.article_set, deadline)
        state.searcher.search_with_collector(q, collector)
        scores = np.zeros(snap.size)
        for score, docnum in collector.results().top_n:
            scores[docnum] = score
        # Whoosh drops matches it scores at zero (a fuzzy term that expands to nothing
        # scorable); they still match, and rank last.
        docs = np.flatnonzero(matched)
        return docs, scores[docs]

    def _filter_masks(self, req: SearchRequest, snap: Snapshot) -> dict[str, np.ndarray]:
        masks: dict[str, np.ndarray] = {}
        for name, values in req.filters:
            if not values or name == "year":
                continue
            column = snap.facets.get(name)
            if column is None:
                raise BadRequest(f"unknown facet {name!r}", param=name)
            ordinals = [column.lookup[v.casefold()] for v in values if v.casefold() in column.lookup]
            masks[name] = column.mask(ordinals, snap.size)
        years = [int(v) for v in req.selected("year") if v.isdigit()] if req.selected("year") else []
        if req.date_from or req.date_to:
            masks["date"] = snap.date_mask(req.date_from, req.date_to)
        if years:
            masks["year"] = np.isin(snap.years, years)
        return masks

    def _facet(self, name: str, req: SearchRequest, snap: Snapshot, matched: np.ndarray,
               masks: dict[str, np.ndarray], size: int | None = None, prefix: str = "", offset: int = 0) -> Facet:
        """Counts over the whole result set, ignoring this facet's own selection (multi-select)."""
        base = matched.copy()
        for other, mask in masks.items():
            if other != name:
                base &= mask
        selected_values = set(req.selected(name))
        if name == "year":
            counts_by_year = np.bincount(snap.years[base & (snap.days != NO_DATE)], minlength=1)
            pairs = [(str(y), int(c)) for y, c in enumerate(counts_by_year) if c and y]
            pairs.sort(key=lambda p: p[0], reverse=True)
        else:
            column = snap.facets.get(name)
            if column is None:
                raise BadRequest(f"unknown facet {name!r}", param="facet")
            counts = column.count(base)
            nonzero = np.nonzero(counts)[0]
            pairs = [(column.values[i], int(counts[i])) for i in nonzero]
            pairs.sort(key=lambda p: (-p[1], p[0].casefold()))
        if prefix:
            folded = prefix.casefold()
            pairs = [p for p in pairs if p[0].casefold().startswith(folded) or any(w.startswith(folded) for w in p[0].casefold().split())]
        distinct = len(pairs)
        limit = req.facet_size if size is None else size
        shown = pairs[offset:offset + limit]
        # Selected values always show, even when their count is outside the top N.
        shown_names = {v for v, _ in shown}
        for value in sorted(selected_values - shown_names):
            count = next((c for v, c in pairs if v == value), 0)
            shown.append((value, count))
        return Facet(name=name, values=[FacetValue(v, c, v in selected_values) for v, c in shown],
                     distinct=distinct, total_values=distinct)

    def _order(self, req: SearchRequest, snap: Snapshot, selected: np.ndarray) -> np.ndarray:
        """Document numbers of the selection sorted by date (newest or oldest), ties by id."""
        docs = np.nonzero(selected)[0]
        days = snap.days[docs].astype(np.int64)
        undated = days == NO_DATE
        key = -days if req.sort != "oldest" else days
        key = np.where(undated, np.iinfo(np.int64).max, key)  # undated last either way
        order = np.lexsort((snap.id_rank[docs], key))
        return docs[order]

    def _page(self, req: SearchRequest, q: wq.Query | None, searcher: Any, snap: Snapshot,
              selected: np.ndarray, total: int, scored: tuple[np.ndarray, np.ndarray] | None) -> list[Hit]:
        start = (req.page - 1) * req.per_page
        if start >= total:
            return []
        scores: dict[int, float] = {}
        if scored is not None:
            docs, values = _ranked(scored, selected, snap.id_rank, start + req.per_page)
            docnums = docs[start:].tolist()
            scores = dict(zip(docnums, values[start:].tolist(), strict=True))
        else:
            docnums = self._order(req, snap, selected)[start:start + req.per_page].tolist()
        terms = highlight.query_terms(q, searcher) if (q is not None and req.highlight) else None
        return [self._hit(searcher, d, scores.get(d), terms) for d in docnums]

    def _hit(self, searcher: Any, docnum: int, score: float | None, terms: Any) -> Hit:
        stored = searcher.stored_fields(docnum)
        body = stored.get("body") or ""
        snippet = highlight.snippet(body, terms) if terms is not None else highlight.opening(body)
        return Hit(
            id=stored["id"], title=stored.get("title") or "", authors=_split(stored.get("author")),
            date=_aware(stored.get("date")), source=stored.get("source") or None, region=_split(stored.get("region")),
            url=stored.get("url"), snippet=snippet, score=score, category=_split(stored.get("category")),
        )

    def _timeline(self, snap: Snapshot, selected: np.ndarray, interval: str | None = None) -> Timeline:
        """Counts per period for the selection, beside the corpus count for the same period."""
        span = snap.date_span(selected)
        undated = int((selected & ~snap.article_dated).sum())
        if span is None:
            return Timeline(interval=interval or "year", buckets=[], undated=undated)
        lo, hi = span
        if interval is None:
            days = (hi - lo).days
            interval = "year" if days > 3 * 366 else "month" if days > 45 else "day"
        unit = {"year": "Y", "month": "M", "day": "D"}[interval]
        numbers, corpus_counts, base = snap.periods(unit)
        first = np.datetime64(lo.isoformat()).astype(f"datetime64[{unit}]")
        last = np.datetime64(hi.isoformat()).astype(f"datetime64[{unit}]")
        n = int((last - first).astype(int)) + 1
        start_number = int(first.astype(np.int64))
        counts = np.bincount(numbers[selected & snap.article_dated] - start_number, minlength=n)
        corpus = np.zeros(n, dtype=np.int64)
        window = corpus_counts[start_number - base:start_number - base + n]
        corpus[:len(window)] = window
        buckets = []
        for i in range(n):
            start = (first + i).astype("datetime64[D]").astype(date)
            end = ((first + i + 1).astype("datetime64[D]") - np.timedelta64(1, "D")).astype(date)
            period = {"year": f"{start.year}", "month": f"{start.year}-{start.month:02d}", "day": start.isoformat()}[interval]
            buckets.append(Bucket(period=period, start=start, end=end, count=int(counts[i]), corpus_count=int(corpus[i])))
        return Timeline(interval=interval, buckets=buckets, undated=undated)

    def _suggest(self, text: str, state: _State, total: int, deadline: _Deadline) -> str | None:
        """A corrected query from index words, offered only when it finds more.

        Each plain word that the index does not hold is replaced by the closest word the corpus
        spells, from the build's word list (see corpus.spelling). Operators, fields and quoted
        text are kept as typed. A courtesy: it never runs past the search's own deadline, and
        gives up (no suggestion) rather than time the search out.
        """
        searcher = state.searcher
        words = self._spellings(state.build)
        give_up = min(time.monotonic() + SUGGEST_SECONDS, deadline.at)
        analyzer = searcher.schema["body"].analyzer
        changed = False

        def fix(m: re.Match[str]) -> str:
            nonlocal changed
            word = m.group(0)
            # The word list holds words of 3 to 24 letters only (see corpus.spelling).
            if word.upper() in ("AND", "OR", "NOT", "TO") or not 3 <= len(word) <= MAX_SUGGEST_WORD or time.monotonic() > give_up:
                return word
            stems = [t.text for t in analyzer(word)]
            if not stems or any(searcher.doc_frequency(f, stems[0]) for f in ("body", "title")):
                return word
            typed = word.lower()
            found = [(w, distance) for w, distance in words.near(typed, 2) if w != typed]
            if not found:
                return word
            # The closest word first, then the one sharing the longest start (typing slips come
            # late in a word more often than early), then the most common.
            counts = words.counts
            best = min(found, key=lambda f: (f[1], -_shared_start(typed, f[0]), -counts.get(f[0], 0)))[0]
            changed = True
            return best

        corrected = re.sub(r'(?<![\w:*~"])[^\W\d_]+(?![\w:*~])', fix, text) if '"' not in text else text
        if not changed:
            return None
        try:
            own = _Deadline(min(1.0, deadline.left))
            _, q = self._query(corrected, state, own)
            if q is None:
                return None
            count = int(self._matched(q, state, own).sum())
        except (BadRequest, QueryTimeout):
            return None
        return corrected if count > total else None

    def _spellings(self, build: Path) -> spelling.Words:
        """The build's words and their counts, grouped by length; read once per build."""
        with self._lock:
            if self._spelling_build != build:
                self._spelling = spelling.Words(spelling.load(build))
                self._spelling_build = build
            return self._spelling

    def _author_matches(self, text: str, state: _State, deadline: _Deadline, limit: int = 5) -> list[AuthorMatch]:
        """Authors whose name, bio or title match: a side panel, so it gives way (no matches) to the deadline."""
        searcher = state.searcher
        try:
            _, q = self._query(text, state, deadline, AUTHOR_FIELDS)
            if q is None:
                return []
            try:
                found = state.engine(AUTHOR).evaluate(q, scored=True, check=deadline.check)
                assert found.scores is not None
                docnums = found.docs[_best(found.docs, found.scores, state.snapshot.id_rank, limit)].tolist()
            except Unsupported:
                ready = state.engine(AUTHOR).precompute(q, True, deadline.check)
                docnums = [hit.docnum for hit in searcher.search(ready, filter=wq.Term("kind", AUTHOR), limit=limit)]
        except (BadRequest, QueryTimeout):
            return []
        terms = highlight.query_terms(q, searcher, fields=("bio",))
        out = []
        for docnum in docnums:
            stored = searcher.stored_fields(docnum)
            meta = stored.get("meta") or {}
            out.append(AuthorMatch(slug=meta.get("slug", ""), name=meta.get("name", stored.get("title", "")),
                                   bio=highlight.snippet(stored.get("bio") or "", terms, field="bio"),
                                   article_count=int(meta.get("article_count", 0))))
        return out

    # ----- single documents
    def article(self, doc_id: str) -> ArticleRecord:
        """One article by id, or NotFound."""
        state = self._state()
        stored = state.searcher.document(id=doc_id)
        if not stored or stored.get("kind") != ARTICLE:
            raise NotFound(f"no article with id {doc_id!r}")
        meta = stored.get("meta") or {}
        return ArticleRecord(
            id=stored["id"], title=stored.get("title") or "", body=stored.get("body") or "",
            authors=_split(stored.get("author")), date=_aware(stored.get("date")),
            source=stored.get("source") or None, region=_split(stored.get("region")),
            region_inferred=bool(meta.get("region_inferred")), category=_split(stored.get("category")),
            url=stored.get("url"), bios=meta.get("bios") or {}, extra=meta.get("extra") or {},
            origin=meta.get("origin", ""),
        )

    def highlight_article(self, record: ArticleRecord, q: str) -> list[str] | None:
        """The article's paragraphs as escaped HTML with the query's words marked, or None."""
        state = self._state()
        try:
            _, expanded = self._query(q, state, _Deadline(self.settings.query_time_limit))
        except (BadRequest, QueryTimeout):
            return None
        if expanded is None:
            return None
        terms = highlight.query_terms(expanded, state.searcher)
        return [highlight.mark_all(p, terms) for p in record.paragraphs]

    def more_like_this(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """Articles whose words are most like this one's."""
        state = self._state()
        searcher = state.searcher
        docnum = searcher.document_number(id=doc_id)
        if docnum is None:
            raise NotFound(f"no article with id {doc_id!r}")
        body = searcher.stored_fields(docnum).get("body") or ""
        if not body:
            return []
        # Whoosh's default of 5 key terms picks rare words of little meaning; 25 describe the article.
        results = searcher.more_like(docnum, "body", text=body, top=limit + 1, numterms=25, filter=wq.Term("kind", ARTICLE))
        return [self._hit(searcher, hit.docnum, hit.score, None) for hit in results if hit.docnum != docnum][:limit]

    def author(self, slug: str) -> AuthorRecord:
        """One author by slug, or NotFound."""
        state = self._state()
        stored = state.searcher.document(id=f"author:{slug}")
        if not stored:
            raise NotFound(f"no author {slug!r}")
        return _author_record(stored)

    def authors(self, prefix: str = "", page: int = 1, per_page: int = 50) -> tuple[int, list[AuthorRecord]]:
        """All authors, by number of articles then name, optionally by name prefix."""
        state = self._state()
        records = [_author_record(s) for s in state.searcher.documents(kind=AUTHOR)]
        if prefix:
            folded = prefix.casefold()
            records = [r for r in records if r.name.casefold().startswith(folded)
                       or any(w.startswith(folded) for w in r.name.casefold().split())]
        records.sort(key=lambda r: (-r.article_count, r.name.casefold()))
        start = (page - 1) * per_page
        return len(records), records[start:start + per_page]

    def facet_values(self, name: str, req: SearchRequest, prefix: str = "", page: int = 1, size: int = 50) -> Facet:
        """Every value of one facet for a search, paged, optionally filtered by a prefix."""
        state = self._state()
        snap = state.snapshot
        deadline = _Deadline(self.settings.query_time_limit)
        _, matched = self._match(self._query(req.q, state, deadline)[1], state, deadline)
        masks = self._filter_masks(req, snap)
        return self._facet(name, req, snap, matched, masks, size=size, prefix=prefix, offset=(page - 1) * size)

    def stats(self) -> dict[str, Any]:
        """Counts and span of the whole corpus, top facet values and its timeline."""
        state = self._state()
        snap = state.snapshot
        everything = SearchRequest(facet_size=10)
        masks: dict[str, np.ndarray] = {}
        facets = {name: self._facet(name, everything, snap, snap.articles, masks) for name in DEFAULT_FACETS}
        span = snap.date_span(snap.articles)
        return {
            "index": self._info(state),
            "documents": snap.article_count,
            "authors": snap.author_count,
            "sources": facets["source"].distinct,
            "regions": facets["region"].distinct,
            "undated": int((snap.articles & (snap.days == NO_DATE)).sum()),
            "date_span": [span[0].isoformat(), span[1].isoformat()] if span else None,
            "facets": facets,
            "timeline": self._timeline(snap, snap.articles),
        }

    def export(self, req: SearchRequest, cap: int = 0) -> tuple[int, Iterator[Hit]]:
        """Every matching article in the request's order (not one page), as a lazy iterator."""
        state = self._state()
        snap, searcher = state.snapshot, state.searcher
        deadline = _Deadline(max(60.0, self.settings.query_time_limit))
        _, selected, scored = self._evaluate(self._query(req.q, state, deadline)[1], req.sort, state, deadline)
        for mask in self._filter_masks(req, snap).values():
            selected &= mask
        total = int(selected.sum())
        if scored is None:
            order = self._order(req, snap, selected).tolist()
            scores: dict[int, float] = {}
        else:
            docs, values = _ranked(scored, selected, snap.id_rank, total)
            order = docs.tolist()
            scores = dict(zip(order, values.tolist(), strict=True))
        if cap:
            order = order[:cap]

        def rows() -> Iterator[Hit]:
            # Each row reads its stored fields on demand: memory stays flat whatever the total.
            for docnum in order:
                yield self._hit(searcher, docnum, scores.get(docnum), None)

        return total, rows()

    # ----- added for the JSON API (web/api.py)
    def version(self) -> str:
        """A token that changes whenever the served index changes (build and generation), for ETags."""
        state = self._state()
        return f"{state.build.name}:{state.searcher.reader().generation()}"

    def export_bodies(self, req: SearchRequest, cap: int = 0) -> tuple[int, Iterator[tuple[Hit, str]]]:
        """export(), with each article's whole body beside its hit, still read one document at a time."""
        total, hits = self.export(req, cap)
        searcher = self._local.state.searcher  # the very searcher export() holds, even if an ingest lands meanwhile

        def rows() -> Iterator[tuple[Hit, str]]:
            for hit in hits:
                docnum = searcher.document_number(id=hit.id)
                yield hit, (searcher.stored_fields(docnum).get("body") or "") if docnum is not None else ""

        return total, rows()


def _ranked(scored: tuple[np.ndarray, np.ndarray], selected: np.ndarray, id_rank: np.ndarray,
            limit: int) -> tuple[np.ndarray, np.ndarray]:
    """The first `limit` selected documents of a scored match, best first, with their scores."""
    docs, values = scored
    keep = selected[docs]
    docs, values = docs[keep], values[keep]
    order = _best(docs, values, id_rank, limit)
    return docs[order], values[order]


def _best(docs: np.ndarray, scores: np.ndarray, id_rank: np.ndarray, limit: int) -> np.ndarray:
    """Indexes of the `limit` best-scored documents, best first, equal scores in id order.

    Scores are compared rounded to 6 places, so float noise in sums never reorders ties.
    """
    rounded = np.round(scores, 6)
    if limit < len(docs):
        # Every document scoring at least the limit-th best score may belong on the page.
        kth = np.partition(-rounded, limit - 1)[limit - 1]
        candidates = np.flatnonzero(-rounded <= kth)
    else:
        candidates = np.arange(len(docs))
    order = np.lexsort((id_rank[docs[candidates]], -rounded[candidates]))[:limit]
    return candidates[order]


def _shared_start(a: str, b: str) -> int:
    """How many letters two words share at their start."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _split(value: str | None) -> list[str]:
    return [v for v in (value or "").split(FACET_SEPARATOR) if v]


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _author_record(stored: dict[str, Any]) -> AuthorRecord:
    meta = stored.get("meta") or {}
    return AuthorRecord(
        slug=meta.get("slug", ""), name=meta.get("name", stored.get("title", "")), bio=stored.get("bio") or "",
        url=meta.get("url"), article_count=int(meta.get("article_count", 0)), first_date=meta.get("first_date"),
        last_date=meta.get("last_date"), sources=list(meta.get("sources") or []),
    )

