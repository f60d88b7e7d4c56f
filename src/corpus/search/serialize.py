"""Search results and records as JSON-ready dicts: what /api/* returns and `corpus search --json` prints.

No request context: links are built from a `Links` value (the app's mount point) and toggle URLs
from the search's parameters, so the web and the CLI print the same answer.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

from ..fields import STORED
from .request import Params, QueryParams, with_params
from .types import ArticleRecord, AuthorPage, AuthorRecord, CorpusStats, Facet, Hit, IndexInfo, SearchResult, Timeline


@dataclass(frozen=True)
class Links:
    """The URLs of pages and API answers, under `root`: where the app is mounted ("" at the top)."""

    root: str = ""

    def article(self, doc_id: str) -> dict[str, str]:
        """An article's page and its JSON (ids are URL-safe, see documents.is_valid_id)."""
        return {"html": f"{self.root}/articles/{doc_id}", "json": f"{self.root}/api/articles/{doc_id}"}

    def author(self, slug: str) -> dict[str, str]:
        """An author's page and its JSON."""
        return {"html": f"{self.root}/authors/{slug}", "json": f"{self.root}/api/authors/{slug}"}

    @property
    def api_search(self) -> str:
        """The /api/search endpoint, which every toggle_url leads to."""
        return f"{self.root}/api/search"


TOP = Links()


def iso(value: datetime | date | None) -> str | None:
    """ISO 8601; datetimes in UTC with a Z."""
    if value is None:
        return None
    if isinstance(value, datetime):  # four-digit years, even before 1000 (strftime writes year 1 as "1")
        return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
                f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z")
    return value.isoformat()


def hit_json(hit: Hit, links: Links = TOP) -> dict[str, Any]:
    """One search hit with schema field names and links to its HTML and JSON pages."""
    return {
        "id": hit.id, "title": hit.title, "date": iso(hit.date), **facet_values(hit), "url": hit.url,
        "snippet": hit.snippet, "score": round(hit.score, 4) if hit.score is not None else None,
        "links": links.article(hit.id),
    }


def facet_values(item: Hit | ArticleRecord) -> dict[str, Any]:
    """The values of every stored facet of a hit or an article, by facet name (see fields.FACETS)."""
    return {f.name: getattr(item, f.attr) for f in STORED}


def facet_json(facet: Facet, args: Params, links: Links = TOP,
               corpus: dict[str, int] | None = None) -> list[dict[str, Any]]:
    """A facet's values with counts, selection and the /api/search URL that toggles each one.

    With `corpus` (value -> documents with it in the corpus under the same date filter), each value
    carries that count as corpus_count, and its share of them.
    """
    base = links.api_search
    out = []
    for v in facet.values:
        item: dict[str, Any] = {"value": v.value, "count": v.count, "selected": v.selected}
        if corpus is not None:
            of = corpus.get(v.value, 0)
            item["corpus_count"] = of
            item["share"] = round(v.count / of, 6) if of else None
        item["toggle_url"] = f"{base}?{with_params(args, toggle=(facet.name, v.value))}"
        out.append(item)
    return out


def timeline_json(timeline: Timeline | None, shares: bool = False) -> dict[str, Any] | None:
    """The timeline's interval and buckets (count beside the whole corpus's count; with shares, count / corpus_count)."""
    if timeline is None:
        return None
    return {
        "interval": timeline.interval,
        "undated": timeline.undated,
        "buckets": [
            {"period": b.period, "start": iso(b.start), "end": iso(b.end), "count": b.count, "corpus_count": b.corpus_count,
             **({"share": round(b.count / b.corpus_count, 6) if b.corpus_count else None} if shares else {})}
            for b in timeline.buckets
        ],
    }


def index_json(info: IndexInfo) -> dict[str, Any]:
    """Which index build answered, its size and when it changed."""
    return asdict(info)


def result_json(result: SearchResult, args: Params, links: Links = TOP,
                corpus: dict[str, dict[str, int]] | None = None) -> dict[str, Any]:
    """The body of /api/search, which is also what the search page renders.

    With `corpus` (facet -> value -> documents in the corpus under the same date filter), facet
    values and timeline buckets carry their shares.
    """
    req = result.request
    return {
        "query": {
            "q": req.q, "parsed": result.parsed, "filters": req.filter_dict,
            "from": iso(req.date_from), "to": iso(req.date_to), "sort": req.sort,
        },
        "total": result.total, "page": req.page, "per_page": req.per_page, "pages": result.pages,
        "took_ms": result.took_ms,
        "hits": [hit_json(h, links) for h in result.hits],
        "facets": {name: facet_json(f, args, links, None if corpus is None else corpus.get(name, {}))
                   for name, f in result.facets.items()},
        "facet_distinct": {name: f.distinct for name, f in result.facets.items()},
        "timeline": timeline_json(result.timeline, shares=corpus is not None),
        "suggestion": result.suggestion,
        "authors": [
            {"slug": a.slug, "name": a.name, "bio": a.bio, "article_count": a.article_count,
             "links": links.author(a.slug)}
            for a in result.authors
        ],
        "index": index_json(result.index),
    }


