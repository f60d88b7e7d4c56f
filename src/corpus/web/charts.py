"""Geometry of the server-rendered SVG timeline: bars for the search beside the corpus coverage."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..search.types import Bucket, Timeline

WIDTH = 720
HEIGHT = 120
MAX_BARS = 400


@dataclass
class Bar:
    x: float
    width: float
    height: float  # the search's count
    corpus_height: float  # the corpus's count for the same period
    label: str
    count: int
    corpus_count: int
    url: str


@dataclass
class Chart:
    width: int
    height: int
    bars: list[Bar]
    interval: str
    max_count: int
    first: str
    last: str
    undated: int


def timeline_bars(timeline: Timeline | None, url_for_bucket: Callable[[Bucket], str]) -> Chart | None:
    """Bars scaled to the corpus maximum, so a gap in coverage is not read as a drop in attention."""
    if timeline is None or not timeline.buckets:
        return None
    buckets = timeline.buckets[-MAX_BARS:]
    top = max(max(b.corpus_count for b in buckets), 1)
    step = WIDTH / len(buckets)
    width = max(step - (1 if step > 3 else 0), 0.5)
    bars = [
        Bar(x=round(i * step, 2), width=round(width, 2),
            height=round(HEIGHT * b.count / top, 2), corpus_height=round(HEIGHT * b.corpus_count / top, 2),
            label=b.period, count=b.count, corpus_count=b.corpus_count, url=url_for_bucket(b))
        for i, b in enumerate(buckets)
    ]
    return Chart(width=WIDTH, height=HEIGHT, bars=bars, interval=timeline.interval, max_count=top,
                 first=buckets[0].period, last=buckets[-1].period, undated=timeline.undated)
