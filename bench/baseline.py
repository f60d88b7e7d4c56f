"""The baseline: the same searches with facets counted by Whoosh's own `groupedby`, on the same index.

It opens the served build with Whoosh directly and does what a plain Whoosh application would:
parse the query over title and body, search with limit=10 and groupedby for author, source, region
and year plus a monthly timeline, and highlight the 10 hits.
"""

from __future__ import annotations

import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

from common import busy, served_build, summary
from queries import KINDS, QUERIES


def _facets(first_year: int, last_year: int) -> dict[str, Any]:
    from dateutil.relativedelta import relativedelta
    from whoosh import sorting

    start, end = datetime(first_year, 1, 1), datetime(last_year + 1, 1, 1)
    return {
        "author": sorting.FieldFacet("author", allow_overlap=True),
        "source": sorting.FieldFacet("source", allow_overlap=True),
        "region": sorting.FieldFacet("region", allow_overlap=True),
        "year": sorting.DateRangeFacet("date", start, end, relativedelta(years=1)),
        "timeline": sorting.DateRangeFacet("date", start, end, relativedelta(months=1)),
    }


def _query(parser: Any, q: str, dates: Any) -> Any:
    from whoosh import query as wq

    parts = [wq.Term("kind", "article"), parser.parse(q) if q else wq.Every()]
    if dates:
        parts.append(wq.DateRange("date", datetime(*dates[0].timetuple()[:3]),
                                  datetime(*dates[1].timetuple()[:3], 23, 59, 59)))
    return wq.And(parts)


def run(index: Path, reps: int, years: tuple[int, int]) -> dict[str, Any]:
    """Time the groupedby searches; {kind: summary} plus totals for a sanity check against ours."""
    from whoosh import index as whoosh_index
    from whoosh.qparser import MultifieldParser

    ix = whoosh_index.open_dir(str(served_build(index)))
    parser = MultifieldParser(["title", "body"], ix.schema)
    facets = _facets(*years)
    samples: dict[str, list[float]] = defaultdict(list)
    cpu: dict[str, list[float]] = defaultdict(list)
    totals: dict[str, int] = {}
    with ix.searcher() as searcher:
        for i in range(reps + 1):  # the first pass is a warm-up
            for kind, q, _fts, dates in QUERIES:
                c0, t0 = time.thread_time(), time.perf_counter()
                results = searcher.search(_query(parser, q, dates), limit=10, groupedby=facets)
                counts = {name: results.groups(name) for name in facets}
                snippets = [hit.highlights("body") for hit in results[:10]]
                total = len(results)
                ms = (time.perf_counter() - t0) * 1000
                cpu_ms = (time.thread_time() - c0) * 1000
                del counts, snippets
                if i == 0:
                    totals[f"{kind}: {q or '(all)'}"] = total
                else:
                    samples[kind].append(ms)
                    cpu[kind].append(cpu_ms)
    ix.close()
    return {"totals": totals, "by_kind": {kind: summary(samples[kind], cpu[kind]) for kind in KINDS}, "busy": busy()}
