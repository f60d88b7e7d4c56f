"""The OpenAPI 3.1 description of /api/*, built from the same limits the handlers enforce."""

from __future__ import annotations

from typing import Any

from .. import __version__
from ..concord.colloc import MAX_WINDOW, MEASURES
from ..concord.lines import MAX_WIDTH, SORT_KEYS
from ..config import Settings
from ..fields import DEFAULT_FACETS, EXPORT_FIELDS, FACET_NAMES, FILTER_NAMES, SORTS, STORED, facet
from ..research.compare import INTERVALS, MAX_QUERIES
from ..research.keyness import MAX_NGRAM
from ..research.keyness import REFERENCES as KEYWORD_REFERENCES
from ..research.keyness import SORTS as KEYWORD_SORTS
from ..search.request import MAX_FACET_SIZE, MAX_PAGE, MAX_VALUE_LENGTH, MAX_VALUES
from .params import (
    COMPARE_TABLES,
    CONCORDANCE_PER_PAGE,
    CUTS,
    EXPORT_FORMATS,
    EXPORT_FORMULAS,
    LISTING_PER_PAGE,
    MAX_CONCORDANCE_PER_PAGE,
    MAX_KEYWORD_LIMIT,
    MAX_LABEL,
    MAX_LISTING_PER_PAGE,
    MAX_SAMPLE,
    MAX_SEED,
    RESEARCH_FORMATS,
    SEARCH_EXPORT_FORMATS,
)

DATE_PATTERN = r"^\s*[0-9]{4}(-[0-9]{1,2}(-[0-9]{1,2})?)?\s*$"
STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
NULLABLE_STR: dict[str, Any] = {"type": ["string", "null"]}
STR_LIST: dict[str, Any] = {"type": "array", "items": STR}


def _in_words(names: tuple[str, ...]) -> str:
    """"a, b and c"."""
    return ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else "".join(names)


def _ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(props: dict[str, Any], required: bool = True) -> dict[str, Any]:
    """An object schema; every property is always present in our answers, so all are required."""
    return {"type": "object", "properties": props, "required": list(props) if required else []}


def _query(name: str, schema: dict[str, Any], description: str, explode: bool = False) -> dict[str, Any]:
    param = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if explode:
        param.update(style="form", explode=True)
    return param


def _values(item: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"type": "array", "maxItems": MAX_VALUES, "items": item or {"type": "string", "maxLength": MAX_VALUE_LENGTH}}


def _search_parameters(settings: Settings) -> dict[str, Any]:
    return {
        "q": _query("q", {"type": "string", "maxLength": settings.max_query_length},
                    "The query, in the query language of /help. Empty lists everything."),
        **{f.name: _query(f.name, _values({"type": "string", "pattern": f"^{f.pattern}$"} if f.pattern else None),
                          f.filter_help, True) for f in map(facet, FILTER_NAMES)},
        "from": _query("from", {"type": "string", "pattern": DATE_PATTERN}, "Earliest date, inclusive: YYYY, YYYY-MM or YYYY-MM-DD."),
        "to": _query("to", {"type": "string", "pattern": DATE_PATTERN}, "Latest date, inclusive: YYYY, YYYY-MM or YYYY-MM-DD."),
        "sort": _query("sort", {"type": "string", "enum": list(SORTS)}, "Order of hits; relevance needs a query, else newest."),
        "page": _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page of hits, from 1."),
        "per_page": _query("per_page", {"type": "integer", "minimum": 1, "maximum": settings.max_per_page},
                           f"Hits per page, at most {settings.max_per_page} (CORPUS_MAX_PER_PAGE)."),
        "facet_size": _query("facet_size", {"type": "integer", "minimum": 1, "maximum": MAX_FACET_SIZE},
                             "Values listed per facet (selected values are always listed too)."),
        "facet": _query("facet", {"type": "array", "items": {"type": "string", "enum": list(FACET_NAMES)}},
                        f"Facets to count; by default {_in_words(DEFAULT_FACETS)}.", True),
        "highlight": _query("highlight", {"type": "boolean"}, "Snippets around the matched words (default true)."),
    }


