"""The JSON API: the same searches as the pages, for scripts; plus listings, stats and full exports."""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, stream_with_context
from werkzeug.datastructures import MultiDict

from ..concord.colloc import collocations as run_collocations
from ..concord.lines import all_lines
from ..concord.lines import concordance as run_concordance
from ..concord.views import (
    LINE_COLUMNS,
    LineCells,
    collocations_json,
    concordance_json,
    concordance_options,
    line_record,
    prepare,
    provenance,
)
from ..documents import is_valid_id, slugify
from ..errors import BadRequest, CorpusError, NotFound, QueryTimeout
from ..fields import FACET_NAMES
from ..headers import CORS_HEADERS, SECURITY_HEADERS
from ..research.provenance import bundle
from ..research.shares import facet_corpus_counts
from ..research.views import compare_json, keywords_csv, keywords_json, overlap_csv, series_csv
from ..search.request import parse_search
from ..search.serialize import (
    article_json,
    author_json,
    authors_page_json,
    csv_cells,
    export_record,
    facet_page_json,
    result_json,
    stats_json,
)
from ..search.types import AuthorRecord, ExportRow
from .context import links, service, settings, test_stall
from .openapi import spec
from .params import (
    SEARCH_EXPORT_FORMATS,
    parse_collocations,
    parse_concordance,
    parse_export,
    parse_listing,
    parse_prefix,
    search_part,
)
from .research import (
    SEARCH_DENOMINATORS,
    compare_answer,
    keyword_answer,
    plain_provenance,
    search_provenance,
)

bp = Blueprint("api", __name__, url_prefix="/api")

# Data only changes when an ingest lands; a minute of caching is harmless and the ETag makes
# revalidation cheap (304 before any search runs).
CACHE_OK = "public, max-age=60"
CACHE_ERROR = "no-store"
EXPORT_CHUNK = 64 * 1024  # bytes of rows gathered before one write to the socket


def _etag(version: str) -> str:
    """A tag for this exact URL on this exact index generation."""
    return hashlib.sha256(f"{version}\n{request.full_path}".encode()).hexdigest()[:32]


@bp.before_request
def not_modified() -> Any:
    """Answer 304 before any search runs when the client already holds this URL for this index."""
    if request.method not in ("GET", "HEAD"):
        return None
    if request.endpoint == "api.openapi":
        version = "openapi:" + hashlib.sha256(json.dumps(spec(settings()), sort_keys=True).encode()).hexdigest()
    else:
        try:
            version = service().version()
        except CorpusError:
            return None  # the view raises the same error and answers it properly (503 when there is no index)
    g.api_etag = _etag(version)
    if request.if_none_match.star_tag:
        return None  # `*` matches any current answer: only one that turns out a 200 becomes a 304 (api_headers)
    if request.if_none_match.contains_weak(g.api_etag):
        return _empty(304)
    return None


def _empty(status: int) -> Response:
    response = Response(status=status)
    del response.headers["Content-Type"]  # no body, so no type (and never text/html on /api)
    return response


@bp.before_app_request
def preflight() -> Any:
    """OPTIONS on any /api/* route: an empty 204 with the CORS headers (unknown routes stay a JSON 404)."""
    if request.method != "OPTIONS" or not request.path.startswith("/api/") or request.routing_exception is not None:
        return None
    response = _empty(204)
    response.headers["Allow"] = CORS_HEADERS["Access-Control-Allow-Methods"]
    return response


@bp.after_app_request
def api_headers(response: Response) -> Response:
    """CORS on every /api/* answer; ETag and Cache-Control on successful ones, no-store on errors."""
    if not request.path.startswith("/api/"):
        return response
    tag = g.get("api_etag")
    if response.status_code == 200 and request.method in ("GET", "HEAD") and request.if_none_match.star_tag:
        response.close()  # an export's stream is never started
        kept = {k: v for k, v in response.headers.items() if k in SECURITY_HEADERS}
        response = _empty(304)
        response.headers.update(kept)
    for name, value in CORS_HEADERS.items():
        response.headers.setdefault(name, value)
    if response.status_code in (200, 304):
        if tag:
            response.set_etag(tag, weak=True)
        response.headers["Cache-Control"] = CACHE_OK
    else:
        response.headers["Cache-Control"] = CACHE_ERROR
    return response


