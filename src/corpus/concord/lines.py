"""Concordance lines (KWIC): every occurrence in its context, sorted, sampled, paged, counted and sliced.

Computed from the token store and an engine's Matches, the same for every engine. Sorting by the
words around the match uses each word's folded form (case and accents aside), compared by the
alphabetical rank of its spelling; ties are broken by document id, title before body, position.
Contexts are cut from the stored text as written, at token offsets: nothing is tokenised again.
"""

from __future__ import annotations

import random
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from .. import analysis
from ..search.types import NO_DAY, ExportRow, Hit, Matches
from .match import Occurrences, find
from .store import FIELDS, TokenStore

MAX_WIDTH = 40
DOC_KEYS = ("doc", "date", "source")
WORD_KEYS = ("L3", "L2", "L1", "R1", "R2", "R3")
SORT_KEYS = DOC_KEYS + WORD_KEYS
SENTENCE_END = re.compile(r"[.!?。！？]|\n\s*\n")
DOCUMENT_CACHE = 512  # documents whose text is kept while lines are cut (an export sorted by a word jumps around)
RELEASE_LINES = 65_536  # lines cut between two releases of the token store's touched pages (a multiple of 256)

Documents = Callable[[list[str]], Iterator[ExportRow]]


@dataclass(frozen=True)
class Options:
    """How lines are shown and ordered."""

    width: int = 8
    cut: str = "none"  # or "sentence"
    sort: tuple[str, ...] = ("doc",)
    page: int = 1
    per_page: int = 50
    sample: int | None = None
    seed: int = 1
    by: str | None = None
    near: str | None = None  # keep only the lines with this word (a folded form) within near_window words
    near_window: int = 5


@dataclass
class Line:
    """One occurrence in its context, with its document's metadata."""

    hit: Hit
    field: str
    position: int
    left: str
    match: str
    right: str


@dataclass
class Slice:
    value: str | None
    occurrences: int
    documents: int
    tokens: int
    lines: list[Line]