def article_json(record: ArticleRecord, authors: dict[str, AuthorRecord | None] | None = None,
                 links: Links = TOP) -> dict[str, Any]:
    """A whole article: body, bios and every stored metadata field.

    With `authors` (name -> the author's record, if indexed), a bio missing from the article
    itself comes from the author's record, and each author gets a slug and links.
    """
    bios = dict(record.bios)
    people = []
    for name, info in (authors or {}).items():
        if not bios.get(name) and info is not None and info.bio:
            bios[name] = info.bio
        people.append({
            "name": name, "slug": info.slug if info else None, "bio": bios.get(name, ""),
            "links": links.author(info.slug) if info else None,
        })
    data: dict[str, Any] = {
        "id": record.id, "title": record.title, "date": iso(record.date), **facet_values(record),
        "region_inferred": record.region_inferred, "url": record.url, "body": record.body, "paragraphs": record.paragraphs,
        "bios": bios, "metadata": record.extra, "origin": record.origin,
        "links": links.article(record.id),
    }
    if authors is not None:
        data["authors"] = people
    return data


def author_json(record: AuthorRecord, links: Links = TOP) -> dict[str, Any]:
    """An author record with links to its page and JSON."""
    data = asdict(record)
    data["links"] = links.author(record.slug)
    return data


def authors_page_json(listing: AuthorPage, page: int, per_page: int, prefix: str, links: Links = TOP) -> dict[str, Any]:
    """One page of the author listing."""
    return {
        "prefix": prefix, "total": listing.total, "page": page, "per_page": per_page,
        "pages": max(1, math.ceil(listing.total / per_page)), "authors": [author_json(r, links) for r in listing.authors],
    }


def facet_page_json(facet: Facet, args: Params, page: int, per_page: int, prefix: str,
                    links: Links = TOP, corpus: dict[str, int] | None = None) -> dict[str, Any]:
    """One page of every value of one facet for a search; toggle_url leads to /api/search."""
    return {
        "facet": facet.name, "prefix": prefix, "total": facet.distinct, "page": page, "per_page": per_page,
        "pages": max(1, math.ceil(facet.distinct / per_page)), "values": facet_json(facet, args, links, corpus),
    }


def stats_json(stats: CorpusStats, links: Links = TOP) -> dict[str, Any]:
    """What the index holds: counts, date span, top facet values and the timeline."""
    empty = QueryParams()
    return {
        "index": index_json(stats.index),
        "documents": stats.documents, "authors": stats.authors, "sources": stats.sources, "regions": stats.regions,
        "undated": stats.undated, "date_span": stats.date_span,
        "facets": {name: facet_json(f, empty, links) for name, f in stats.facets.items()},
        "timeline": timeline_json(stats.timeline),
    }


# ----- export rows

MULTI_SEPARATOR = "; "


def export_record(hit: Hit, body: str | None, fields: tuple[str, ...]) -> dict[str, Any]:
    """One exported document with only the fields asked for, lists kept as lists."""
    full = {
        "id": hit.id, "title": hit.title, "date": iso(hit.date), **facet_values(hit), "url": hit.url,
        "score": round(hit.score, 4) if hit.score is not None else None, "body": body,
    }
    return {name: full[name] for name in fields}


# A spreadsheet reads a cell starting with one of these as a formula (OWASP, "CSV Injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A text cell that a spreadsheet would run as a formula, made inert with a leading apostrophe."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cells(record: dict[str, Any], keep_formulas: bool = False) -> list[str]:
    """A record as CSV cells: lists joined with "; " so a spreadsheet cell stays readable.

    Text cells that start like a formula get a leading apostrophe unless keep_formulas; numbers
    (the score) are numbers, never formulas, and are written as they are.
    """
    cells = []
    for value in record.values():
        if value is None:
            cells.append("")
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            cells.append(str(value))
        else:
            text = MULTI_SEPARATOR.join(value) if isinstance(value, list) else str(value)
            cells.append(text if keep_formulas else neutralise(text))
    return cells