def _listing_parameters() -> list[dict[str, Any]]:
    return [
        _query("prefix", {"type": "string", "maxLength": MAX_VALUE_LENGTH},
               "Only values whose name, or a word of it, starts with this (case-insensitive)."),
        _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page, from 1."),
        _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_LISTING_PER_PAGE},
               f"Entries per page (default {LISTING_PER_PAGE})."),
    ]


NUMBER: dict[str, Any] = {"type": "number"}
NULLABLE_NUMBER: dict[str, Any] = {"type": ["number", "null"]}


def _view_parameters(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """The parameters of /api/concordance (kind "concordance", "export") and /api/collocations ("collocations")."""

    search = {name: p for name, p in _search_parameters(settings).items() if name not in ("sort", "page", "per_page", "highlight")}
    by = _query("by", {"type": "string", "enum": list(FACET_NAMES)},
                "One table per value of this facet (or per year), side by side; documents without a value are the last.")
    if kind == "collocations":
        return [
            *[p for name, p in search.items() if name not in ("facet", "facet_size")],
            _query("window", {"type": "integer", "minimum": 1, "maximum": MAX_WINDOW}, "Words each side of the node (default 5)."),
            _query("left", {"type": "integer", "minimum": 0, "maximum": MAX_WINDOW}, "Words before the node (default: window)."),
            _query("right", {"type": "integer", "minimum": 0, "maximum": MAX_WINDOW}, "Words after the node (default: window)."),
            _query("min", {"type": "integer", "minimum": 1, "maximum": 10**9}, "Least co-occurrences a collocate needs (default 3)."),
            _query("stop", {"type": "boolean"}, "Leave out the stop words of the articles' languages (default false)."),
            _query("sort", {"type": "string", "enum": list(MEASURES)}, "The measure collocates are sorted by, highest first (default logdice)."),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": 1000}, "Collocates listed per table (default 50)."),
            by,
        ]
    keys = "|".join(SORT_KEYS)
    params = [
        *[p for name, p in search.items() if kind == "concordance" or name not in ("facet", "facet_size")],
        _query("width", {"type": "integer", "minimum": 1, "maximum": MAX_WIDTH}, "Words of context each side (default 8)."),
        _query("cut", {"type": "string", "enum": list(CUTS)}, "sentence: stop the context at a sentence or paragraph end."),
        _query("sort", {"type": "string", "pattern": f"^({keys})(,({keys}))*$"},
               "Keys in order, comma-separated: doc (the default: document id, title before body, position), date, "
               "source, or the word at L3, L2, L1 (just before the match), R1 (just after), R2, R3; case and accents aside."),
        _query("sample", {"type": "integer", "minimum": 1, "maximum": MAX_SAMPLE}, "Draw this many lines at random (reproducibly, with seed)."),
        _query("seed", {"type": "integer", "minimum": 0, "maximum": MAX_SEED}, "The seed of the sample (default 1)."),
        _query("near", {"type": "string", "maxLength": 100}, "Only lines with this word within window words of the match."),
        _query("window", {"type": "integer", "minimum": 1, "maximum": 10}, "The distance for near (default 5)."),
        by,
    ]
    if kind == "concordance":
        params += [
            _query("page", {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}, "Page of lines, from 1."),
            _query("per_page", {"type": "integer", "minimum": 1, "maximum": MAX_CONCORDANCE_PER_PAGE},
                   f"Lines per page (default {CONCORDANCE_PER_PAGE})."),
        ]
    else:
        params += [
            _query("format", {"type": "string", "enum": list(EXPORT_FORMATS)}, "csv (default) or jsonl."),
            _query("bom", {"type": "boolean"}, "Start the CSV with a UTF-8 byte-order mark, for Excel."),
            _query("formulas", {"type": "string", "enum": list(EXPORT_FORMULAS)},
                   "escape (default) or keep, as for /api/export."),
        ]
    return params


def _concord_schemas() -> dict[str, Any]:
    line = _obj({"id": STR, "title": STR, "date": NULLABLE_STR, "author": STR_LIST, "source": NULLABLE_STR,
                 "region": STR_LIST, "language": STR, "field": {"type": "string", "enum": ["title", "body"]},
                 "position": {"type": "integer", "minimum": 0}, "left": STR, "match": STR, "right": STR,
                 "links": _ref("Links")})
    lines = {"type": "array", "items": _ref("ConcordanceLine")}
    collocate = _obj({"word": STR, "observed": INT, "expected": NUMBER, "frequency": INT, "logdice": NUMBER,
                      "g2": NUMBER, "mi": NUMBER})
    table = {"value": NULLABLE_STR, "node_frequency": INT, "documents": INT, "window_tokens": INT, "corpus_tokens": INT,
             "candidates": INT, "collocates": {"type": "array", "items": _ref("Collocate")}}
    query = {"q": STR, "parsed": STR, "filters": {"type": "object", "additionalProperties": STR_LIST}}
    return {
        "ConcordanceLine": line,
        "Collocate": collocate,
        "CollocationTable": _obj(table),
        "Concordance": _obj({
            **query, "occurrences": INT, "documents": INT, "shown": INT,
            "sample": {"oneOf": [_obj({"size": INT, "seed": INT}), {"type": "null"}]},
            "page": INT, "per_page": INT, "pages": INT, "width": INT, "cut": {"type": "string", "enum": list(CUTS)},
            "sort": STR_LIST, "near": {"oneOf": [_obj({"word": STR, "window": INT}), {"type": "null"}]},
            "corpus_tokens": INT, "per_million": NULLABLE_NUMBER, "lines": lines,
            "facets": {"type": "object", "additionalProperties": {"type": "array", "items": _obj({"value": STR, "documents": INT})}},
            "timeline": _obj({"interval": {"type": "string", "enum": ["year", "month", "day"]},
                              "buckets": {"type": "array", "items": _obj({
                                  "period": STR, "start": {"type": "string", "format": "date"},
                                  "end": {"type": "string", "format": "date"}, "count": INT, "tokens": INT,
                                  "per_million": NULLABLE_NUMBER})}}),
            "by": NULLABLE_STR,
            "slices": {"type": "array", "items": _obj({"value": NULLABLE_STR, "occurrences": INT, "documents": INT,
                                                       "corpus_tokens": INT, "per_million": NULLABLE_NUMBER, "lines": lines})},
            "index": _ref("IndexInfo"),
        }),
        "Collocations": _obj({
            **query, "left": INT, "right": INT, "min": INT, "stop": {"type": "boolean"}, "sort": STR, "limit": INT,
            "by": NULLABLE_STR, **table, "slices": {"type": "array", "items": _ref("CollocationTable")},
            "index": _ref("IndexInfo"),
        }),
    }


def _schemas() -> dict[str, Any]:
    links = _obj({"html": STR, "json": STR})
    facet_values = {"type": "array", "items": _ref("FacetValue")}
    facet_values_schema = {f.name: STR_LIST if f.multi else NULLABLE_STR for f in STORED}
    return {
        "Error": _obj({"error": _obj({"code": STR, "message": STR, "param": NULLABLE_STR})}),
        "Links": links,
        "Hit": _obj({
            "id": STR, "title": STR, "date": NULLABLE_STR, **facet_values_schema, "url": NULLABLE_STR,
            "snippet": {"type": "string", "description": "HTML, escaped, with the matched words in <mark>."},
            "score": {"type": ["number", "null"]}, "links": _ref("Links"),
        }),
        "FacetValue": {**_obj({"value": STR, "count": {"type": "integer", "minimum": 0}, "selected": {"type": "boolean"},
                               "toggle_url": {"type": "string", "description": "/api/search with this value added, or removed when selected."}}),
                       "properties": {"value": STR, "count": {"type": "integer", "minimum": 0}, "selected": {"type": "boolean"},
                                      "corpus_count": {"type": "integer", "minimum": 0, "description": "Documents with this value in the corpus under the same date filter (search and facet answers)."},
                                      "share": {**NULLABLE_NUMBER, "description": "count / corpus_count."},
                                      "toggle_url": {"type": "string", "description": "/api/search with this value added, or removed when selected."}}},
        "Timeline": _obj({
            "interval": {"type": "string", "enum": ["year", "month", "day"]}, "undated": INT,
            "buckets": {"type": "array", "items": _obj({
                "period": STR, "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"},
                "count": INT, "corpus_count": INT}) | {"properties": {
                    "period": STR, "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"},
                    "count": INT, "corpus_count": INT, "share": {**NULLABLE_NUMBER, "description": "count / corpus_count (search answers)."}}}},
        }),
        "IndexInfo": _obj({"build": STR, "documents": INT, "authors": INT, "updated": NULLABLE_STR}),
        "SearchResponse": _obj({
            "query": _obj({"q": STR, "parsed": STR, "filters": {"type": "object", "additionalProperties": STR_LIST},
                           "from": NULLABLE_STR, "to": NULLABLE_STR, "sort": {"type": "string", "enum": list(SORTS)}}),
            "total": INT, "page": INT, "per_page": INT, "pages": INT, "took_ms": {"type": "number"},
            "hits": {"type": "array", "items": _ref("Hit")},
            "facets": {"type": "object", "additionalProperties": facet_values},
            "facet_distinct": {"type": "object", "additionalProperties": INT},
            "timeline": {"oneOf": [_ref("Timeline"), {"type": "null"}]},
            "suggestion": NULLABLE_STR,
            "authors": {"type": "array", "items": _obj({"slug": STR, "name": STR, "bio": STR, "article_count": INT, "links": _ref("Links")})},
            "index": _ref("IndexInfo"),
        }),
        "Article": _obj({
            "id": STR, "title": STR, "date": NULLABLE_STR, **facet_values_schema,
            "region_inferred": {"type": "boolean"}, "url": NULLABLE_STR, "body": STR,
            "paragraphs": STR_LIST, "bios": {"type": "object", "additionalProperties": STR},
            "metadata": {"type": "object"}, "origin": STR, "links": _ref("Links"),
            "authors": {"type": "array", "items": _obj({"name": STR, "slug": NULLABLE_STR, "bio": STR,
                                                        "links": {"oneOf": [_ref("Links"), {"type": "null"}]}})},
        }),
        "Author": _obj({"slug": STR, "name": STR, "bio": STR, "url": NULLABLE_STR, "article_count": INT,
                        "first_date": NULLABLE_STR, "last_date": NULLABLE_STR, "sources": STR_LIST,
                        "organisation": {"type": "boolean"}, "aliases": STR_LIST, "links": _ref("Links")}),
        "AuthorList": _obj({"prefix": STR, "total": INT, "page": INT, "per_page": INT, "pages": INT,
                            "authors": {"type": "array", "items": _ref("Author")}}),
        "FacetPage": _obj({"facet": {"type": "string", "enum": list(FACET_NAMES)}, "prefix": STR, "total": INT, "page": INT,
                           "per_page": INT, "pages": INT, "values": facet_values}),
        "Stats": _obj({
            "index": _ref("IndexInfo"), "documents": INT, "authors": INT, "sources": INT, "regions": INT, "undated": INT,
            "date_span": {"oneOf": [{"type": "array", "items": STR, "minItems": 2, "maxItems": 2}, {"type": "null"}]},
            "facets": {"type": "object", "additionalProperties": facet_values},
            "timeline": _ref("Timeline"),
        }),
        **_concord_schemas(),
        **_research_schemas(),
    }