@dataclass
class Concordance:
    matches: Matches
    options: Options
    occurrences: int  # every occurrence (before any sample)
    documents: int  # documents with at least one occurrence
    shown: int  # occurrences after the sample, what the pages go through
    lines: list[Line]
    facets: dict[str, list[tuple[str, int]]]
    timeline: list[dict[str, Any]]
    interval: str
    tokens: int  # tokens of the subcorpus (the filtered documents)
    slices: list[Slice] = field(default_factory=list)

    @property
    def pages(self) -> int:
        return max(1, -(-self.shown // self.options.per_page))


def occurrences(store: TokenStore, matches: Matches, documents: Documents, options: Options | None = None) -> Occurrences:
    """Every occurrence of the query in the matched documents, in document order (with `near`, those near that word)."""
    occ = find(store, matches, _texts(documents))
    if options is not None and options.near:
        occ = near(store, occ, options.near, options.near_window)
    return occ


def near(store: TokenStore, occ: Occurrences, word: str, window: int) -> Occurrences:
    """The occurrences with the word (compared folded) within `window` tokens on either side, in the same text."""
    form = store.form_ids.get(analysis.fold(word), -1)
    keep = np.zeros(len(occ), dtype=bool)
    if form < 0 or not len(occ):
        return occ.take(np.flatnonzero(keep))
    for index in parts_of(store, occ):
        here = np.flatnonzero(occ.part == index) if len(store.parts) > 1 else np.arange(len(occ))
        part = store.parts[index]
        tok, start, seg = occ.tok[here], occ.start[here], occ.seg[here]
        stop = tok + (occ.end[here] - start)
        seg_end = part.seg[seg + 1]
        found = np.zeros(len(here), dtype=bool)
        for k in range(1, window + 1):
            left = start - k >= 0
            found[left] |= np.asarray(part.form[(tok - k)[left]]) == form
            at = stop + k - 1
            right = at < seg_end
            found[right] |= np.asarray(part.form[at[right]]) == form
        keep[here] = found
    return occ.take(np.flatnonzero(keep))


def _texts(documents: Documents) -> Callable[[list[str]], dict[str, tuple[str, str]]]:
    def texts(ids: list[str]) -> dict[str, tuple[str, str]]:
        return {doc_id: (row.hit.title, row.body or "") for doc_id, row in zip(ids, documents(ids), strict=True)}
    return texts


def order(store: TokenStore, matches: Matches, occ: Occurrences, keys: tuple[str, ...]) -> np.ndarray:
    """The permutation of occurrences (in document order) that sorts them by the keys, ties in document order."""
    if not len(occ):
        return np.zeros(0, dtype=np.int64)
    columns: list[np.ndarray] = []
    for key in keys:
        if key == "doc":
            continue
        if key == "date":
            days = matches.days[occ.docnum].astype(np.int64)
            columns.append(np.where(days == NO_DAY, np.iinfo(np.int64).max, days))
        elif key == "source":
            columns.append(_source_rank(matches)[occ.docnum])
        else:
            columns.append(word_key(store, occ, key))
    if not columns:
        return np.arange(len(occ))
    # Occurrences are in document order already: a stable sort by the keys keeps it for ties.
    if len(columns) == 1:
        return np.argsort(columns[0], kind="stable")
    return np.lexsort((np.arange(len(occ)), *reversed(columns)))


def word_key(store: TokenStore, occ: Occurrences, key: str) -> np.ndarray:
    """The alphabetical rank of the word at L1..L3 or R1..R3 of each occurrence (0: no word there)."""
    k = int(key[1:])
    out = np.zeros(len(occ), dtype=np.int64)
    rank = store.form_rank
    for index in parts_of(store, occ):
        here = np.flatnonzero(occ.part == index) if len(store.parts) > 1 else np.arange(len(occ))
        part = store.parts[index]
        seg = occ.seg[here]
        if key[0] == "L":
            at = occ.tok[here] - k
            valid = occ.start[here] - k >= 0
        else:
            at = occ.tok[here] + (occ.end[here] - occ.start[here]) + k - 1
            valid = at < part.seg[seg + 1]
        forms = np.full(len(here), -1, dtype=np.int64)
        forms[valid] = np.asarray(part.form[at[valid]])
        out[here] = rank[forms]
    return out


def parts_of(store: TokenStore, occ: Occurrences) -> list[int]:
    """The parts the occurrences are in (without a sort when the store has one part)."""
    if len(store.parts) == 1:
        return [0] if len(occ) else []
    return [int(i) for i in np.unique(occ.part)]


def _source_rank(matches: Matches) -> np.ndarray:
    table = matches.facets.get("source")
    out = np.full(len(matches.ids), np.iinfo(np.int64).max, dtype=np.int64)  # no source: last
    if table is None or not len(table.values):
        return out
    ranks = np.empty(len(table.values), dtype=np.int64)
    ranks[np.argsort(np.array([v.casefold() for v in table.values], dtype=object), kind="stable")] = np.arange(len(table.values))
    out[np.asarray(table.docs)] = ranks[np.asarray(table.ords)]
    return out


def sample(occ_count: int, n: int | None, seed: int) -> np.ndarray | None:
    """Which occurrences a sample of n keeps (sorted indexes), drawn with the seed; None for all."""
    if n is None or n >= occ_count:
        return None
    return np.sort(np.asarray(random.Random(seed).sample(range(occ_count), n), dtype=np.int64))


class LineMaker:
    """Cuts lines out of stored texts, keeping the last few hundred documents' texts."""

    def __init__(self, store: TokenStore, matches: Matches, documents: Documents, options: Options) -> None:
        self.store, self.matches, self.documents, self.options = store, matches, documents, options
        self._docs: OrderedDict[str, ExportRow] = OrderedDict()

    def prefetch(self, ids: list[str]) -> None:
        wanted = [i for i in dict.fromkeys(ids) if i not in self._docs]
        for doc_id, row in zip(wanted, self.documents(wanted), strict=True):
            self._docs[doc_id] = row
        while len(self._docs) > max(DOCUMENT_CACHE, len(ids)):
            self._docs.popitem(last=False)

    def lines(self, occ: Occurrences) -> Iterator[Line]:
        """The lines of these occurrences, in their order; documents are read in batches."""
        ids = self.matches.ids
        width, sentence = self.options.width, self.options.cut == "sentence"
        parts = self.store.parts
        for begin in range(0, len(occ), 256):
            if begin and not begin % RELEASE_LINES:  # a long export: what the worker maps stays bounded
                for part in parts:
                    part.release()
            chunk = occ.take(np.arange(begin, min(len(occ), begin + 256)))
            docnums = chunk.docnum.tolist()
            self.prefetch([ids[d] for d in docnums])
            columns = zip(docnums, chunk.part.tolist(), chunk.seg.tolist(), chunk.tok.tolist(), chunk.start.tolist(),
                          chunk.end.tolist(), strict=True)
            for docnum, part_index, seg, tok, start, end in columns:
                doc_id = ids[docnum]
                row = self._docs.get(doc_id)
                if row is None:
                    self.prefetch([doc_id])
                    row = self._docs[doc_id]
                text = (row.body or "") if seg % 2 else row.hit.title
                part = parts[part_index]
                first, last = int(part.seg[seg]), int(part.seg[seg + 1])
                stop = tok + end - start  # one past the match's last token
                left, match, right = context(text, part.start, part.end, first, last, tok, stop, width, sentence)
                yield Line(row.hit, FIELDS[seg % 2], start, left, match, right)


def context(text: str, starts: Any, ends: Any, first: int, last: int, tok: int, stop: int, width: int,
            sentence: bool) -> tuple[str, str, str]:
    """(left, match, right) of the tokens tok..stop-1 of one segment [first, last), `width` words each side.

    With `sentence`, the context stops at a sentence or paragraph end (., !, ?, 。, ！, ？, a blank line)
    between two tokens. Whitespace runs become one space.
    """
    lo, hi = max(first, tok - width), min(last, stop + width)
    if sentence:
        for i in range(tok - 1, lo - 1, -1):
            if SENTENCE_END.search(text, int(ends[i]), int(starts[i + 1])):
                lo = i + 1
                break
        for i in range(stop, hi):
            if SENTENCE_END.search(text, int(ends[i - 1]), int(starts[i])):
                hi = i
                break
    m_start, m_end = int(starts[tok]), int(ends[stop - 1])
    left = text[int(starts[lo]):m_start] if lo < tok else ""
    right = text[m_end:int(ends[hi - 1])] if hi > stop else ""
    return _squash(left), _squash(text[m_start:m_end]), _squash(right)


def _squash(text: str) -> str:
    return " ".join(text.split())


def docs_with_lines(matches: Matches, occ: Occurrences) -> np.ndarray:
    mask = np.zeros(len(matches.ids), dtype=bool)
    mask[occ.docnum] = True
    return mask


def facet_counts(matches: Matches, mask: np.ndarray, names: tuple[str, ...], size: int) -> dict[str, list[tuple[str, int]]]:
    """The most frequent values of each facet over the documents in mask: (value, documents)."""
    out: dict[str, list[tuple[str, int]]] = {}
    for name in names:
        table = matches.facets.get(name)
        if table is None:
            continue
        docs, ords = np.asarray(table.docs), np.asarray(table.ords)
        counts = np.bincount(ords[mask[docs]], minlength=len(table.values)) if len(docs) else np.zeros(0, np.int64)
        top = sorted(((int(c), v) for v, c in zip(table.values, counts.tolist(), strict=True) if c), key=lambda p: (-p[0], p[1].casefold()))
        out[name] = [(v, c) for c, v in top[:size]]
    return out


def interval_of(days: np.ndarray) -> str:
    """year, month or day: the unit that gives a readable chart for this span of days."""
    if not len(days):
        return "year"
    span = int(days.max() - days.min())
    return "year" if span > 3 * 366 else ("month" if span > 62 else "day")


_UNITS = {"year": "Y", "month": "M", "day": "D"}


def timeline(store: TokenStore, matches: Matches, occ: Occurrences) -> tuple[str, list[dict[str, Any]]]:
    """Occurrences per period, with the subcorpus's tokens in that period and the rate per million."""
    occ_days = matches.days[occ.docnum]
    occ_days = occ_days[occ_days != NO_DAY]
    interval = interval_of(occ_days)
    if not len(occ_days):
        return interval, []
    unit = _UNITS[interval]

    def as_period(d: np.ndarray) -> np.ndarray:
        return np.asarray(d, dtype=np.int64).astype("datetime64[D]").astype(f"datetime64[{unit}]").astype(np.int64)

    occ_p = store.cached(matches.ids, f"periods-{unit}", lambda: as_period(matches.days))[occ.docnum]
    occ_p = occ_p[matches.days[occ.docnum] != NO_DAY]
    base, top = int(occ_p.min()), int(occ_p.max())
    counts = np.bincount(occ_p - base, minlength=top - base + 1)
    sub_docs = np.flatnonzero(matches.subcorpus & (matches.days != NO_DAY))
    sub_p = store.cached(matches.ids, f"periods-{unit}", lambda: as_period(matches.days))[sub_docs]
    inside = (sub_p >= base) & (sub_p <= top)
    tokens = np.bincount(sub_p[inside] - base, weights=store.doc_tokens(matches.ids)[sub_docs[inside]], minlength=top - base + 1)
    buckets = []
    for i, (count, total) in enumerate(zip(counts.tolist(), tokens.tolist(), strict=True)):
        label, first, last = period_bounds(base + i, interval)
        buckets.append({"period": label, "start": first.isoformat(), "end": last.isoformat(), "count": int(count),
                        "tokens": int(total), "per_million": per_million(int(count), int(total))})
    return interval, buckets


def period_bounds(number: int, interval: str) -> tuple[str, date, date]:
    """A period's label, first and last day, from its number since 1970 in years, months or days."""
    if interval == "year":
        year = 1970 + number
        return str(year), date(year, 1, 1), date(year, 12, 31)
    if interval == "month":
        year, month = 1970 + number // 12, number % 12 + 1
        first = date(year, month, 1)
        nxt = date(year + month // 12, month % 12 + 1, 1)
        return f"{year:04d}-{month:02d}", first, nxt - timedelta(days=1)
    day = day_of(number)
    return day.isoformat(), day, day


def per_million(count: int, tokens: int) -> float | None:
    """A count per million tokens, rounded to 2 places (None when there are no tokens)."""
    return round(count * 1_000_000 / tokens, 2) if tokens else None


def slice_values(matches: Matches, name: str, mask: np.ndarray) -> list[tuple[str | None, np.ndarray]]:
    """Each value of a facet (and None: documents without one) with its documents within mask, most documents first."""
    table = matches.facets[name]
    docs, ords = np.asarray(table.docs), np.asarray(table.ords)
    inside = mask[docs]
    out: list[tuple[str | None, np.ndarray]] = []
    for ordinal in np.unique(ords[inside]).tolist():
        values = np.zeros(len(mask), dtype=bool)
        values[docs[inside & (ords == ordinal)]] = True
        out.append((table.values[ordinal], values))
    if name == "year":
        out.sort(key=lambda p: p[0] or "")
    else:
        out.sort(key=lambda p: (-int(p[1].sum()), (p[0] or "").casefold()))
    without = mask.copy()
    without[docs] = False
    if without.any():
        out.append((None, without))
    return out


def concordance(store: TokenStore, matches: Matches, documents: Documents, options: Options,
                facet_names: tuple[str, ...] = (), facet_size: int = 10, max_slices: int = 24) -> Concordance:
    """One page of lines with exact totals, the facets of the documents that have lines, the chart and slices."""
    occ = occurrences(store, matches, documents, options)
    maker = LineMaker(store, matches, documents, options)
    kept = sample(len(occ), options.sample, options.seed)
    shown = occ if kept is None else occ.take(kept)
    perm = order(store, matches, shown, options.sort)
    begin = (options.page - 1) * options.per_page
    page = shown.take(perm[begin:begin + options.per_page])
    with_lines = docs_with_lines(matches, occ)
    interval, buckets = timeline(store, matches, occ)
    doc_tokens = store.doc_tokens(matches.ids)
    result = Concordance(
        matches=matches, options=options, occurrences=len(occ), documents=int(with_lines.sum()), shown=len(shown),
        lines=list(maker.lines(page)), facets=facet_counts(matches, with_lines, facet_names, facet_size),
        timeline=buckets, interval=interval, tokens=int(doc_tokens[matches.subcorpus].sum()),
    )
    if options.by:
        for value, docs in slice_values(matches, options.by, matches.subcorpus)[:max_slices]:
            here = docs[shown.docnum]
            part = shown.take(np.flatnonzero(here))
            sub_perm = order(store, matches, part, options.sort)
            first = part.take(sub_perm[:options.per_page])
            result.slices.append(Slice(value, int(here.sum()), int(np.unique(part.docnum).size),
                                       int(doc_tokens[docs].sum()), list(maker.lines(first))))
    return result


def all_lines(store: TokenStore, matches: Matches, documents: Documents, options: Options) -> tuple[int, int, Iterator[Line]]:
    """(occurrences, documents, every line in the options' order): for exports, read lazily."""
    occ = occurrences(store, matches, documents, options)
    kept = sample(len(occ), options.sample, options.seed)
    shown = occ if kept is None else occ.take(kept)
    perm = order(store, matches, shown, options.sort)
    maker = LineMaker(store, matches, documents, options)
    return len(occ), int(np.unique(occ.docnum).size), maker.lines(shown.take(perm))


def day_of(value: int) -> date:
    return date(1970, 1, 1) + timedelta(days=value)
