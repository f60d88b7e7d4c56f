"""HTML pages: every page has a JSON twin under /api with the same parameters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode, urlparse

from flask import Blueprint, render_template, request, url_for

from ..concord.colloc import MEASURES
from ..concord.colloc import collocations as run_collocations
from ..concord.lines import SORT_KEYS
from ..concord.lines import concordance as run_concordance
from ..concord.views import prepare
from ..documents import is_valid_id, slugify
from ..errors import BadRequest, NotFound
from ..fields import FACET_NAMES, FACETS, FILTER_NAMES
from ..research.compare import MAX_QUERIES
from ..research.provenance import citation
from ..research.shares import facet_corpus_counts
from ..search.request import parse_search, search_args, with_params
from ..search.types import Bucket, SearchRequest
from .charts import compare_chart, timeline_chart
from .context import service, settings
from .params import (
    VIEW_PARAMS,
    keywords_search,
    parse_collocations,
    parse_compare,
    parse_concordance,
    parse_keywords,
    parse_scale,
    search_part,
)
from .research import SEARCH_DENOMINATORS, compare_answer, keyword_answer, search_provenance

bp = Blueprint("pages", __name__)

PER_PAGE_CHOICES = (10, 20, 50, 100)
FACET_PAGE_SIZE = 50
MAX_PREFIX = 100
# Parameters that shape one page of results but not which articles an export holds.
NOT_EXPORTED = ("page", "per_page", "facet", "facet_size", "highlight")
FACET_LABELS = {f.name: (f.label, f.plural) for f in FACETS}
BROWSABLE_FACETS = frozenset(f.name for f in FACETS if f.browse)  # with a page of every value
FILTERS_SHOWN = ", ".join(f.label.lower() for f in FACETS if f.default)  # the sidebar's facets, in words


# The helpers below are template globals rather than context values, so that macros imported
# from _macros.html (which get no context) can use them too.
@bp.app_template_global("http_url")
def http_url(value: str | None) -> str | None:
    """The URL when it is http(s), else None: only such URLs ever become links."""
    if not value:
        return None
    try:
        scheme = urlparse(value.strip()).scheme.lower()
    except ValueError:
        return None
    return value.strip() if scheme in ("http", "https") else None


@bp.app_template_global("search_link")
def search_link(**params: Any) -> str:
    """A /search URL for a fresh search with these parameters (lists give repeated values)."""
    pairs = [(k, str(v)) for k, vs in params.items() if vs not in (None, "")
             for v in (vs if isinstance(vs, (list, tuple)) else [vs])]
    return url_for("pages.search") + ("?" + urlencode(pairs) if pairs else "")


@bp.app_template_global("hidden_fields")
def hidden_fields(*drop: str) -> list[tuple[str, str]]:
    """The current search's parameters as hidden form fields, minus the ones a form sets itself."""
    return [(k, v) for k, v in search_args(request.args) if k not in (*drop, "page")]


