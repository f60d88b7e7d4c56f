"""Geometry of the server-rendered SVG timeline: the search's bars above a strip of corpus coverage."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

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
                   corpus_strip: bool = True) -> Chart | None:
    """Bars scaled to the search's own maximum, with the corpus per period in a strip below.

    Each series has its own scale: a rare word stays visible, and the strip shows where the
    corpus itself is thin, so a gap in coverage is not read as a drop in attention.
    """
    if timeline is None or not timeline.buckets:
        return None
    buckets = _grouped(timeline.buckets)
    top = max(max(b.count for b in buckets), 1)
    corpus_top = max(max(b.corpus_count for b in buckets), 1)
    step = WIDTH / len(buckets)
    width = max(step - (1 if step > 3 else 0), 0.5)
    strip_top = PLOT + GAP
    bars = []
    for i, b in enumerate(buckets):
        height = round(PLOT * b.count / top, 2)
        if b.count and height < 2:
            height = 2.0  # one article in a busy chart must still show
        corpus_height = round(STRIP * b.corpus_count / corpus_top, 2)
        if b.corpus_count and corpus_height < 2:
            corpus_height = 2.0
        bars.append(Bar(x=round(i * step, 2), width=round(width, 2), y=round(PLOT - height, 2), height=height,
                        corpus_y=round(strip_top + STRIP - corpus_height, 2), corpus_height=corpus_height,
                        label=b.period, count=b.count, corpus_count=b.corpus_count,
                        url=url_for_bucket(b) if b.count else None))
    return Chart(width=WIDTH, height=strip_top + STRIP if corpus_strip else PLOT, plot=PLOT, strip=STRIP, bars=bars,
                 interval=timeline.interval, max_count=top, corpus_max=corpus_top, first=buckets[0].period,
                 last=buckets[-1].period, undated=timeline.undated, corpus_strip=corpus_strip)
