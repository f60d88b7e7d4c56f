"""Wildcard, prefix, fuzzy and range terms rewritten into the plain words they stand for, under a deadline.

Whoosh expands these terms when it builds matchers, with no look at the clock: a fuzzy term on a
long word ran Whoosh's pure-Python edit distance against every word of the field (18 s on
Reuters), and a range such as `[a TO z]` built tens of thousands of matchers before the first
clock check. Here every multi-word leaf of a parsed query becomes an Or of plain Terms before
evaluation, so the vector engine and Whoosh's matchers alike only ever see plain words:

- the words come from a per-generation Lexicon (each field's words, sorted and grouped by length,
  read once and shared by a process's threads, like the Snapshot);
- prefixes and ranges are two binary searches; wildcards test only the words that share their
  literal start; fuzzy terms compare only the words whose length is within the allowed distance
  (no word further in length can be closer), with rapidfuzz's Levenshtein, a few hundred at a time;
- the clock is checked every few hundred words, each term may stand for at most
  query.MAX_EXPANSIONS words and the whole query for query.MAX_TOTAL_EXPANSIONS.

Scores do not change: an Or of the expanded words, with the term's boost, is what Whoosh's own
MultiTerm.matcher builds and what the vector engine evaluated before.
"""

from __future__ import annotations

import copy
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from whoosh import fields as wf
from whoosh import query as wq
from whoosh.query.wrappers import WrappingQuery

from ... import analysis
from ...analysis import UNDETERMINED
from ...errors import QuerySyntaxError
from . import exact
from . import query as ql
from .analysis import EXACT

CHUNK = 256  # words examined between two looks at the clock
_PAST_EVERY_CHAR = "\U0010ffff"  # sorts after any word that starts with a given prefix
MULTI_TERMS = (wq.Prefix, wq.Wildcard, wq.Regex, wq.FuzzyTerm, wq.TermRange)


def _nothing() -> None:
    return None


@dataclass
class FieldWords:
    """One field's distinct indexed words: all of them sorted, and sorted per length."""

    words: list[str]
    by_length: dict[int, list[str]] = field(default_factory=dict)
    exact: list[str] = field(default_factory=list)  # the exact forms indexed apart ("=form", without the "=")

    @classmethod
    def read(cls, reader: Any, fieldname: str) -> FieldWords:
        schema = reader.schema
        if fieldname not in schema or isinstance(schema[fieldname], wf.NUMERIC):
            return cls([])  # numbers and dates have no words to expand (date: is parsed apart)
        # The exact forms indexed beside each word ("=form", see analysis.py) are not words a
        # wildcard, fuzzy term or range stands for: `*port` means export, not =export too.
        mark = EXACT.encode()
        words: list[str] = []
        exact: list[str] = []
        for b in reader.lexicon(fieldname):
            if b.startswith(mark):
                exact.append(b[len(mark):].decode("utf-8", "replace"))
            else:
                words.append(b.decode("utf-8", "replace"))
        by_length: dict[int, list[str]] = {}
        for w in words:  # already sorted, so each length's list is too
            by_length.setdefault(len(w), []).append(w)
        return cls(words, by_length, exact)

    def between(self, lo: str, hi: str | None, lo_excluded: bool = False, hi_excluded: bool = False) -> tuple[int, int]:
        """Positions [i, j) of the words w with lo <= w <= hi (open when hi is None)."""
        i = bisect_right(self.words, lo) if lo_excluded else bisect_left(self.words, lo)
        if hi is None:
            j = len(self.words)
        else:
            j = bisect_left(self.words, hi) if hi_excluded else bisect_right(self.words, hi)
        return i, max(i, j)

    def starting(self, prefix: str, words: list[str] | None = None) -> tuple[int, int]:
        """Positions [i, j) of the words (of `words`, default all) that start with prefix."""
        words = self.words if words is None else words
        if not prefix:
            return 0, len(words)
        return bisect_left(words, prefix), bisect_left(words, prefix + _PAST_EVERY_CHAR)