@bp.app_template_global("page_numbers")
def page_numbers(page: int, pages: int, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last and a few around the current one; None is a gap."""
    wanted = sorted({1, pages, *range(max(1, page - around), min(pages, page + around) + 1)})
    out: list[int | None] = []
    for n in wanted:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


@bp.app_context_processor
def helpers() -> dict[str, Any]:
    """Constants every template may use."""
    return {"per_page_choices": PER_PAGE_CHOICES, "facet_labels": FACET_LABELS,
            "browsable_facets": BROWSABLE_FACETS, "filters_shown": FILTERS_SHOWN,
            "filter_names": FILTER_NAMES}


@bp.app_template_global("with_params")
def current_with_params(**changes: Any) -> str:
    """The current request's search parameters with some changed (see params.with_params)."""
    return with_params(request.args, **changes)


@bp.app_template_global("author_slug")
def author_slug(name: str) -> str:
    """The slug of an author's page."""
    return slugify(name)


def _bar_link(**fixed: Any) -> Any:
    def link(bucket: Bucket) -> str:
        return search_link(**fixed, **{"from": bucket.start.isoformat(), "to": bucket.end.isoformat()})
    return link


@bp.get("/")
def home() -> Any:
    """A search box and an overview of the corpus."""
    stats = service().stats()
    chart = timeline_chart(stats.timeline, _bar_link(), corpus_strip=False)
    return render_template("home.html", stats=stats, chart=chart)


@bp.get("/search")
def search() -> Any:
    """Results with highlighted snippets, facets, a timeline and paging."""
    req = parse_search(request.args, settings())
    scale = parse_scale(request.args)
    svc = service()
    result = svc.search(req)
    corpus = facet_corpus_counts(svc, req, result.facets)

    def bar_url(bucket: Bucket) -> str:
        changes: dict[str, Any] = {"from": bucket.start.isoformat(), "to": bucket.end.isoformat()}
        return url_for("pages.search") + "?" + with_params(request.args, **changes)

    chart = timeline_chart(result.timeline, bar_url, shares=scale == "shares")
    exports = [(k, v) for k, v in search_args(request.args) if k not in NOT_EXPORTED]
    note = search_provenance("search", req, result.parsed, result.index, svc.version(), {"total": result.total},
                             {"corpus_documents": result.index.documents, **SEARCH_DENOMINATORS})
    page_args = with_params(request.args, page=req.page if req.page > 1 else None)
    return render_template(
        "search.html", result=result, req=req, chart=chart, args=request.args, corpus=corpus, scale=scale,
        json_url=url_for("api.search") + "?" + page_args,
        csv_url="/api/export?" + urlencode([("format", "csv"), *exports]),
        cite=_cite(note, url_for("api.export") + "?" + urlencode([("format", "bundle"), *exports])),
        shares_url="?" + with_params(request.args, page=req.page if req.page > 1 else None, scale="shares"),
        counts_url="?" + page_args,
    )


@bp.get("/facets/<name>")
def facet(name: str) -> Any:
    """Every value of one facet for the current search, paged, with a prefix filter."""
    if name not in FACET_NAMES:
        raise NotFound(f"there is no facet {name[:40]!r}; facets are {', '.join(FACET_NAMES)}")
    req = parse_search(request.args, settings())
    prefix = request.args.get("prefix", "").strip()
    if len(prefix) > MAX_PREFIX:
        raise BadRequest(f"prefix is longer than {MAX_PREFIX} characters", param="prefix")
    raw_page = request.args.get("fpage", "1") or "1"
    if not (raw_page.isascii() and raw_page.isdigit()) or not 1 <= int(raw_page) <= 100_000:
        raise BadRequest(f"fpage must be a whole number from 1, not {raw_page[:40]!r}", param="fpage")
    fpage = int(raw_page)
    values = service().facet_values(name, req, prefix=prefix, page=fpage, size=FACET_PAGE_SIZE)
    pages = max(1, -(-values.total_values // FACET_PAGE_SIZE))
    base = [(k, v) for k, v in search_args(request.args)]

    def page_url(n: int) -> str:
        extra = [("prefix", prefix)] if prefix else []
        return url_for("pages.facet", name=name) + "?" + urlencode([*base, *extra, ("fpage", n)])

    return render_template("facet.html", name=name, facet=values, req=req, prefix=prefix, fpage=fpage, pages=pages,
                           page_url=page_url, back_url=url_for("pages.search") + "?" + with_params(request.args))


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
        slug = slugify(name)
        try:
            info = svc.author(slug)
        except NotFound:
            info = None
        authors.append({"name": name, "slug": slug if info else None,
                        "bio": record.bios.get(name) or (info.bio if info else ""), "info": info})
    similar = svc.more_like_this(doc_id)
    retrieved = datetime.now(UTC).strftime("%-d %B %Y")
    return render_template("article.html", article=record, marked=marked, authors=authors, similar=similar,
                           q=q, retrieved=retrieved, index=svc.index_info(), original=http_url(record.url))


def _author_names(slug: str, name: str) -> tuple[str, ...]:
    """Every spelling of an author's name that shares the page's slug ("R. W. Seton-Watson", "R.w. Seton-Watson").

    Ingest gives such spellings one author page, so the page lists and counts all their articles.
    """
    every = service().facet_values("author", SearchRequest(facets=("author",)), size=10_000_000)
    names = [v.value for v in every.values if v.value != name and slugify(v.value) == slug]
    return (name, *names)


@bp.get("/authors/<slug>")
def author(slug: str) -> Any:
    """An author's bio, counts, sources and timeline, with their articles paged and sortable."""
    if not is_valid_id(slug):
        raise NotFound(f"no author {slug[:80]!r}")
    svc = service()
    record = svc.author(slug)
    names = _author_names(slug, record.name)
    asked = parse_search(request.args, settings())
    req = SearchRequest(filters=(("author", names),), sort="oldest" if asked.sort == "oldest" else "newest",
                        page=asked.page, per_page=asked.per_page, facets=(), timeline=True, authors=False)
    result = svc.search(req)
    chart = timeline_chart(result.timeline, _bar_link(author=list(names)), corpus_strip=False)
    return render_template("author.html", author=record, names=names, result=result, req=req, chart=chart,
                           homepage=http_url(record.url))


@bp.get("/help")
def help_page() -> Any:
    """The query language, with examples that run live searches."""
    return render_template("help.html")


# ----- words in context


@bp.app_template_global("view_params")
def view_params(**changes: Any) -> str:
    """The current request's parameters (all of them, the view's own too) with some changed; page 1 unless given."""
    drop = set(changes) | {"page"}
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k not in drop and v != ""]
    for key, value in changes.items():
        if value is None or value == "":
            continue
        for v in value if isinstance(value, (list, tuple)) else [value]:
            pairs.append((key, str(v)))
    return urlencode(pairs)


@bp.app_template_global("view_toggle")
def view_toggle(name: str, value: str) -> str:
    """The current view's parameters with one facet value added, or removed when it is selected."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if k != "page" and v != ""]
    if (name, value) in pairs:
        pairs.remove((name, value))
    else:
        pairs.append((name, value))
    return urlencode(pairs)


def _api_query() -> str:
    return urlencode([(k, v) for k, v in request.args.items(multi=True) if v != ""])


@bp.get("/concordance")
def concordance() -> Any:
    """Every occurrence of a word or phrase in its context, sortable by the words around it, paged."""

    options = parse_concordance(request.args)
    req = parse_search(search_part(request.args), settings())
    result = None
    if req.q.strip():
        svc = service()
        store, matches = prepare(svc, req)
        result = run_concordance(store, matches, svc.documents, options, facet_names=req.facets, facet_size=req.facet_size)
    query = _api_query()
    searched = [(k, v) for k, v in request.args.items(multi=True) if k in ("q", *FILTER_NAMES, "from", "to") and v != ""]
    return render_template("concordance.html", collocations_url=url_for("pages.collocations") + "?" + urlencode(searched), result=result, req=req, options=options, sort_keys=SORT_KEYS,
                           facet_names=FACET_NAMES, json_url=url_for("api.concordance") + "?" + query,
                           csv_url=url_for("api.concordance_export") + "?" + urlencode(
                               [("format", "csv"), *[(k, v) for k, v in request.args.items(multi=True)
                                                     if k not in ("format", "page", "per_page") and v != ""]]),
                           jsonl_url=url_for("api.concordance_export") + "?" + urlencode(
                               [("format", "jsonl"), *[(k, v) for k, v in request.args.items(multi=True)
                                                       if k not in ("format", "page", "per_page") and v != ""]]))


@bp.get("/collocations")
def collocations() -> Any:
    """The words that keep a node word or phrase company, with their association measures."""

    options = parse_collocations(request.args)
    req = parse_search(search_part(request.args), settings())
    result = None
    if req.q.strip():
        svc = service()
        store, matches = prepare(svc, req)
        result = run_collocations(store, matches, svc.documents, options)
    searched = [(k, v) for k, v in request.args.items(multi=True) if k not in VIEW_PARAMS and v != ""]
    window = max(options.left, options.right)

    def near_url(word: str) -> str:
        """The concordance of the node with this collocate within the window."""
        return url_for("pages.concordance") + "?" + urlencode([*searched, ("near", word), ("window", window)])

    return render_template("collocations.html", result=result, req=req, options=options, measures=MEASURES,
                           facet_names=FACET_NAMES, near_url=near_url,
                           concordance_url=url_for("pages.concordance") + "?" + urlencode(searched),
                           json_url=url_for("api.collocations") + "?" + _api_query())


# ----- research: distinctive words and compared queries


def _cite(note: dict[str, Any], bundle_url: str) -> dict[str, str]:
    return {"text": citation(note, request.url), "bundle_url": bundle_url}


def _api_url(endpoint: str, **changes: Any) -> str:
    pairs = [(k, v) for k, v in request.args.items(multi=True) if v != "" and k not in changes]
    pairs += [(k, str(v)) for k, v in changes.items() if v is not None]
    return url_for(endpoint) + "?" + urlencode(pairs)


@bp.get("/keywords")
def keywords() -> Any:
    """The words most over- and under-represented in a search's articles, against a reference, as tables."""
    options, _ = parse_keywords(request.args)
    answer = None
    asked = any(v != "" for k, v in request.args.items(multi=True) if k in ("q", *FILTER_NAMES, "from", "to"))
    if asked:
        answer = keyword_answer(request.args)
    else:
        keywords_search(request.args, settings())  # the form's own values are checked all the same
    cite = _cite(answer.provenance, _api_url("api.keywords", format="bundle")) if answer else None
    return render_template("keywords.html", answer=answer, options=options, cite=cite,
                           json_url=_api_url("api.keywords", format=None), csv_url=_api_url("api.keywords", format="csv"),
                           vs_filters=[(k, v) for k, v in request.args.items(multi=True) if k.startswith("vs_") and k != "vs_q"])


@bp.get("/compare")
def compare() -> Any:
    """Up to six queries over one timeline, as counts and as shares, with their overlaps, as tables and a chart."""
    scale = parse_scale(request.args)
    creq = parse_compare(request.args, settings())
    answer = compare_answer(request.args) if creq.queries else None
    chart = compare_chart(answer.result.periods, answer.result.series, scale) if answer else None
    cite = _cite(answer.provenance, _api_url("api.compare", format="bundle", scale=None)) if answer else None
    rows = [(n, (request.args.get(f"q{n}", ""), request.args.get(f"label{n}", ""))) for n in range(1, MAX_QUERIES + 1)]
    shared = [(k, v) for k, v in request.args.items(multi=True) if k in (*FILTER_NAMES, "from", "to") and v != ""]

    def search_url(q: str) -> str:
        """The search page of one compared query under the shared filters."""
        return url_for("pages.search") + "?" + urlencode([("q", q), *shared])

    return render_template("compare.html", answer=answer, creq=creq, chart=chart, scale=scale, cite=cite, rows=rows,
                           search_url=search_url,
                           json_url=_api_url("api.compare", scale=None),
                           series_csv=_api_url("api.compare", format="csv", table="series", scale=None),
                           overlap_csv=_api_url("api.compare", format="csv", table="overlap", scale=None),
                           shares_url="?" + view_params(scale="shares"), counts_url="?" + view_params(scale=None))
