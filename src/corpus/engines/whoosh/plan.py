"""One query plan, shared by search, facet values and export: parse, expand, evaluate, AND the filters.

Evaluation goes to the vector engine (numpy over cached postings) and falls back to Whoosh's
own matchers for the query forms it does not evaluate. The result is a boolean mask over the
snapshot's documents, plus (documents, scores) when a relevance ranking was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.collectors import FilterCollector

from ...config import Settings
from ...errors import BadRequest
from ...search.deadline import Deadline
from ...search.syntax import Node
from ...search.types import SearchRequest
from .expand import expand
from .postings import Unsupported
from .query import DEFAULT_FIELDS, split_date_clauses
from .ranking import Scored
from .schema import ARTICLE, COMPUTED
from .searcher import Generation, Searchers
from .snapshot import Snapshot

CHECK_EVERY = 8192  # matched documents between two looks at the clock



class _FilterWithDeadline(FilterCollector):
    """Whoosh's filter collector, with the query's deadline checked as it goes.

    Whoosh's TimeLimitCollector cannot be combined with a filter: it drives the child's loop
    itself and so skips the filter (selected facets were ignored in ranked results). This
    keeps the filter in charge of the loop and looks at the clock every few thousand matches.
    """

    def __init__(self, child: Any, allow: set[int], deadline: Deadline) -> None:
        super().__init__(child, allow=allow)
        self.deadline = deadline

    def collect_matches(self) -> None:
        child, allow, offset = self.child, self._allow, self.offset
        for count, sub_docnum in enumerate(child.matches()):
            if offset + sub_docnum in allow:
                child.collect(sub_docnum)
            if count % 2048 == 2047:
                self.deadline.check()


@dataclass
class Planned:
    """A search evaluated: the query as parsed, the part left to rank, and the masks."""

    parsed: Node | None  # the analysed syntax tree, for echoing it
    q: wq.Query | None  # expanded, without the date clauses answered from the snapshot
    matched: np.ndarray  # what the query matches, before the filters
    masks: dict[str, np.ndarray]  # one per filter (facet, year, date range)
    selected: np.ndarray  # matched AND every mask
    total: int
    scored: Scored | None  # every match with its score, for a relevance sort


class Planner:
    """Parses and evaluates the query language over one generation."""

    def __init__(self, settings: Settings, searchers: Searchers) -> None:
        self.settings = settings
        self.searchers = searchers

    def plan(self, req: SearchRequest, gen: Generation, deadline: Deadline, rank: bool = True) -> Planned:
        """The request's query and filters, evaluated; with rank, scored too when the sort is by relevance."""
        parsed, expanded = self.query(req.q, gen, deadline)
        if rank:
            q, matched, scored = self.evaluate(expanded, req.sort, gen, deadline)
        else:
            (q, matched), scored = self.match(expanded, gen, deadline), None
        masks = filter_masks(req, gen.snapshot)
        selected = matched.copy()
        for mask in masks.values():
            selected &= mask
        return Planned(parsed, q, matched, masks, selected, int(selected.sum()), scored)

    def compile(self, text: str, gen: Generation,
                fields: tuple[str, ...] = DEFAULT_FIELDS) -> tuple[Node | None, wq.Query | None]:
        """(the analysed syntax tree, its Whoosh query with wildcards, fuzzy terms and ranges not yet expanded)."""
        if len(text) > self.settings.max_query_length:
            raise BadRequest(f"the query is longer than {self.settings.max_query_length} characters", param="q")
        return self.searchers.parser(gen.searcher.schema, fields).parse(text, gen.snapshot.languages)

    def parse(self, text: str, gen: Generation, fields: tuple[str, ...] = DEFAULT_FIELDS) -> wq.Query | None:
        """The Whoosh query of a text, with its wildcards, fuzzy terms and ranges not yet expanded."""
        return self.compile(text, gen, fields)[1]

    def query(self, text: str, gen: Generation, deadline: Deadline,
              fields: tuple[str, ...] = DEFAULT_FIELDS) -> tuple[Node | None, wq.Query | None]:
        """(the analysed syntax tree, its Whoosh query with every wildcard, fuzzy term and range expanded).

        Everything downstream (evaluation, Whoosh's matchers, snippets) sees the expanded form,
        made under the search's deadline and expansion caps (see expand.py).
        """
        tree, parsed = self.compile(text, gen, fields)
        deadline.check()
        if parsed is None:
            return None, None
        return tree, expand(parsed, gen.searcher.reader(), gen.lexicon, deadline.check)

    def match(self, q: wq.Query | None, gen: Generation, deadline: Deadline) -> tuple[wq.Query | None, np.ndarray]:
        """The articles a parsed query matches, and the part of it left to rank.

        Date clauses ANDed at the top level are answered from the snapshot's day numbers: Whoosh
        would expand a date range into one term per distinct timestamp (16,000 for a month of
        Reuters, most of a second), while a numpy comparison takes microseconds.
        """
        rest, ranges = split_date_clauses(q)
        matched = self.matched(rest, gen, deadline)
        for first, last in ranges:
            matched &= gen.snapshot.date_mask(first, last)
        return rest, matched

    def evaluate(self, parsed: wq.Query | None, sort: str, gen: Generation,
                 deadline: Deadline) -> tuple[wq.Query | None, np.ndarray, Scored | None]:
        """(the part left to rank, the matched mask, (documents, scores) when sorting by relevance).

        For a relevance sort one evaluation gives both the matched set (for facets and counts)
        and the ranking.
        """
        q, ranges = split_date_clauses(parsed)
        if q is None or sort != "relevance":
            q, matched = self.match(parsed, gen, deadline)
            return q, matched, None
        scored = self.scored(q, gen, deadline)
        matched = np.zeros(gen.snapshot.size, dtype=bool)
        matched[scored[0]] = True
        for first, last in ranges:
            matched &= gen.snapshot.date_mask(first, last)
        return q, matched, scored

    def matched(self, q: wq.Query | None, gen: Generation, deadline: Deadline) -> np.ndarray:
        """A boolean mask of the articles the query matches (all of them for an empty query)."""
        snap = gen.snapshot
        if q is None:
            return snap.articles.copy()
        mask = np.zeros(snap.size, dtype=bool)
        try:
            mask[gen.engine(ARTICLE).evaluate(q, scored=False, check=deadline.check).docs] = True
            return mask
        except Unsupported:
            pass
        return _whoosh_matched(gen.engine(ARTICLE).precompute(q, False, deadline.check), gen, deadline)

    def scored(self, q: wq.Query, gen: Generation, deadline: Deadline) -> Scored:
        """Every article the query matches, with its BM25F score: (document numbers, scores)."""
        try:
            found = gen.engine(ARTICLE).evaluate(q, scored=True, check=deadline.check)
            assert found.scores is not None
            return found.docs, found.scores
        except Unsupported:
            pass
        snap = gen.snapshot
        q = gen.engine(ARTICLE).precompute(q, True, deadline.check)
        matched = _whoosh_matched(q, gen, deadline)
        collector = _FilterWithDeadline(gen.searcher.collector(limit=None), snap.article_set, deadline)
        gen.searcher.search_with_collector(q, collector)
        scores = np.zeros(snap.size)
        for score, docnum in collector.results().top_n:
            scores[docnum] = score
        # Whoosh drops matches it scores at zero (a fuzzy term that expands to nothing
        # scorable); they still match, and rank last.
        docs = np.flatnonzero(matched)
        return docs, scores[docs]


def _whoosh_matched(q: wq.Query, gen: Generation, deadline: Deadline) -> np.ndarray:
    """The articles Whoosh's matchers find, for the query forms the vector engine does not
    evaluate (everything it does evaluate is already Precomputed in q)."""
    snap = gen.snapshot
    mask = np.zeros(snap.size, dtype=bool)
    deadline.check()
    matcher = q.matcher(gen.searcher)
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


def filter_masks(req: SearchRequest, snap: Snapshot) -> dict[str, np.ndarray]:
    """One mask per selected facet (OR within), for the year and for the date range."""
    masks: dict[str, np.ndarray] = {}
    for name, values in req.filters:
        if not values or name in COMPUTED:
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
