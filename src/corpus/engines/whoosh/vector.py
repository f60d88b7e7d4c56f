"""Parsed queries evaluated over whole posting lists with numpy set operations and vector BM25F.

Each node of a Whoosh query tree becomes a Matches (sorted document numbers, with a score per
document when ranking). AND is an intersection, OR a union, NOT a difference, a phrase a join on
(document, position - offset), and scores add up the way Whoosh's matchers add them, so the
ranking is Whoosh's BM25F. Nodes this module does not evaluate raise Unsupported and the search
falls back to Whoosh's matchers for that query.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from whoosh import query as wq
from whoosh.matching import ListMatcher, NullMatcher

from .exact import is_exact
from .expand import MULTI_TERMS, Lexicon, as_terms, map_children, words_for
from .postings import PostingReader, Stored, TermPostings, Unsupported, positions
from .query import Unscored
from .snapshot import FacetColumn

B, K1 = 0.75, 1.2  # Whoosh's BM25F defaults, which the searcher uses


@dataclass
class Matches:
    """Sorted, unique document numbers and, when scoring, their scores (same order)."""

    docs: np.ndarray
    scores: np.ndarray | None

    @classmethod
    def none(cls, scored: bool) -> Matches:
        return cls(np.zeros(0, dtype=np.int64), np.zeros(0) if scored else None)


class PostingCache:
    """Decoded posting lists of recently used words, shared by a process's threads for one index generation.

    Decoding is most of what a common word costs (about 6 ms for "said" on Reuters); the same
    words recur across different searches. Bounded by an estimate of the bytes held.
    """

    PER_POSTING = 112  # bytes: a document number, a weight, the raw positions value, and its decoded positions

    def __init__(self, limit_bytes: int) -> None:
        self.limit = limit_bytes
        self.held = 0
        self._items: OrderedDict[tuple[str, bytes], TermPostings] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, bytes]) -> TermPostings | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, bytes], postings: TermPostings) -> None:
        size = len(postings.docs) * self.PER_POSTING
        if size > self.limit:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = postings
            self.held += size
            while self.held > self.limit:
                _, dropped = self._items.popitem(last=False)
                self.held -= len(dropped.docs) * self.PER_POSTING


class VectorEngine:
    """Evaluates queries for one reader; `universe` marks the documents any query may return."""

    def __init__(self, reader: Any, schema: Any, universe: np.ndarray, days: np.ndarray, no_date: int,
                 lengths: dict[str, np.ndarray], cache: PostingCache | None = None, lexicon: Lexicon | None = None,
                 facets: dict[str, FacetColumn] | None = None, stored: Stored | None = None) -> None:
        self.reader = reader
        self.schema = schema
        self.postings = PostingReader(reader, stored)
        self.universe = universe
        self.days, self.no_date = days, no_date
        self._lengths = lengths  # shared per index generation: field -> lengths of every document
        self._cache = cache
        self._lexicon = lexicon if lexicon is not None else Lexicon()
        self._terms: dict[tuple[str, bytes], TermPostings] = {}
        self.count_all = max(1, reader.doc_count_all())
        self._avgfl: dict[str, float] = {}  # field -> average length, as Whoosh's BM25F computes it
        # A filter on facet values inside a query (a word's variant kept to its languages) is a
        # mask over the snapshot's facet column, not a union of postings read for every search.
        self._facets = facets or {}
        self._masks: OrderedDict[tuple[str, tuple[str, ...]], np.ndarray] = OrderedDict()
        self._masks_lock = threading.Lock()
        self._check: Callable[[], None] = _nothing
        self._within: np.ndarray | None = None  # while evaluating under a facet mask: only its documents matter

    def evaluate(self, q: wq.Query, scored: bool, check: Callable[[], None] | None = None) -> Matches:
        """The documents of the universe the query matches, with BM25F scores when asked.

        `check` is called before each word's postings are looked up, so a deadline can stop a query
        that expands to thousands of words.
        """
        self._terms = {}  # postings are kept only for the length of one evaluation
        self._check = check or _nothing
        self._within = None
        m = self._eval(q, scored)
        keep = self.universe[m.docs]
        return Matches(m.docs[keep], m.scores[keep] if m.scores is not None else None)

    def precompute(self, q: wq.Query, scored: bool, check: Callable[[], None] | None = None) -> wq.Query:
        """The query with every part this engine evaluates replaced by its result, for Whoosh's matchers.

        A query holding a node the engine does not evaluate (a phrase with slop) goes to Whoosh's
        matchers, which would build one matcher per expanded word with no look at the clock (a
        slop phrase beside `s*` took 4.5 s over a 1 s limit). Here only the unsupported nodes and
        the nodes above them are left to Whoosh; everything below is evaluated first, under the
        deadline, into a Precomputed leaf carrying the same documents and scores.
        """
        self._check = check or _nothing
        self._terms = {}
        return self._precompute(q, scored)

    def _precompute(self, q: wq.Query, scored: bool) -> wq.Query:
        if isinstance(q, Precomputed):
            return q
        if self._supported(q):
            m = self._eval(q, scored)
            return Precomputed(m, [(id(leaf), offset, leaf.doc_count_all()) for leaf, offset in self.postings.leaves])
        return map_children(q, lambda sub: self._precompute(sub, scored))

    def _supported(self, q: wq.Query) -> bool:
        """Whether _eval takes this node and all below it (without evaluating anything)."""
        if isinstance(q, wq.Phrase):
            return q.slop == 1 and bool(q.words)
        if isinstance(q, (wq.Term, wq.Every, wq.DateRange, Precomputed, *MULTI_TERMS)):
            return True
        if isinstance(q, wq.ConstantScoreQuery):
            return self._supported(q.child)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return True
        if isinstance(q, wq.Or) and not (type(q) in (wq.Or, wq.DefaultOr) and not q.minmatch and not q.scale):
            return False
        if isinstance(q, (wq.And, wq.Or, wq.AndNot, wq.Require, wq.AndMaybe)):
            return all(self._supported(s) for s in q.subqueries)
        if isinstance(q, wq.Not):
            return self._supported(q.query)
        return False

    # ----- nodes
    def _eval(self, q: wq.Query, scored: bool) -> Matches:
        if isinstance(q, Precomputed):
            return q.matches if (q.matches.scores is not None or not scored) else Matches(q.matches.docs, np.ones(len(q.matches.docs)))
        if isinstance(q, wq.Term):
            return self._term(q.fieldname, q.text, q.boost, scored)
        if isinstance(q, wq.ConstantScoreQuery):  # an expanded range: each match scores the range's boost
            inner = self._eval(q.child, False)
            return Matches(inner.docs, np.full(len(inner.docs), float(q.score)) if scored else None)
        if isinstance(q, wq.Phrase):
            return self._phrase(q, scored)
        if isinstance(q, MULTI_TERMS):
            # The search service expands these before evaluating (search.expand); a query given
            # here unexpanded is expanded the same way, under the same clock and caps.
            return self._eval(as_terms(q, words_for(q, self.reader, self._lexicon, self._check)), scored)
        if isinstance(q, wq.And):
            masks = [self._facet_mask(s) for s in q.subqueries]
            rest = [s for s, m in zip(q.subqueries, masks, strict=True) if m is None]
            if rest and len(rest) < len(masks):
                # The rest is only wanted inside the mask: terms and phrases below look at those
                # documents only (a variant kept to a few articles in Hungarian then reads the
                # positions of "the" for those articles, not for all of them).
                outer = self._within
                for mask in masks:
                    if mask is not None:
                        self._within = mask if self._within is None else (self._within & mask)
                try:
                    found = self._combine([self._eval(s, scored) for s in rest], "and", q.boost, scored)
                finally:
                    self._within = outer
                for mask in masks:
                    if mask is not None:
                        keep = mask[found.docs]
                        found = Matches(found.docs[keep], found.scores[keep] if found.scores is not None else None)
                return found
            return self._combine([self._eval(s, scored) for s in q.subqueries], "and", q.boost, scored)
        if isinstance(q, wq.Or) and type(q) in (wq.Or, wq.DefaultOr) and not q.minmatch and not q.scale:
            if len(q.subqueries) > 1 and all(type(s) is wq.Term for s in q.subqueries):
                return self._words(q.subqueries, q.boost, scored)
            return self._combine([self._eval(s, scored) for s in q.subqueries], "or", q.boost, scored)
        if isinstance(q, wq.AndNot):
            return _minus(self._eval(q.a, scored), self._eval(q.b, False))
        if isinstance(q, wq.Require):
            required = self._eval(q.b, False)
            return _restrict(self._eval(q.a, scored), required.docs)
        if isinstance(q, wq.AndMaybe):
            return _maybe(self._eval(q.a, scored), self._eval(q.b, scored) if scored else None)
        if isinstance(q, wq.Not):
            everything = Matches(np.flatnonzero(self.universe), np.ones(int(self.universe.sum())) * q.boost if scored else None)
            return _minus(everything, self._eval(q.query, False))
        if isinstance(q, wq.Every):
            docs = np.flatnonzero(self.universe)
            return Matches(docs, np.full(len(docs), q.boost) if scored else None)
        if isinstance(q, wq.DateRange):
            return self._dates(q, scored)
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return Matches.none(scored)
        raise Unsupported(type(q).__name__)

    def _facet_mask(self, q: wq.Query) -> np.ndarray | None:
        """The documents an unscored filter on one facet's values holds, as a mask; None for any other node."""
        if not isinstance(q, Unscored):
            return None
        child = q.child
        terms = [child] if isinstance(child, wq.Term) else list(child.subqueries) if type(child) is wq.Or else []
        if not terms or not all(isinstance(t, wq.Term) and t.fieldname == terms[0].fieldname for t in terms):
            return None
        column = self._facets.get(terms[0].fieldname)
        if column is None:
            return None
        key = (terms[0].fieldname, tuple(sorted({str(t.text) for t in terms})))
        with self._masks_lock:
            mask = self._masks.get(key)
        if mask is None:
            wanted = set(key[1])
            mask = np.zeros(self.postings.size, dtype=bool)
            ordinals = [i for i, value in enumerate(column.values) if value in wanted]
            if ordinals:
                mask[column.docs[np.isin(column.ords, ordinals)]] = True
            with self._masks_lock:
                self._masks[key] = mask
                while len(self._masks) > 64:
                    self._masks.popitem(last=False)
        return mask

    def _term(self, fieldname: str, text: Any, boost: float, scored: bool) -> Matches:
        if fieldname not in self.schema:
            return Matches.none(scored)
        try:
            btext = self.schema[fieldname].to_bytes(text) if not isinstance(text, bytes) else text
        except ValueError:
            return Matches.none(scored)
        postings = self._read(fieldname, btext)
        if not len(postings.docs):
            return Matches.none(scored)
        if self._within is not None:
            rows = np.flatnonzero(self._within[postings.docs])
            if not scored:
                return Matches(postings.docs[rows], None)
            return Matches(postings.docs[rows], self._bm25(fieldname, postings, rows) * boost)
        if not scored:
            return Matches(postings.docs, None)
        return Matches(postings.docs, self._bm25(fieldname, postings) * boost)

    def _words(self, terms: list[wq.Term], boost: float, scored: bool) -> Matches:
        """An OR of plain words (a prefix's or a fuzzy term's expansion) in one vectorised pass.

        The same numbers as a Term each and _combine: every posting's BM25F is computed by the
        same expression, element by element, and a document's scores are added up in the order of
        the words (np.bincount adds in input order, starting from zero), so sums are bit-identical.
        """
        lists: list[TermPostings] = []
        read: list[tuple[int, TermPostings, float, float]] = []  # field code, postings, idf, boost
        fields: list[str] = []
        for t in terms:
            if t.fieldname not in self.schema:
                continue
            try:
                btext = self.schema[t.fieldname].to_bytes(t.text) if not isinstance(t.text, bytes) else t.text
            except ValueError:
                continue
            postings = self._read(t.fieldname, btext)
            if not len(postings.docs):
                continue
            if t.fieldname not in fields:
                fields.append(t.fieldname)
            # Whoosh's document frequency counts deleted documents too, as these postings do.
            read.append((fields.index(t.fieldname), postings, math.log(self.count_all / (len(postings.docs) + 1)) + 1,
                         float(t.boost)))
            lists.append(postings)
        if not read:
            return Matches.none(scored)
        every = np.concatenate([p.docs for p in lists])
        keep = np.flatnonzero(self._within[every]) if self._within is not None else None
        if keep is not None:
            every = every[keep]
        union = np.zeros(self.postings.size, dtype=bool)
        union[every] = True
        found = np.flatnonzero(union)
        if not scored:
            return Matches(found, None)
        sizes = [len(p.docs) for p in lists]

        def spread(values: list[float]) -> np.ndarray:
            out = np.repeat(np.asarray(values, dtype=np.float64), sizes)
            return out if keep is None else out[keep]

        tf = np.concatenate([p.weights for p in lists])
        if keep is not None:
            tf = tf[keep]
        code = np.repeat(np.asarray([r[0] for r in read]), sizes)
        if keep is not None:
            code = code[keep]
        idf = spread([r[2] for r in read])
        scores = np.empty(len(tf))
        for i, fieldname in enumerate(fields):
            sel = slice(None) if len(fields) == 1 else (code == i)
            if not self.schema[fieldname].scorable:
                scores[sel] = tf[sel]  # Whoosh's WeightScorer for unscored fields
                continue
            fl = self._field_lengths(fieldname)[every[sel]]
            t = tf[sel]
            scores[sel] = idf[sel] * ((t * (K1 + 1)) / (t + K1 * ((1 - B) + B * fl / self._avgfl_of(fieldname))))
        scores *= spread([r[3] for r in read])
        total = np.bincount(np.searchsorted(found, every), weights=scores, minlength=len(found))
        return Matches(found, total * boost)

    def _read(self, fieldname: str, btext: bytes) -> TermPostings:
        key = (fieldname, btext)
        postings = self._terms.get(key)
        if postings is None:
            self._check()
            postings = self._cache.get(key) if self._cache is not None else None
            if postings is None:
                postings = self._exact(fieldname, btext) if is_exact(btext) else self.postings.term(fieldname, btext)
                if self._cache is not None:
                    self._cache.put(key, postings)
            self._terms[key] = postings
        return postings

    def _exact(self, fieldname: str, btext: bytes) -> TermPostings:
        """The postings of an exact word (`=form`, see exact.py): its own, and its term's where no exact form stands beside it."""
        form = btext[1:]
        markers = self._lexicon.markers(self.reader, fieldname).get(form.decode("utf-8", "replace"), ())
        keys = [_keys(self.postings.term(fieldname, btext))]
        plain = self._read(fieldname, form)
        if len(plain.docs):
            written = _keys(plain)
            if markers:
                beside = np.concatenate([_keys(self.postings.term(fieldname, m.encode("utf-8"))) for m in markers])
                written = written[~np.isin(written, beside)]
            keys.append(written)
        found = np.unique(np.concatenate(keys))
        if not len(found):
            return TermPostings(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), [])
        owners = found >> 32
        docs, counts = np.unique(owners, return_counts=True)
        boost = float(getattr(self.schema[fieldname].format, "field_boost", 1.0))
        rows = np.searchsorted(docs, owners)
        # One block, already decoded: positions() reads (row, position) pairs from it.
        return TermPostings(docs, counts.astype(np.float64) * boost, [(0, ())], {0: (rows, found & 0xFFFFFFFF)})

    def _bm25(self, fieldname: str, postings: TermPostings, rows: np.ndarray | None = None) -> np.ndarray:
        """BM25F scores of the term's postings (or of the given rows of them), as Whoosh computes them."""
        field = self.schema[fieldname]
        tf = postings.weights if rows is None else postings.weights[rows]
        if not field.scorable:
            return tf.copy()  # Whoosh's WeightScorer for unscored fields
        # Whoosh's document frequency counts deleted documents too, as these postings do.
        idf = math.log(self.count_all / (len(postings.docs) + 1)) + 1
        fl = self._field_lengths(fieldname)[postings.docs if rows is None else postings.docs[rows]]
        return idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / self._avgfl_of(fieldname))))

    def _avgfl_of(self, fieldname: str) -> float:
        avgfl = self._avgfl.get(fieldname)
        if avgfl is None:  # the reader's total sums every segment's; it is the same for the whole generation
            avgfl = self._avgfl[fieldname] = (self.reader.field_length(fieldname) / self.count_all) or 1
        return avgfl

    def _field_lengths(self, fieldname: str) -> np.ndarray:
        lengths = self._lengths.get(fieldname)
        if lengths is None:
            lengths = self._lengths[fieldname] = self.postings.lengths(fieldname)
        return lengths

    def _phrase(self, q: wq.Phrase, scored: bool) -> Matches:
        if q.slop != 1 or not q.words:
            raise Unsupported("phrase with slop")
        if q.fieldname not in self.schema or not self.schema[q.fieldname].format.supports("positions"):
            return Matches.none(scored)
        field = self.schema[q.fieldname]
        words = [field.to_bytes(w) for w in q.words]
        lists = [self._read(q.fieldname, w) for w in words]
        if any(not len(p.docs) for p in lists):
            return Matches.none(scored)
        candidates = lists[0].docs
        for p in lists[1:]:
            candidates = _intersect(candidates, p.docs)
        candidates = candidates[self.universe[candidates]]
        if self._within is not None:
            candidates = candidates[self._within[candidates]]
        # The phrase holds where word i sits at position p + i: join on (doc, position - i). Keys
        # come out sorted and unique (rows in order, positions rising within a document).
        keys: np.ndarray | None = None
        for i, p in enumerate(lists):
            rows = np.searchsorted(p.docs, candidates)
            owner, pos = positions(p, rows)
            k = (p.docs[owner] << 32) | (pos - i + (1 << 20))
            keys = k if keys is None else _intersect(keys, k)
            if not len(keys):
                return Matches.none(scored)
        assert keys is not None
        owners = keys >> 32
        docs = owners[np.concatenate(([True], owners[1:] != owners[:-1]))]
        if not scored:
            return Matches(docs, None)
        total = np.zeros(len(docs))
        for p in lists:
            total += self._bm25(q.fieldname, p, np.searchsorted(p.docs, docs))
        return Matches(docs, total * q.boost)

    def _dates(self, q: wq.DateRange, scored: bool) -> Matches:
        dated = self.days != self.no_date
        if q.startdate is not None:
            dated &= self.days >= (q.startdate.date() - date(1970, 1, 1)).days
        if q.enddate is not None:
            dated &= self.days <= (q.enddate.date() - date(1970, 1, 1)).days
        docs = np.flatnonzero(dated)
        return Matches(docs, np.full(len(docs), q.boost) if scored else None)

    def _combine(self, parts: list[Matches], how: str, boost: float, scored: bool) -> Matches:
        if not parts:
            return Matches.none(scored)
        if len(parts) == 1:
            only = parts[0]
            return Matches(only.docs, only.scores * boost if (scored and only.scores is not None and boost != 1.0) else only.scores)
        if how == "and":
            docs = parts[0].docs
            for p in parts[1:]:
                docs = _intersect(docs, p.docs)
        else:
            union = np.zeros(self.postings.size, dtype=bool)
            for p in parts:
                union[p.docs] = True
            docs = np.flatnonzero(union)
        if not scored:
            return Matches(docs, None)
        total = np.zeros(len(docs))
        for p in parts:
            assert p.scores is not None
            idx = np.searchsorted(docs, p.docs)
            if how == "and":
                inside = _member(p.docs, docs)
                total[idx[inside]] += p.scores[inside]
            else:
                total[idx] += p.scores
        return Matches(docs, total * boost)