class Lexicon:
    """Every field's words for one index generation, read on first use and shared by threads."""

    def __init__(self, languages: tuple[str, ...] = ()) -> None:
        self._fields: dict[str, FieldWords] = {}
        self._lock = threading.Lock()
        self.languages = languages  # of the generation's articles: what its exact forms were analysed in
        self._markers: dict[str, dict[str, tuple[str, ...]]] = {}

    def markers(self, reader: Any, fieldname: str) -> dict[str, tuple[str, ...]]:
        """term -> the exact forms ("=form") that may stand beside it in this field (see exact.py).

        Each exact form is analysed in every language of the generation, and without one (names,
        bios), read on first use: about 0.1 s for Reuters' body.
        """
        found = self._markers.get(fieldname)
        if found is None:
            fw = self.field(reader, fieldname)
            with self._lock:
                found = self._markers.get(fieldname)
                if found is None:
                    found = self._markers[fieldname] = _marker_map(fw.exact, self.languages)
        return found

    def field(self, reader: Any, fieldname: str) -> FieldWords:
        found = self._fields.get(fieldname)
        if found is None:
            with self._lock:  # one thread reads a field's words (about 0.1 s for Reuters' body), the others wait
                found = self._fields.get(fieldname)
                if found is None:
                    found = self._fields[fieldname] = FieldWords.read(reader, fieldname)
        return found


class _Budget:
    """The caps and the clock for one query's expansions."""

    def __init__(self, check: Callable[[], None]) -> None:
        self.check = check
        self.per_term = ql.MAX_EXPANSIONS  # read at call time, so a test or an operator may lower it
        self.total = ql.MAX_TOTAL_EXPANSIONS
        self.used = 0
        self._seen: dict[Any, list[str]] = {}

    def too_many(self, leaf: wq.Query) -> QuerySyntaxError:
        return QuerySyntaxError(
            f"{ql.render(leaf)!r} matches more than {self.per_term} different words; make it more specific",
            param="q",
        )

    def spend(self, leaf: wq.Query, words: list[str]) -> None:
        self.used += len(words)
        if self.used > self.total:
            raise QuerySyntaxError(
                f"the wildcard, fuzzy and range terms of the query (the last one counted was {ql.render(leaf)!r}) "
                f"stand for more than {self.total} different words together; use fewer of them or more specific ones",
                param="q",
            )


def words_for(leaf: wq.Query, reader: Any, lexicon: Lexicon, check: Callable[[], None] | None = None,
              budget: _Budget | None = None) -> list[str]:
    """The sorted words of the leaf's field that a prefix, wildcard, regex, fuzzy or range leaf stands for."""
    budget = budget or _Budget(check or _nothing)
    key = (type(leaf).__name__, repr(leaf))
    found = budget._seen.get(key)
    if found is not None:
        return found
    fw = lexicon.field(reader, leaf.fieldname)
    budget.check()
    if isinstance(leaf, wq.Prefix):
        words = _slice(fw.words, *fw.starting(leaf.text), leaf, budget)
    elif isinstance(leaf, wq.TermRange):
        lo = leaf.start if leaf.start is not None else ""
        words = _slice(fw.words, *fw.between(lo, leaf.end, bool(leaf.startexcl and leaf.start is not None),
                                             bool(leaf.endexcl and leaf.end is not None)), leaf, budget)
    elif isinstance(leaf, wq.FuzzyTerm):
        words = _fuzzy(fw, leaf, budget)
    elif isinstance(leaf, (wq.Wildcard, wq.Regex)):
        words = _pattern(fw, leaf, budget)
    else:
        raise TypeError(type(leaf).__name__)
    budget._seen[key] = words
    return words


def _slice(words: list[str], i: int, j: int, leaf: wq.Query, budget: _Budget) -> list[str]:
    if j - i > budget.per_term:
        raise budget.too_many(leaf)
    return words[i:j]


def _pattern(fw: FieldWords, leaf: wq.PatternQuery, budget: _Budget) -> list[str]:
    """Words matching a wildcard (or regex) pattern, testing only those that share its literal start."""
    try:
        matches = re.compile(leaf._get_pattern()).match
    except re.error:
        raise QuerySyntaxError(f"{ql.render(leaf)!r} is not a pattern this search can use", param="q") from None
    i, j = fw.starting(leaf._find_prefix(leaf.text))
    out: list[str] = []
    for start in range(i, j, CHUNK):
        budget.check()
        out += filter(matches, fw.words[start:min(j, start + CHUNK)])
        if len(out) > budget.per_term:
            raise budget.too_many(leaf)
    return out


