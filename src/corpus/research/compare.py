"""Queries compared: one timeline with a series per query, as counts and as shares of the period's documents.

Each query is a search with the shared filters and dates. A period's denominator is the number of
documents in it that the shared filters and dates keep (whatever the query), so a share says what
part of the searched corpus a query took up in that period; its 95% Wilson interval comes with it.
Counts are exact (every matching document), from `SearchBackend.matches()`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from ..errors import BadRequest
from ..search.types import NO_DAY, Matches
from . import stats

MAX_QUERIES = 6
LOW_DENOMINATOR = 30  # a period with fewer documents than this gives shares too unsteady to read much into
LOW_COUNT = 5  # nor does a share resting on fewer matching documents than this
INTERVALS = ("year", "month", "day")
MAX_PERIODS = 5000  # more periods than this make a table nobody reads: a longer interval is asked for


@dataclass
class Cell:
    count: int
    share: float | None
    low: float | None
    high: float | None
    low_count: bool


@dataclass
class Period:
    period: str
    start: date
    end: date
    denominator: int
    cells: list[Cell]


@dataclass
class FacetCount:
    value: str
    count: int
    corpus_count: int  # documents with this value in the corpus under the same date filter


@dataclass
class Series:
    number: int  # the N of qN
    label: str
    q: str
    parsed: str
    total: int
    undated: int
    facets: dict[str, list[FacetCount]]


@dataclass
class Comparison:
    series: list[Series]
    interval: str
    periods: list[Period]
    subcorpus: int  # documents the shared filters and dates keep: the denominator of the totals
    undated_subcorpus: int
    overlap: list[list[int]]  # documents matching both queries, for every pair (the diagonal: each query's total)
    jaccard: list[list[float | None]]
    matches: list[Matches] = field(default_factory=list)


def _interval(days: np.ndarray, asked: str | None) -> str:
    if asked:
        return asked
    if not len(days):
        return "year"
    span = int(days.max()) - int(days.min())
    return "year" if span > 3 * 366 else "month" if span > 45 else "day"


def _numbers(days: np.ndarray, interval: str) -> np.ndarray:
    unit = {"year": "Y", "month": "M", "day": "D"}[interval]
    return np.asarray(days, dtype="int64").astype("datetime64[D]").astype(f"datetime64[{unit}]").astype(np.int64)


def _bounds(number: int, interval: str) -> tuple[str, date, date]:
    unit = {"year": "Y", "month": "M", "day": "D"}[interval]
    first = np.array([number], dtype=np.int64).astype(f"datetime64[{unit}]")[0]
    start = first.astype("datetime64[D]").astype(date)
    end = ((first + 1).astype("datetime64[D]") - np.timedelta64(1, "D")).astype(date)
    label = {"year": f"{start.year}", "month": f"{start.year}-{start.month:02d}", "day": start.isoformat()}[interval]
    return label, start, end


def facet_counts(matches: Matches, mask: np.ndarray, corpus: np.ndarray, names: tuple[str, ...],
                 size: int, wholes: dict[str, np.ndarray] | None = None) -> dict[str, list[FacetCount]]:
    """The top values of each facet among the documents of a mask, beside their count in the corpus mask.

    `wholes` keeps each facet's corpus counts between calls (they are the same for every query).
    """
    out: dict[str, list[FacetCount]] = {}
    wholes = {} if wholes is None else wholes
    for name in names:
        table = matches.facets.get(name)
        if table is None:
            continue
        docs, ords = np.asarray(table.docs), np.asarray(table.ords)
        counts = np.bincount(ords[mask[docs]], minlength=len(table.values))
        if name not in wholes:
            wholes[name] = np.bincount(ords[corpus[docs]], minlength=len(table.values))
        whole = wholes[name]
        found = np.flatnonzero(counts)
        if len(found) > size:  # only the values that can be among the first `size` are sorted in Python
            kth = np.partition(counts[found], len(found) - size)[len(found) - size]
            found = found[counts[found] >= kth]
        order = sorted(found.tolist(), key=lambda o: (-int(counts[o]), table.values[o].casefold(), table.values[o]))
        out[name] = [FacetCount(table.values[o], int(counts[o]), int(whole[o])) for o in order[:size]]
    return out


def compare(found: list[tuple[int, str, Matches]], corpus: Matches, facet_names: tuple[str, ...], facet_size: int,
            interval: str | None, check: Callable[[], None]) -> Comparison:
    """The comparison of searches (number, label, matches) sharing one subcorpus; corpus: the date-filtered corpus."""
    sub = found[0][2].subcorpus
    days = found[0][2].days
    dated = days != NO_DAY
    union = np.zeros(len(sub), dtype=bool)
    for _, _, m in found:
        union |= m.matched
    chosen = _interval(days[union & dated], interval)
    series = []
    wholes: dict[str, np.ndarray] = {}
    for number, label, m in found:
        series.append(Series(number, label, m.request.q, m.parsed, int(m.matched.sum()), int((m.matched & ~dated).sum()),
                             facet_counts(m, m.matched, corpus.subcorpus, facet_names, facet_size, wholes)))
        check()
    periods: list[Period] = []
    if (union & dated).any():
        numbers = _numbers(days, chosen)
        lo, hi = int(numbers[union & dated].min()), int(numbers[union & dated].max())
        length = hi - lo + 1
        if length > MAX_PERIODS:
            raise BadRequest(f"interval={chosen} gives {length:,} periods here, more than {MAX_PERIODS:,}; "
                             "choose a longer interval", param="interval")
        inside = sub & dated & (numbers >= lo) & (numbers <= hi)
        denominators = np.bincount(numbers[inside] - lo, minlength=length)
        per_query = []
        for _, _, m in found:
            here = m.matched & dated
            per_query.append(np.bincount(numbers[here] - lo, minlength=length))
        for i in range(length):
            label, start, end = _bounds(lo + i, chosen)
            n = int(denominators[i])
            cells = []
            for counts in per_query:
                k = int(counts[i])
                interval_ = stats.wilson(k, n)
                cells.append(Cell(k, k / n if n else None, interval_[0] if interval_ else None,
                                  interval_[1] if interval_ else None, n < LOW_DENOMINATOR or k < LOW_COUNT))
            periods.append(Period(label, start, end, n, cells))
    masks = [m.matched for _, _, m in found]
    overlap = [[int((x & y).sum()) for y in masks] for x in masks]
    jaccard: list[list[float | None]] = []
    for x in masks:
        row: list[float | None] = []
        for y in masks:
            either = int((x | y).sum())
            row.append(int((x & y).sum()) / either if either else None)
        jaccard.append(row)
    return Comparison(series, chosen, periods, int(sub.sum()), int((sub & ~dated).sum()), overlap, jaccard,
                      [m for _, _, m in found])
