"""Geometry of the server-rendered SVG timeline: the search's bars above a strip of corpus coverage."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..search.types import Bucket, Timeline

WIDTH = 720
PLOT = 100  # height of the search's bars
GAP = 8
STRIP = 28  # height of the corpus coverage strip
MAX_BARS = 240  # wider spans are grouped, never cut, so every period stays reachable


@dataclass
class Bar:
    x: float
    width: float
    y: float
    height: float
    corpus_y: float
    corpus_height: float
    label: str
    count: int
    corpus_count: int
    url: str | None  # None for a period the search has nothing in: no dead-end links
    share: float | None = None  # count / corpus_count


@dataclass
class Chart:
    width: int
    height: int
    plot: int
    strip: int
    bars: list[Bar]
    interval: str
    max_count: int
    corpus_max: int
    first: str
    last: str
    undated: int
    corpus_strip: bool
    shares: bool = False  # bars drawn as the share of each period's articles, not as counts
    max_share: float = 0.0


def _grouped(buckets: list[Bucket]) -> list[Bucket]:
    """Consecutive buckets merged so that at most MAX_BARS remain."""
    size = math.ceil(len(buckets) / MAX_BARS)
    if size <= 1:
        return buckets
    groups = [buckets[i:i + size] for i in range(0, len(buckets), size)]
    return [
        Bucket(period=g[0].period if len(g) == 1 else f"{g[0].period} to {g[-1].period}", start=g[0].start, end=g[-1].end,
               count=sum(b.count for b in g), corpus_count=sum(b.corpus_count for b in g))
        for g in groups
    ]


def timeline_chart(timeline: Timeline | None, url_for_bucket: Callable[[Bucket], str],
                   corpus_strip: bool = True, shares: bool = False) -> Chart | None:
    """Bars scaled to the search's own maximum, with the corpus per period in a strip below.

    Each series has its own scale: a rare word stays visible, and the strip shows where the
    corpus itself is thin, so a gap in coverage is not read as a drop in attention.
    """
    if timeline is None or not timeline.buckets:
        return None
    buckets = _grouped(timeline.buckets)
    top = max(max(b.count for b in buckets), 1)
    share = [b.count / b.corpus_count if b.corpus_count else 0.0 for b in buckets]
    top_share = max(share) or 1.0
    corpus_top = max(max(b.corpus_count for b in buckets), 1)
    step = WIDTH / len(buckets)
    width = max(step - (1 if step > 3 else 0), 0.5)
    strip_top = PLOT + GAP
    bars = []
    for i, b in enumerate(buckets):
        height = round(PLOT * (share[i] / top_share if shares else b.count / top), 2)
        if b.count and height < 2:
            height = 2.0  # one article in a busy chart must still show
        corpus_height = round(STRIP * b.corpus_count / corpus_top, 2)
        if b.corpus_count and corpus_height < 2:
            corpus_height = 2.0
        bars.append(Bar(x=round(i * step, 2), width=round(width, 2), y=round(PLOT - height, 2), height=height,
                        corpus_y=round(strip_top + STRIP - corpus_height, 2), corpus_height=corpus_height,
                        label=b.period, count=b.count, corpus_count=b.corpus_count,
                        url=url_for_bucket(b) if b.count else None,
                        share=b.count / b.corpus_count if b.corpus_count else None))
    return Chart(width=WIDTH, height=strip_top + STRIP if corpus_strip else PLOT, plot=PLOT, strip=STRIP, bars=bars,
                 interval=timeline.interval, max_count=top, corpus_max=corpus_top, first=buckets[0].period,
                 last=buckets[-1].period, undated=timeline.undated, corpus_strip=corpus_strip, shares=shares,
                 max_share=max(share))


# ----- the comparison's chart: one line per query, as counts or as shares of each period


@dataclass
class Line:
    label: str
    number: int  # the N of qN (the line's style)
    points: str  # SVG polyline points


@dataclass
class CompareChart:
    width: int
    height: int
    lines: list[Line]
    top: float
    scale: str  # counts or shares
    first: str
    last: str


COMPARE_HEIGHT = 160


def compare_chart(periods: list[Any], series: list[Any], scale: str) -> CompareChart | None:
    """Lines over the periods of a comparison, all on one scale (the largest count or share shown)."""
    if len(periods) < 2 or not series:
        return None
    def value(p: Any, i: int) -> float:
        cell = p.cells[i]
        return float(cell.count if scale == "counts" else (cell.share or 0.0))
    top = max((value(p, i) for p in periods for i in range(len(series))), default=0.0) or 1.0
    step = WIDTH / (len(periods) - 1)
    lines = []
    for i, s in enumerate(series):
        points = " ".join(f"{round(j * step, 2)},{round(COMPARE_HEIGHT - COMPARE_HEIGHT * value(p, i) / top, 2)}"
                          for j, p in enumerate(periods))
        lines.append(Line(s.label, s.number, points))
    return CompareChart(WIDTH, COMPARE_HEIGHT, lines, top, scale, periods[0].period, periods[-1].period)