@bp.get("/search")
def search() -> Any:
    """Search: the same parameters and the same numbers as /search, facet values and periods with their shares."""
    req = parse_search(request.args, settings())
    test_stall(req.q)
    svc = service()
    result = svc.search(req)
    body = result_json(result, request.args, links(), facet_corpus_counts(svc, req, result.facets))
    body["provenance"] = search_provenance("search", req, result.parsed, result.index, svc.version(), {"total": result.total},
                                           {"corpus_documents": result.index.documents, **SEARCH_DENOMINATORS})
    return jsonify(body)


@bp.get("/articles/<doc_id>")
def article(doc_id: str) -> Any:
    """One article with its body, its authors' bios and all stored metadata."""
    if not is_valid_id(doc_id):
        raise NotFound(f"no article with id {doc_id[:80]!r}")
    svc = service()
    record = svc.article(doc_id)
    authors: dict[str, AuthorRecord | None] = {}
    for name in record.authors:
        try:
            authors[name] = svc.author(slugify(name))
        except NotFound:
            authors[name] = None  # named on the article but not indexed as an author
    return jsonify({**article_json(record, authors, links()), "provenance": plain_provenance("article", svc)})


@bp.get("/authors")
def authors() -> Any:
    """Every author, most articles first, optionally by name prefix, paged."""
    prefix = parse_prefix(request.args)
    page, per_page = parse_listing(request.args)
    svc = service()
    listing = svc.authors(prefix, page, per_page)
    return jsonify({**authors_page_json(listing, page, per_page, prefix, links()), "provenance": plain_provenance("authors", svc)})


@bp.get("/authors/<slug>")
def author(slug: str) -> Any:
    """One author: name, bio, counts, date span and sources."""
    if not is_valid_id(slug):
        raise NotFound(f"no author {slug[:80]!r}")
    svc = service()
    return jsonify({**author_json(svc.author(slug), links()), "provenance": plain_provenance("author", svc)})


@bp.get("/facets/<name>")
def facet(name: str) -> Any:
    """Every value of one facet for a search (the same parameters as /api/search), paged."""
    if name not in FACET_NAMES:
        raise BadRequest(f"unknown facet {name[:40]!r}; facets are {', '.join(FACET_NAMES)}", param="name")
    # page and per_page page the facet's values here, with the listing's limits, not the search's.
    search_args = MultiDict(request.args)
    search_args.poplist("page")
    search_args.poplist("per_page")
    req = parse_search(search_args, settings())
    prefix = parse_prefix(request.args)
    page, per_page = parse_listing(request.args)
    # Counts ignore the facet's own selection anyway (multi-select); asking without it keeps the
    # engine from appending selected values to every page, so each value shows exactly once.
    others = replace(req, filters=tuple((n, v) for n, v in req.filters if n != name))
    svc = service()
    values = svc.facet_values(name, others, prefix=prefix, page=page, size=per_page)
    chosen = set(req.selected(name))
    for value in values.values:
        value.selected = value.value in chosen
    corpus = facet_corpus_counts(svc, req, {name: values}).get(name, {})
    body = facet_page_json(values, request.args, page, per_page, prefix, links(), corpus)
    body["provenance"] = search_provenance("facet values", req, svc.matches(others).parsed, svc.index_info(), svc.version(),
                                           {"values": values.distinct}, {"corpus_documents": svc.index_info().documents,
                                                                         "facets": SEARCH_DENOMINATORS["facets"]})
    return jsonify(body)


@bp.get("/stats")
def stats() -> Any:
    """What the index holds: counts, date span, top values of each facet and the timeline."""
    svc = service()
    return jsonify({**stats_json(svc.stats(), links()), "provenance": plain_provenance("stats", svc)})


@bp.get("/openapi.json")
def openapi() -> Any:
    """The OpenAPI 3.1 description of this API."""
    return jsonify(spec(settings()))