def _research_schemas() -> dict[str, Any]:
    query = _obj({"role": STR, "q": STR, "parsed": STR, "filters": {"type": "object", "additionalProperties": STR_LIST},
                  "from": NULLABLE_STR, "to": NULLABLE_STR})
    keyword = _obj({"word": STR, "target_frequency": INT, "reference_frequency": INT, "target_documents": INT,
                    "reference_documents": INT, "target_per_million": NULLABLE_NUMBER, "reference_per_million": NULLABLE_NUMBER,
                    "g2": {**NUMBER, "description": "Log-likelihood, negative when rarer in the target."},
                    "p": {**NUMBER, "description": "p-value of G² (chi-square, one degree of freedom)."},
                    "log_ratio": {**NULLABLE_NUMBER, "description": "Log Ratio (Hardie 2014), zero counts as 0.5."},
                    "low_count": {"type": "boolean", "description": "Fewer than 5 occurrences on a side."},
                    "concordance": {"type": "string", "description": "The concordance page of the query plus this word."}})
    keywords = {"type": "array", "items": _ref("Keyword")}
    cell = _obj({"count": INT, "share": NULLABLE_NUMBER, "share_low": NULLABLE_NUMBER, "share_high": NULLABLE_NUMBER,
                 "low_count": {"type": "boolean"}})
    facet_count = _obj({"value": STR, "count": INT, "corpus_count": INT})
    return {
        "Query": query,
        "Provenance": _obj({
            "kind": STR, "url": STR, "queries": {"type": "array", "items": query}, "options": {"type": "object"},
            "counts": {"type": "object"}, "denominators": {"type": "object"},
            "index": _obj({"build": STR, "documents": INT, "updated": NULLABLE_STR, "index_version": STR}),
            "software": _obj({"name": STR, "version": STR}), "generated": STR}),
        "Keyword": keyword,
        "Keywords": _obj({
            "query": query, "reference": query, "vs": {"type": "string", "enum": list(KEYWORD_REFERENCES)},
            "sort": {"type": "string", "enum": list(KEYWORD_SORTS)}, "min": INT, "ngram": INT, "limit": INT,
            "stop": {"oneOf": [STR_LIST, {"type": "null"}]}, "target_documents": INT, "reference_documents": INT,
            "target_tokens": INT, "reference_tokens": INT, "candidates": _obj({"over": INT, "under": INT}),
            "over": keywords, "under": keywords, "provenance": _ref("Provenance")}),
        "Comparison": _obj({
            "interval": {"type": "string", "enum": list(INTERVALS)}, "subcorpus": INT, "undated_subcorpus": INT,
            "queries": {"type": "array", "items": _obj({
                "query": INT, "label": STR, "q": STR, "parsed": STR, "total": INT, "share": NULLABLE_NUMBER, "undated": INT,
                "facets": {"type": "object", "additionalProperties": {"type": "array", "items": facet_count}}})},
            "periods": {"type": "array", "items": _obj({
                "period": STR, "start": {"type": "string", "format": "date"}, "end": {"type": "string", "format": "date"},
                "denominator": INT, "series": {"type": "array", "items": cell}})},
            "overlap": _obj({"labels": STR_LIST, "documents": {"type": "array", "items": {"type": "array", "items": INT}},
                             "jaccard": {"type": "array", "items": {"type": "array", "items": NULLABLE_NUMBER}}}),
            "provenance": _ref("Provenance")}),
    }