def _keys(postings: TermPostings) -> np.ndarray:
    """(document << 32) | position for every position of every posting, sorted."""
    if not len(postings.docs):
        return np.zeros(0, dtype=np.int64)
    owner, pos = positions(postings, np.arange(len(postings.docs)))
    return (postings.docs[owner] << 32) | pos


def _minus(a: Matches, b: Matches) -> Matches:
    keep = ~_member(a.docs, b.docs)
    return Matches(a.docs[keep], a.scores[keep] if a.scores is not None else None)


def _restrict(a: Matches, docs: np.ndarray) -> Matches:
    keep = _member(a.docs, docs)
    return Matches(a.docs[keep], a.scores[keep] if a.scores is not None else None)


def _maybe(a: Matches, b: Matches | None) -> Matches:
    if a.scores is None or b is None or b.scores is None:
        return a
    scores = a.scores.copy()
    inside = _member(b.docs, a.docs)
    scores[np.searchsorted(a.docs, b.docs[inside])] += b.scores[inside]
    return Matches(a.docs, scores)


def _nothing() -> None:
    return None


def _member(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Which elements of a are in b; both sorted and unique (a binary search, no sort)."""
    if not len(a) or not len(b):
        return np.zeros(len(a), dtype=bool)
    idx = np.searchsorted(b, a)
    idx[idx == len(b)] = len(b) - 1
    return b[idx] == a


def _intersect(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The elements common to two sorted, unique arrays, sorted."""
    if len(a) > len(b):
        a, b = b, a
    return a[_member(a, b)]


class Precomputed(wq.Query):
    """Part of a query already evaluated by the vector engine, as a Whoosh leaf with the same documents and scores.

    Whoosh asks a leaf for a matcher once per segment (with segment-local document numbers) or
    once for the whole reader; `leaves` holds (id of the segment reader, offset, size) to tell which.
    """

    def __init__(self, matches: Matches, leaves: list[tuple[int, int, int]]) -> None:
        self.matches = matches
        self.boost = 1.0
        self._leaves = {key: (offset, size) for key, offset, size in leaves}

    def __repr__(self) -> str:
        return f"Precomputed({len(self.matches.docs)} documents)"

    def __eq__(self, other: object) -> bool:
        return self is other

    def __hash__(self) -> int:
        return id(self)

    def estimate_size(self, ixreader: Any) -> int:
        return len(self.matches.docs)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        docs, scores = self.matches.docs, self.matches.scores
        where = self._leaves.get(id(searcher.reader()))
        if where is not None and len(self._leaves) > 1:
            offset, size = where
            lo, hi = np.searchsorted(docs, [offset, offset + size])
            docs, scores = docs[lo:hi] - offset, scores[lo:hi] if scores is not None else None
        if not len(docs):
            return NullMatcher()
        return ListMatcher(docs.tolist(), weights=scores.tolist() if scores is not None else None)
