"""Facet counts and the timeline, from the snapshot's columns: exact counts over the whole selection."""

from __future__ import annotations

from datetime import date

import numpy as np

from ...errors import BadRequest
from ...search.facets import facet_page
from ...search.types import Bucket, Facet, SearchRequest, Timeline
from .schema import COMPUTED
from .snapshot import NO_DATE, Snapshot


def facet(name: str, req: SearchRequest, snap: Snapshot, matched: np.ndarray, masks: dict[str, np.ndarray],
          size: int | None = None, prefix: str = "", offset: int = 0) -> Facet:
    """Counts over the whole result set, ignoring this facet's own selection (multi-select)."""
    base = matched.copy()
    for other, mask in masks.items():
        if other != name:
            base &= mask
    if name in COMPUTED:  # the one computed facet: the year of the date
        counts_by_year = np.bincount(snap.years[base & (snap.days != NO_DATE)], minlength=1)
        pairs = [(str(y), int(c)) for y, c in enumerate(counts_by_year) if c and y]
        pairs.sort(key=lambda p: p[0], reverse=True)
    else:
        column = snap.facets.get(name)
        if column is None:
            raise BadRequest(f"unknown facet {name!r}", param="facet")
        counts = column.count(base)
        nonzero = np.flatnonzero(counts)
        # By count, then the value case aside, then as stored (the lexicon's order): one lexsort,
        # and only the page's pairs (and any selected value's) become Python objects.
        order = nonzero[np.lexsort((nonzero, column.fold_rank[nonzero], -counts[nonzero]))]
        if prefix:
            pairs = [(column.values[i], int(counts[i])) for i in order.tolist()]
        else:
            end = offset + (req.facet_size if size is None else size)
            pairs = [(column.values[i], int(counts[i])) for i in order[:end].tolist()]
            shown = {v for v, _ in pairs}
            for value in req.selected(name):
                ordinal = column.ordinal(value)
                if value not in shown and ordinal is not None and counts[ordinal]:
                    pairs.append((value, int(counts[ordinal])))
            return facet_page(name, pairs, req, size, prefix, offset, distinct=len(nonzero))
    return facet_page(name, pairs, req, size, prefix, offset)


def timeline(snap: Snapshot, selected: np.ndarray, interval: str | None = None) -> Timeline:
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