def _research_parameters(settings: Settings, kind: str) -> list[dict[str, Any]]:
    """The parameters of /api/keywords (kind "keywords") and /api/compare ("compare")."""
    search = _search_parameters(settings)
    text = [p for name, p in search.items() if name in ("q", *FILTER_NAMES, "from", "to")]
    fmt = _query("format", {"type": "string", "enum": list(RESEARCH_FORMATS)},
                 "json (default), csv (a first row of provenance, then the data) or bundle (a zip of the data, its SHA-256 and provenance.json).")
    if kind == "keywords":
        vs = [_query("vs_" + p["name"], p["schema"], "The second search of vs=search: " + p["description"], p.get("explode", False))
              for p in text]
        return [
            *text, search["facet"], search["facet_size"],
            _query("vs", {"type": "string", "enum": list(KEYWORD_REFERENCES)},
                   "rest (default): the rest of the corpus under the same dates; corpus: the whole corpus under them; "
                   "search: the second search given by the vs_ parameters (the default when one is given)."),
            *vs,
            _query("sort", {"type": "string", "enum": list(KEYWORD_SORTS)}, "g2 (default) or logratio, largest first."),
            _query("min", {"type": "integer", "minimum": 1, "maximum": 10**9},
                   "Least occurrences on the side where a word is more frequent (default 3)."),
            _query("ngram", {"type": "integer", "minimum": 1, "maximum": MAX_NGRAM}, "1 (words, default), 2 or 3 (phrases)."),
            _query("stop", {"type": "string", "maxLength": 200},
                   "true: leave out the stop words of the target's languages; or comma-separated language codes; default keep."),
            _query("limit", {"type": "integer", "minimum": 1, "maximum": MAX_KEYWORD_LIMIT}, "Words listed per side (default 50)."),
            fmt,
        ]
    queries = []
    for n in range(1, MAX_QUERIES + 1):
        queries.append(_query(f"q{n}", {"type": "string", "maxLength": settings.max_query_length}, f"Query {n}."))
        queries.append(_query(f"label{n}", {"type": "string", "maxLength": MAX_LABEL}, f"The label of query {n} (default: its text)."))
    return [
        *queries, *[p for p in text if p["name"] != "q"], search["facet"], search["facet_size"],
        _query("interval", {"type": "string", "enum": list(INTERVALS)}, "The periods (default: from the span, as the search timeline)."),
        _query("table", {"type": "string", "enum": list(COMPARE_TABLES)}, "Which table a CSV holds: series (default) or overlap."),
        fmt,
    ]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref("Error")}}}


