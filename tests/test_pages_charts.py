"""The timeline chart's geometry: every period stays reachable, and both series keep their own scale."""

from __future__ import annotations

from datetime import date

from corpus.search.types import Bucket, Timeline
from corpus.web.charts import MAX_BARS, PLOT, WIDTH, timeline_chart


def _years(counts: list[tuple[int, int]], first: int = 1700) -> Timeline:
    buckets = [Bucket(period=str(first + i), start=date(first + i, 1, 1), end=date(first + i, 12, 31), count=c, corpus_count=cc)
               for i, (c, cc) in enumerate(counts)]
    return Timeline(interval="year", buckets=buckets, undated=4)


def test_no_chart_without_buckets():
    assert timeline_chart(None, lambda b: "x") is None
    assert timeline_chart(Timeline(interval="year", buckets=[]), lambda b: "x") is None


def test_long_spans_are_grouped_not_cut():
    timeline = _years([(i % 3, 5) for i in range(700)])
    chart = timeline_chart(timeline, lambda b: f"/search?from={b.start}&to={b.end}")
    assert chart is not None
    assert len(chart.bars) <= MAX_BARS
    assert sum(b.count for b in chart.bars) == sum(b.count for b in timeline.buckets)
    assert sum(b.corpus_count for b in chart.bars) == 700 * 5
    assert chart.first.startswith("1700") and chart.last.endswith("2399")
    assert chart.bars[-1].x + chart.bars[-1].width <= WIDTH
    assert chart.undated == 4


def test_each_series_has_its_own_scale_and_empty_periods_are_not_links():
    chart = timeline_chart(_years([(1, 1000), (0, 10), (2, 1000)]), lambda b: f"/p/{b.period}")
    assert chart is not None
    small, empty, tall = chart.bars
    assert tall.height == PLOT and small.height == PLOT / 2  # scaled to the search's maximum, not the corpus's
    assert empty.height == 0 and empty.url is None and empty.corpus_height >= 2
    assert small.url == "/p/1700" and tall.url == "/p/1702"
    assert small.corpus_height == tall.corpus_height > empty.corpus_height