def _fuzzy(fw: FieldWords, leaf: wq.FuzzyTerm, budget: _Budget) -> list[str]:
    """Words within the leaf's edit distance (Levenshtein), sharing its first `prefixlength` letters.

    A word whose length differs from the term's by more than the distance cannot be within it,
    so only the few length groups inside that window are compared. Sharing a start does not
    change the distance, so the prefix only narrows each (sorted) group by binary search.
    """
    text, maxdist = leaf.text, int(leaf.maxdist)
    if maxdist > ql.MAX_FUZZY_DISTANCE:
        raise ql.fuzzy_too_far(leaf)
    prefix = text[:max(0, int(leaf.prefixlength or 0))]
    out: list[str] = []
    for length in range(max(1, len(text) - maxdist), len(text) + maxdist + 1):
        group = fw.by_length.get(length)
        if not group:
            continue
        i, j = fw.starting(prefix, group)
        for start in range(i, j, CHUNK):
            budget.check()
            near = process.extract(text, group[start:min(j, start + CHUNK)], scorer=Levenshtein.distance,
                                   score_cutoff=maxdist, limit=None)
            out += [word for word, _, _ in near]
            if len(out) > budget.per_term:
                raise budget.too_many(leaf)
    out.sort()
    return out


def expand(q: wq.Query, reader: Any, lexicon: Lexicon, check: Callable[[], None] | None = None) -> wq.Query:
    """The query with every prefix, wildcard, regex, fuzzy and range leaf replaced by an Or of its words.

    `check` is called every few hundred words (it raises when the time is up); a QuerySyntaxError
    names the term when one term, or all of them together, stand for too many words.
    """
    budget = _Budget(check or _nothing)
    return _rewrite(q, reader, lexicon, budget)


def _marker_map(forms: list[str], languages: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    analyzers = list({id(a): a for a in (analysis.analyzer(lang) for lang in (UNDETERMINED, *languages))}.values())
    out: dict[str, list[str]] = {}
    for form in forms:
        marker = EXACT + form
        for term in {a.term(form) for a in analyzers} | {analysis.fold(form)}:
            if term != form:
                out.setdefault(term, []).append(marker)
    return {term: tuple(markers) for term, markers in out.items()}


def _rewrite(q: wq.Query, reader: Any, lexicon: Lexicon, budget: _Budget) -> wq.Query:
    if isinstance(q, ql.Unscored):
        return q  # a filter on facet values (a variant's languages): plain terms, nothing to expand
    exact_q = exact.rewrite(q, reader, lexicon)
    if exact_q is not None:
        return exact_q
    if isinstance(q, MULTI_TERMS):
        words = words_for(q, reader, lexicon, budget=budget)
        budget.spend(q, words)
        return as_terms(q, words)
    return map_children(q, lambda sub: _rewrite(sub, reader, lexicon, budget))


def map_children(q: wq.Query, fn: Callable[[wq.Query], wq.Query]) -> wq.Query:
    """A copy of q with fn applied to each child (q itself for a leaf).

    Whoosh's own Query.apply drops a compound node's settings (an Or's minmatch, a binary
    node's boost); this copies the node and replaces only its children (q itself when none changed).
    """
    if isinstance(q, wq.BinaryQuery):
        a, b = fn(q.a), fn(q.b)
        if a is q.a and b is q.b:
            return q  # nothing below changed: no copy
        new = copy.copy(q)
        new.a, new.b = a, b
        new.subqueries = (a, b)
    elif isinstance(q, wq.CompoundQuery):
        subs = [fn(s) for s in q.subqueries]
        if all(s is t for s, t in zip(subs, q.subqueries, strict=True)):
            return q
        new = copy.copy(q)
        new.subqueries = subs
    elif isinstance(q, wq.Not):
        child = fn(q.query)
        if child is q.query:
            return q
        new = copy.copy(q)
        new.query = child
    elif isinstance(q, WrappingQuery):
        child = fn(q.child)
        if child is q.child:
            return q
        new = copy.copy(q)
        new.child = child
    else:
        return q
    return new


def as_terms(leaf: wq.Query, words: list[str]) -> wq.Query:
    """The Or of plain Terms that a multi-word leaf stands for (Whoosh's own MultiTerm.matcher builds the same).

    A range scores each document it matches with its boost alone, as Whoosh's matchers scored it
    (a range's words say nothing about relevance); the others add up their words' BM25F scores.
    """
    if not words:
        return wq.Or([])
    if isinstance(leaf, wq.TermRange) and leaf.constantscore:
        inner = wq.Term(leaf.fieldname, words[0]) if len(words) == 1 else wq.Or([wq.Term(leaf.fieldname, w) for w in words])
        return wq.ConstantScoreQuery(inner, score=leaf.boost)
    if len(words) == 1:
        return wq.Term(leaf.fieldname, words[0], boost=leaf.boost)
    return wq.Or([wq.Term(leaf.fieldname, w) for w in words], boost=leaf.boost)


def leaves_to_expand(q: wq.Query) -> Iterator[wq.Query]:
    """The leaves of a query that expand() rewrites."""
    for leaf in q.leaves():
        if isinstance(leaf, MULTI_TERMS):
            yield leaf
