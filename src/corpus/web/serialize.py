"""Search results and records as JSON-ready dicts: what /api/* returns and the pages render."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from typing import Any

from flask import url_for
from werkzeug.datastructures import MultiDict

from ..search.types import ArticleRecord, AuthorRecord, Facet, Hit, IndexInfo, SearchResult, Timeline
from .params import with_params


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601; datetimes in UTC with a Z."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def hit_json(hit: Hit) -> dict[str, Any]:
    return {
        "id": hit.id, "title": hit.title, "author": hit.authors, "date": iso(hit.date), "source": hit.source,
        "region": hit.region, "category": hit.category, "url": hit.url, "snippet": hit.snippet,
        "score": round(hit.score, 4) if hit.score is not None else None,
        "links": {
            "html": url_for("pages.article", doc_id=hit.id),
            "json": url_for("api.article", doc_id=hit.id),
        },
    }


def facet_json(facet: Facet, args: MultiDict[str, str], endpoint: str) -> list[dict[str, Any]]:
    base = url_for(endpoint)
    return [
        {"value": v.value, "count": v.count, "selected": v.selected,
         "toggle_url": f"{base}?{with_params(args, toggle=(facet.name, v.value))}"}
        for v in facet.values
    ]


def timeline_json(timeline: Timeline | None) -> dict[str, Any] | None:
    if timeline is None:
        return None
    return {
        "interval": timeline.interval,
        "undated": timeline.undated,
        "buckets": [
            {"period": b.period, "start": iso(b.start), "end": iso(b.end), "count": b.count, "corpus_count": b.corpus_count}
            for b in timeline.buckets
        ],
    }


def index_json(info: IndexInfo) -> dict[str, Any]:
    return asdict(info)


def result_json(result: SearchResult, args: MultiDict[str, str], endpoint: str = "api.search") -> dict[str, Any]:
    """The body of /api/search, which is also what the search page renders."""
    req = result.request
    return {
        "query": {
            "q": req.q, "parsed": result.parsed, "filters": req.filter_dict,
            "from": iso(req.date_from), "to": iso(req.date_to), "sort": req.sort,
        },
        "total": result.total, "page": req.page, "per_page": req.per_page, "pages": result.pages,
        "took_ms": result.took_ms,
        "hits": [hit_json(h) for h in result.hits],
        "facets": {name: facet_json(f, args, endpoint) for name, f in result.facets.items()},
        "facet_distinct": {name: f.distinct for name, f in result.facets.items()},
        "timeline": timeline_json(result.timeline),
        "suggestion": result.suggestion,
        "authors": [
            {"slug": a.slug, "name": a.name, "bio": a.bio, "article_count": a.article_count,
             "links": {"html": url_for("pages.author", slug=a.slug), "json": url_for("api.author", slug=a.slug)}}
            for a in result.authors
        ],
        "index": index_json(result.index),
    }


def article_json(record: ArticleRecord) -> dict[str, Any]:
    return {
        "id": record.id, "title": record.title, "author": record.authors, "date": iso(record.date),
        "source": record.source, "region": record.region, "region_inferred": record.region_inferred,
        "category": record.category, "url": record.url, "body": record.body, "paragraphs": record.paragraphs,
        "bios": record.bios, "metadata": record.extra, "origin": record.origin,
        "links": {"html": url_for("pages.article", doc_id=record.id)},
    }


def author_json(record: AuthorRecord) -> dict[str, Any]:
    data = asdict(record)
    data["links"] = {"html": url_for("pages.author", slug=record.slug), "json": url_for("api.author", slug=record.slug)}
    return data