@bp.get("/export")
def export() -> Any:
    """Every matching document (not one page) as CSV or JSON Lines, streamed one row at a time."""
    req = parse_search(request.args, settings())
    options = parse_export(request.args, SEARCH_EXPORT_FORMATS)
    fmt, fields = options.format, options.fields
    cap = settings().export_cap
    svc = service()
    version = svc.version()
    found = svc.export(req, cap, bodies="body" in fields)
    total, rows = found.total, found.rows
    sent = min(total, cap) if cap else total
    truncated = sent < total
    if fmt == "bundle":
        return _export_bundle(req, options, rows, truncated, sent, total, cap, svc, version)
    if fmt == "csv":
        lines = _csv_lines(rows, fields, options.bom, options.keep_formulas, truncated, sent, total, cap)
    else:
        lines = _jsonl_lines(rows, fields, truncated, sent, total, cap)
    body = _chunks(lines)
    mimetype = "text/csv" if fmt == "csv" else "application/x-ndjson"
    response = Response(stream_with_context(body), mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="corpus-export.{fmt}"'
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Export-Rows"] = str(sent)
    if cap:
        response.headers["X-Export-Cap"] = str(cap)
    response.headers["X-Export-Truncated"] = "true" if truncated else "false"
    return response


def _export_bundle(req: Any, options: Any, rows: Iterator[ExportRow], truncated: bool, sent: int, total: int, cap: int,
                   svc: Any, version: str) -> Response:
    """The export as a zip: data.csv (the CSV export's rows exactly), SHA256SUMS and provenance.json."""
    data = "".join(_csv_lines(rows, options.fields, False, options.keep_formulas, truncated, sent, total, cap)).encode("utf-8")
    parsed = svc.matches(req).parsed
    if svc.version() != version:
        raise QueryTimeout("the index changed while this export ran; export again")
    note = search_provenance("export", req, parsed, svc.index_info(), version, {"total": total, "rows": sent},
                             {"corpus_documents": svc.index_info().documents},
                             {"fields": list(options.fields), "formulas": "keep" if options.keep_formulas else "escape",
                              "order": req.sort, "truncated": truncated})
    return _zip_response(bundle({"data.csv": data}, note), "corpus-export.zip", total, sent)


def _zip_response(data: bytes, name: str, total: int | None = None, rows: int | None = None) -> Response:
    response = Response(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    if total is not None:
        response.headers["X-Total-Count"] = str(total)
    if rows is not None:
        response.headers["X-Export-Rows"] = str(rows)
        response.headers["X-Export-Truncated"] = "false" if rows == total else "true"
    return response


def _cap_message(sent: int, total: int, cap: int) -> str:
    return (f"export stopped at the server's cap of {cap} rows (CORPUS_EXPORT_CAP): {sent} of {total} "
            "matching documents were sent; narrow the search (dates, facets) to export the rest")


def _csv_lines(rows: Iterator[ExportRow], fields: tuple[str, ...], bom: bool, keep_formulas: bool,
               truncated: bool, sent: int, total: int, cap: int) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(fields)
    yield ("\ufeff" if bom else "") + _drain(buffer)
    for row in rows:
        writer.writerow(csv_cells(export_record(row.hit, row.body, fields), keep_formulas))
        yield _drain(buffer)
    if truncated:
        writer.writerow(["# " + _cap_message(sent, total, cap)])
        yield _drain(buffer)


def _jsonl_lines(rows: Iterator[ExportRow], fields: tuple[str, ...], truncated: bool,
                 sent: int, total: int, cap: int) -> Iterator[str]:
    for row in rows:
        yield json.dumps(export_record(row.hit, row.body, fields), ensure_ascii=False) + "\n"
    if truncated:
        note = {"cap": cap, "rows": sent, "total": total, "message": _cap_message(sent, total, cap)}
        yield json.dumps({"export_truncated": note}, ensure_ascii=False) + "\n"


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text


def _chunks(lines: Iterator[str]) -> Iterator[bytes]:
    """Rows gathered into writes of about EXPORT_CHUNK bytes: fewer, larger socket writes, still bounded memory."""
    parts: list[bytes] = []
    size = 0
    for line in lines:
        data = line.encode("utf-8")
        parts.append(data)
        size += len(data)
        if size >= EXPORT_CHUNK:
            yield b"".join(parts)
            parts, size = [], 0
    if parts:
        yield b"".join(parts)


# ----- words in context: the concordance and collocations


def _engine() -> Any:
    """The search service (the result cache passes matches and documents straight to the engine)."""
    return service()


def _view_request() -> Any:
    return parse_search(search_part(request.args), settings())


@bp.get("/concordance")
def concordance() -> Any:
    """One page of concordance lines (every occurrence in its context) with exact totals."""

    options = parse_concordance(request.args)
    req = _view_request()
    engine = _engine()
    store, matches = prepare(engine, req)
    result = run_concordance(store, matches, engine.documents, options, facet_names=req.facets, facet_size=req.facet_size)
    return jsonify(concordance_json(result, links()))


@bp.get("/concordance/export")
def concordance_export() -> Any:
    """Every concordance line as CSV or JSON Lines, streamed, the query's provenance first."""

    options = replace(parse_concordance(request.args), page=1)
    export_options = parse_export(MultiDict([(k, v) for k, v in request.args.items(multi=True) if k != "fields"]))
    req = _view_request()
    engine = _engine()
    store, matches = prepare(engine, req)
    total, documents, lines = all_lines(store, matches, engine.documents, options)
    sent = total if options.sample is None else min(total, options.sample)
    note = provenance(matches, concordance_options(options), {"occurrences": total, "documents": documents, "lines": sent})
    fmt = export_options.format

    def csv_rows() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["# corpus concordance: " + json.dumps(note, ensure_ascii=False)])
        writer.writerow(LINE_COLUMNS)
        yield ("\ufeff" if export_options.bom else "") + _drain(buffer)
        cells = LineCells(export_options.keep_formulas)
        for n, line in enumerate(lines, start=1):
            writer.writerow(cells(line))
            if n % 64 == 0:  # rows gathered a few at a time: one drain per row cost a tenth of the time
                yield _drain(buffer)
        yield _drain(buffer)

    def jsonl_rows() -> Iterator[str]:
        yield json.dumps({"provenance": note}, ensure_ascii=False) + "\n"
        dumps = json.JSONEncoder(ensure_ascii=False).encode
        for line in lines:
            yield dumps(line_record(line)) + "\n"

    body = _chunks(csv_rows() if fmt == "csv" else jsonl_rows())
    response = Response(stream_with_context(body), mimetype="text/csv" if fmt == "csv" else "application/x-ndjson")
    response.headers["Content-Disposition"] = f'attachment; filename="corpus-concordance.{fmt}"'
    response.headers["X-Total-Count"] = str(total)
    response.headers["X-Export-Rows"] = str(sent)
    response.headers["X-Export-Truncated"] = "false"
    return response


@bp.get("/collocations")
def collocations() -> Any:
    """The words around every occurrence of a node query, with observed, expected, logDice, G² and MI."""

    options = parse_collocations(request.args)
    req = _view_request()
    engine = _engine()
    store, matches = prepare(engine, req)
    return jsonify(collocations_json(run_collocations(store, matches, engine.documents, options)))


# ----- research: distinctive words and compared queries


def _csv_with_note(data: bytes, kind: str, note: dict[str, Any]) -> bytes:
    """A CSV export: a first row holding its provenance (a '# corpus ...: ' cell of JSON), then the data."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow([f"# corpus {kind}: " + json.dumps(note, ensure_ascii=False)])
    return buffer.getvalue().encode("utf-8") + data


def _csv_response(data: bytes, name: str) -> Response:
    response = Response(data, mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/keywords")
def keywords() -> Any:
    """The words (or phrases) most over- and under-represented in a search's documents against a reference."""
    answer = keyword_answer(request.args)
    note = answer.provenance
    if answer.format == "csv":
        return _csv_response(_csv_with_note(keywords_csv(answer.result), "keywords", note), "corpus-keywords.csv")
    if answer.format == "bundle":
        return _zip_response(bundle({"keywords.csv": keywords_csv(answer.result)}, note), "corpus-keywords.zip")
    return jsonify({"query": note["queries"][0], "reference": note["queries"][1],
                    **keywords_json(answer.result, answer.concordance), "provenance": note})


@bp.get("/compare")
def compare() -> Any:
    """Up to 6 labelled queries over one timeline (counts and shares with 95% Wilson intervals) and their overlaps."""
    answer = compare_answer(request.args)
    note = answer.provenance
    result = answer.result
    if answer.request.format == "csv":
        table = answer.request.table
        data = series_csv(result) if table == "series" else overlap_csv(result)
        return _csv_response(_csv_with_note(data, f"comparison ({table})", note), f"corpus-compare-{table}.csv")
    if answer.request.format == "bundle":
        return _zip_response(bundle({"series.csv": series_csv(result), "overlap.csv": overlap_csv(result)}, note),
                             "corpus-compare.zip")
    return jsonify({**compare_json(result), "provenance": note})