def _ok(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _operation(summary: str, ok: dict[str, Any], params: list[dict[str, Any]], *, not_found: bool = False,
               bad: bool = True) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": ok, "304": {"description": "Not modified: the ETag sent in If-None-Match is current."}}
    if bad:
        responses["400"] = _error("A bad parameter; `param` names it.")
    if not_found:
        responses["404"] = _error("No such id.")
    responses["503"] = _error("No index yet (code no_index), the search ran out of time (code query_timeout), or, for "
                              "the views of words in context, the index has no token store (code no_token_store).")
    return {"get": {"summary": summary, "parameters": params, "responses": responses}}


def _path_id(name: str, description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "description": description,
            "schema": {"type": "string", "pattern": r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,199}$"}}


def spec(settings: Settings) -> dict[str, Any]:
    """The OpenAPI 3.1 document served at /api/openapi.json."""
    search = _search_parameters(settings)
    search_list = list(search.values())
    export_headers = {
        "X-Total-Count": {"description": "Documents that match.", "schema": INT},
        "X-Export-Rows": {"description": "Rows this export sends.", "schema": INT},
        "X-Export-Truncated": {"description": "true when the cap stopped the export early.", "schema": {"type": "string", "enum": ["true", "false"]}},
        "X-Export-Cap": {"description": "The configured cap (CORPUS_EXPORT_CAP), when there is one.", "schema": INT},
    }
    export_params = [
        *[p for name, p in search.items() if name not in ("facet", "facet_size", "highlight")],
        _query("format", {"type": "string", "enum": list(SEARCH_EXPORT_FORMATS)},
               "csv (default), jsonl, or bundle: a zip of data.csv (the CSV export), SHA256SUMS and provenance.json."),
        _query("fields", {"type": "string", "pattern": "^(" + "|".join(EXPORT_FIELDS) + ")?(,(" + "|".join(EXPORT_FIELDS) + ")?)*$"},
               f"Comma-separated columns, in order; default all: {','.join(EXPORT_FIELDS)}."),
        _query("bom", {"type": "boolean"}, "Start the CSV with a UTF-8 byte-order mark, for Excel."),
        _query("formulas", {"type": "string", "enum": list(EXPORT_FORMULAS)},
               "escape (default): a CSV text cell starting with =, +, -, @, tab or carriage return gets a leading "
               "apostrophe, so that a spreadsheet does not run it as a formula; keep: cells as they are. "
               "Numbers (the score) and JSON Lines are never changed."),
    ]
    facet_params = [{"name": "name", "in": "path", "required": True, "description": "The facet.",
                     "schema": {"type": "string", "enum": list(FACET_NAMES)}},
                    *[p for name, p in search.items() if name not in ("page", "per_page", "facet", "facet_size")],
                    *_listing_parameters()]
    export_ok = {
        "description": "Every matching document, streamed. page and per_page are ignored. When a cap stops the "
                       "export early, the last line says so (CSV: a row starting with '# export stopped'; JSON Lines: "
                       "an object with the key export_truncated).",
        "headers": export_headers,
        "content": {"text/csv": {"schema": STR}, "application/x-ndjson": {"schema": STR},
                    "application/zip": {"schema": {"type": "string", "format": "binary"}}},
    }

    def research_ok(schema: str, description: str) -> dict[str, Any]:
        return {"description": description, "content": {
            "application/json": {"schema": _ref(schema)}, "text/csv": {"schema": STR},
            "application/zip": {"schema": {"type": "string", "format": "binary"}}}}

    return {
        "openapi": "3.1.0",
        "info": {"title": "corpus API", "version": __version__,
                 "description": "Read-only JSON over the corpus: the same searches as the HTML pages, listings, "
                                "stats and whole-result exports. Errors are JSON: {\"error\": {\"code\", \"message\", \"param\"}}."},
        "paths": {
            "/api/search": _operation("Search, with facets, timeline and author matches", _ok("SearchResponse", "One page of hits."), search_list),
            "/api/articles/{doc_id}": _operation("One article", _ok("Article", "The article."),
                                                 [_path_id("doc_id", "The article id.")], not_found=True, bad=False),
            "/api/authors": _operation("Every author, most articles first", _ok("AuthorList", "One page of authors."), _listing_parameters()),
            "/api/authors/{slug}": _operation("One author", _ok("Author", "The author."),
                                              [_path_id("slug", "The author's slug.")], not_found=True, bad=False),
            "/api/facets/{name}": _operation("Every value of one facet for a search", _ok("FacetPage", "One page of values."), facet_params),
            "/api/stats": _operation("What the index holds", _ok("Stats", "Counts, span, top values, timeline."), [], bad=False),
            "/api/export": _operation("Every matching document as CSV or JSON Lines", export_ok, export_params),
            "/api/concordance": _operation(
                "Every occurrence of a word, phrase or prefix in its context: one page of lines, exact totals, the "
                "facets of the articles with lines, occurrences per period", _ok("Concordance", "One page of lines."),
                _view_parameters(settings, "concordance")),
            "/api/concordance/export": _operation(
                "Every concordance line as CSV or JSON Lines, streamed, never capped", {
                    "description": "Every line, in the order asked. The first CSV row (a '# corpus concordance: ' cell "
                                   "holding JSON) or the first JSON line ({\"provenance\": ...}) says what was exported: "
                                   "query, filters, options, counts, index build and time.",
                    "headers": {k: v for k, v in export_headers.items() if k != "X-Export-Cap"},
                    "content": {"text/csv": {"schema": STR}, "application/x-ndjson": {"schema": STR}},
                }, _view_parameters(settings, "export")),
            "/api/collocations": _operation(
                "The words around every occurrence of a node, with observed, expected, corpus frequency, logDice, G² and MI",
                _ok("Collocations", "The collocation table, and one per value when sliced."),
                _view_parameters(settings, "collocations")),
            "/api/keywords": _operation(
                "The words (or phrases) most over- and under-represented in a search's documents against a reference, "
                "with frequencies, documents, per-million rates, G² and its p-value, Log Ratio",
                research_ok("Keywords", "Both lists, their counts and the provenance."), _research_parameters(settings, "keywords")),
            "/api/compare": _operation(
                f"Up to {MAX_QUERIES} labelled queries over one timeline, as counts and shares with 95% Wilson intervals, "
                "with totals, top facet values and the overlap of each pair",
                research_ok("Comparison", "The series, the overlaps and the provenance."), _research_parameters(settings, "compare")),
            "/api/openapi.json": {"get": {"summary": "This document", "parameters": [],
                                          "responses": {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {"type": "object"}}}},
                                                        "304": {"description": "Not modified."}}}},
        },
        "components": {"schemas": _schemas()},
    }
