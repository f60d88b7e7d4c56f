"""HTML pages: every page has a JSON twin under /api with the same parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, render_template, request, url_for

from ..documents import is_valid_id
from ..errors import NotFound
from ..search.types import SearchRequest
from . import service, settings
from .charts import timeline_bars
from .params import parse_search, with_params

bp = Blueprint("pages", __name__)

PER_PAGE_CHOICES = (10, 20, 50, 100)


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    return {"with_params": lambda **kw: with_params(request.args, **kw), "per_page_choices": PER_PAGE_CHOICES}


@bp.get("/")
def home() -> Any:
    """A search box and an overview of the corpus."""
    stats = service().stats()
    bars = timeline_bars(stats["timeline"], lambda b: url_for("pages.search") + "?" + urlencode({"from": b.start.isoformat(), "to": b.end.isoformat()}))
    return render_template("home.html", stats=stats, bars=bars)


@bp.get("/search")
def search() -> Any:
    """Results with highlighted snippets, facets, a timeline and paging."""
    req = parse_search(request.args, settings())
    result = service().search(req)

    def bar_url(bucket: Any) -> str:
        return url_for("pages.search") + "?" + with_params(request.args, **{"from": bucket.start.isoformat(), "to": bucket.end.isoformat()})

    bars = timeline_bars(result.timeline, bar_url) if result.timeline else None
    return render_template("search.html", result=result, req=req, bars=bars, args=request.args)


@bp.get("/articles/<doc_id>")
def article(doc_id: str) -> Any:
    """The full article, its author box, more like this and a citation."""
    if not is_valid_id(doc_id):
        raise NotFound(f"no article with id {doc_id[:80]!r}")
    svc = service()
    record = svc.article(doc_id)
    q = request.args.get("q", "")
    marked = svc.highlight_article(record, q) if q and len(q) <= settings().max_query_length else None
    authors = []
    for name in record.authors:
        from ..documents import slugify

        slug = slugify(name)
        try:
            info = svc.author(slug)
        except NotFound:
            info = None
        authors.append({"name": name, "slug": slug, "bio": record.bios.get(name) or (info.bio if info else ""), "info": info})
    similar = svc.more_like_this(doc_id)
    retrieved = datetime.now(UTC).strftime("%Y-%m-%d")
    return render_template("article.html", article=record, marked=marked, authors=authors, similar=similar,
                           q=q, retrieved=retrieved, index=svc.index_info())


@bp.get("/authors/<slug>")
def author(slug: str) -> Any:
    """An author's bio, counts, sources and timeline, with their articles."""
    if not is_valid_id(slug):
        raise NotFound(f"no author {slug[:80]!r}")
    svc = service()
    record = svc.author(slug)
    req = parse_search(request.args, settings())
    req = SearchRequest(filters=(("author", (record.name,)),), sort=req.sort if req.sort != "relevance" else "newest",
                        page=req.page, per_page=req.per_page, facets=("source", "region", "year"), timeline=False)
    result = svc.search(req)
    timeline = svc.author_timeline(record.name)
    bars = timeline_bars(timeline, lambda b: url_for("pages.search") + "?" + urlencode({"author": record.name, "from": b.start.isoformat(), "to": b.end.isoformat()}))
    return render_template("author.html", author=record, result=result, req=req, bars=bars, args=request.args)


@bp.get("/help")
def help_page() -> Any:
    """The query language, with examples that run live searches."""
    return render_template("help.html")
