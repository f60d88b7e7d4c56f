"""The keyword and comparison answers as plain dicts and CSV text (the API, the pages and the exports share them)."""

from __future__ import annotations

import csv
import io
from dataclasses import asdict
from typing import Any

from ..search.serialize import neutralise
from .compare import Comparison
from .keyness import Keyword, Keywords

KEYWORD_COLUMNS = ("word", "direction", "target_frequency", "reference_frequency", "target_documents",
                   "reference_documents", "target_per_million", "reference_per_million", "g2", "p", "log_ratio", "low_count")
SERIES_COLUMNS = ("period", "start", "end", "denominator", "query", "label", "q", "count", "share", "share_low",
                  "share_high", "low_count")
OVERLAP_COLUMNS = ("query_a", "label_a", "query_b", "label_b", "overlap", "jaccard")


def _r(value: float | None, digits: int = 6) -> float | None:
    return None if value is None else round(value, digits)


def _p(value: float) -> float:
    return float(f"{value:.6g}")


def keyword_json(k: Keyword) -> dict[str, Any]:
    return {"word": k.word, "target_frequency": k.target_frequency, "reference_frequency": k.reference_frequency,
            "target_documents": k.target_documents, "reference_documents": k.reference_documents,
            "target_per_million": _r(k.target_per_million, 4), "reference_per_million": _r(k.reference_per_million, 4),
            "g2": _r(k.g2, 4), "p": _p(k.p), "log_ratio": _r(k.log_ratio, 4), "low_count": k.low_count}


def keywords_counts(k: Keywords) -> dict[str, int]:
    return {"target_documents": k.target_documents, "reference_documents": k.reference_documents,
            "target_tokens": k.target_tokens, "reference_tokens": k.reference_tokens}


def keywords_options(k: Keywords) -> dict[str, Any]:
    o = k.options
    return {"vs": o.vs, "sort": o.sort, "min": o.min, "ngram": o.ngram, "limit": o.limit,
            "stop": k.stop_languages if o.stop is not None else None}


def keywords_json(k: Keywords, concordance: Any) -> dict[str, Any]:
    """The body of /api/keywords (without its provenance); concordance(word) is the link of each word."""
    def rows(items: list[Keyword]) -> list[dict[str, Any]]:
        return [{**keyword_json(x), "concordance": concordance(x.word)} for x in items]
    return {**keywords_options(k), **keywords_counts(k),
            "candidates": {"over": k.candidates_over, "under": k.candidates_under},
            "over": rows(k.over), "under": rows(k.under)}


def _csv(rows: list[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for row in rows:
        writer.writerow(["" if v is None else neutralise(v) if isinstance(v, str) else
                         ("true" if v else "false") if isinstance(v, bool) else v for v in row])
    return buffer.getvalue().encode("utf-8")


def keywords_csv(k: Keywords) -> bytes:
    """Every listed word as a CSV row, over-represented first (text neutralised against formulas)."""
    rows: list[list[Any]] = [list(KEYWORD_COLUMNS)]
    for direction, items in (("over", k.over), ("under", k.under)):
        for x in items:
            j = keyword_json(x)
            rows.append([j["word"], direction, *[j[c] for c in KEYWORD_COLUMNS[2:]]])
    return _csv(rows)


def compare_json(c: Comparison) -> dict[str, Any]:
    """The body of /api/compare (without its provenance)."""
    return {
        "interval": c.interval, "subcorpus": c.subcorpus, "undated_subcorpus": c.undated_subcorpus,
        "queries": [{"query": s.number, "label": s.label, "q": s.q, "parsed": s.parsed, "total": s.total,
                     "share": _r(s.total / c.subcorpus) if c.subcorpus else None, "undated": s.undated,
                     "facets": {name: [asdict(v) for v in values] for name, values in s.facets.items()}}
                    for s in c.series],
        "periods": [{"period": p.period, "start": p.start.isoformat(), "end": p.end.isoformat(),
                     "denominator": p.denominator,
                     "series": [{"count": x.count, "share": _r(x.share), "share_low": _r(x.low), "share_high": _r(x.high),
                                 "low_count": x.low_count} for x in p.cells]}
                    for p in c.periods],
        "overlap": {"labels": [s.label for s in c.series], "documents": c.overlap,
                    "jaccard": [[_r(v) for v in row] for row in c.jaccard]},
    }


def series_csv(c: Comparison) -> bytes:
    """One row per period and query: count, denominator, share and its interval."""
    rows: list[list[Any]] = [list(SERIES_COLUMNS)]
    for p in c.periods:
        for s, x in zip(c.series, p.cells, strict=True):
            rows.append([p.period, p.start.isoformat(), p.end.isoformat(), p.denominator, s.number, s.label, s.q,
                         x.count, _r(x.share), _r(x.low), _r(x.high), x.low_count])
    return _csv(rows)


def overlap_csv(c: Comparison) -> bytes:
    """One row per pair of queries: documents matching both, and the Jaccard index."""
    rows: list[list[Any]] = [list(OVERLAP_COLUMNS)]
    for i, a in enumerate(c.series):
        for j, b in enumerate(c.series):
            rows.append([a.number, a.label, b.number, b.label, c.overlap[i][j], _r(c.jaccard[i][j])])
    return _csv(rows)
