"""Request parameters -> SearchRequest, validated up front; and URLs that change one parameter."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from werkzeug.datastructures import MultiDict

from ..config import Settings
from ..errors import BadRequest
from ..search.query import parse_partial_date
from ..search.types import FACET_NAMES, FILTER_FACETS, SORTS, SearchRequest

WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")
MAX_PAGE = 10_000
MAX_FACET_SIZE = 200
MAX_VALUE_LENGTH = 400
MAX_VALUES = 50
SEARCH_PARAMS = ("q", "author", "source", "region", "category", "year", "from", "to", "sort", "page", "per_page",
                 "facet_size", "highlight", "facet")


def _int(args: MultiDict[str, str], name: str, default: int, lo: int, hi: int) -> int:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    digits = raw.strip()
    if not WHOLE_NUMBER.fullmatch(digits):  # never int() of odd input, whose errors speak Python
        raise BadRequest(f"{name} must be a whole number, not {raw[:40]!r}", param=name)
    value = int(digits)
    if not lo <= value <= hi:
        raise BadRequest(f"{name} must be between {lo} and {hi}", param=name)
    return value


def _date(args: MultiDict[str, str], name: str, end: bool) -> date | None:
    raw = (args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return parse_partial_date(raw, end=end)
    except (ValueError, OverflowError):
        raise BadRequest(f"{name} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not {raw[:40]!r}", param=name) from None


def _bool(args: MultiDict[str, str], name: str, default: bool) -> bool:
    raw = args.get(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise BadRequest(f"{name} must be true or false", param=name)


def parse_search(args: MultiDict[str, str], settings: Settings, default_per_page: int = 10) -> SearchRequest:
    """Validate the search parameters shared by the pages and the API."""
    q = args.get("q", "")
    if len(q) > settings.max_query_length:
        raise BadRequest(f"q is longer than {settings.max_query_length} characters", param="q")
    filters = []
    for name in (*FILTER_FACETS, "year"):
        values = tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
        if len(values) > MAX_VALUES:
            raise BadRequest(f"at most {MAX_VALUES} values of {name}", param=name)
        for value in values:
            if len(value) > MAX_VALUE_LENGTH:
                raise BadRequest(f"a {name} value is longer than {MAX_VALUE_LENGTH} characters", param=name)
            if name == "year" and not (value.isascii() and value.isdigit() and len(value) == 4):
                raise BadRequest(f"year must be four digits, not {value[:40]!r}", param="year")
        if values:
            filters.append((name, values))
    sort = args.get("sort") or "relevance"
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}", param="sort")
    facets = tuple(args.getlist("facet")) or ("author", "source", "region", "year")
    for name in facets:
        if name not in FACET_NAMES:
            raise BadRequest(f"unknown facet {name[:40]!r}; facets are {', '.join(FACET_NAMES)}", param="facet")
    date_from, date_to = _date(args, "from", end=False), _date(args, "to", end=True)
    if date_from and date_to and date_from > date_to:
        raise BadRequest("from is later than to", param="from")
    return SearchRequest(
        q=q, filters=tuple(filters), date_from=date_from, date_to=date_to, sort=sort,
        page=_int(args, "page", 1, 1, MAX_PAGE),
        per_page=_int(args, "per_page", default_per_page, 1, settings.max_per_page),
        facet_size=_int(args, "facet_size", 10, 1, MAX_FACET_SIZE),
        facets=facets, highlight=_bool(args, "highlight", True),
    )


def search_args(args: MultiDict[str, str]) -> list[tuple[str, str]]:
    """The search parameters of a request, in a stable order, without empty values."""
    return [(k, v) for k in SEARCH_PARAMS for v in args.getlist(k) if v != ""]


def with_params(args: MultiDict[str, str], *, drop: tuple[str, ...] = (), toggle: tuple[str, str] | None = None,
                **changes: Any) -> str:
    """The query string for the same search with some parameters changed.

    `toggle=(facet, value)` adds the value when absent and removes it when present; any change
    other than the page goes back to page 1.
    """
    pairs = search_args(args)
    names = set(changes) | set(drop)
    if toggle is not None:
        facet, value = toggle
        if (facet, value) in pairs:
            pairs.remove((facet, value))
        else:
            pairs.append((facet, value))
    if "page" not in changes:
        names.add("page")
    pairs = [(k, v) for k, v in pairs if k not in names]
    for key, value in changes.items():
        if value is None or value == "":
            continue
        if isinstance(value, (list, tuple)):
            pairs.extend((key, str(v)) for v in value)
        else:
            pairs.append((key, str(value)))
    return urlencode(pairs)


# ----- the API's own parameters (listings and exports)

EXPORT_FORMATS = ("csv", "jsonl")
EXPORT_FIELDS = ("id", "title", "author", "date", "source", "region", "category", "url", "score", "body")
LISTING_PER_PAGE = 50
MAX_LISTING_PER_PAGE = 200


def parse_prefix(args: MultiDict[str, str]) -> str:
    """The `prefix` of a listing (authors, facet values), validated."""
    prefix = (args.get("prefix") or "").strip()
    if len(prefix) > MAX_VALUE_LENGTH:
        raise BadRequest(f"prefix is longer than {MAX_VALUE_LENGTH} characters", param="prefix")
    return prefix


def parse_listing(args: MultiDict[str, str]) -> tuple[int, int]:
    """`page` and `per_page` of a listing (authors, facet values), which may hold more than a search page."""
    return (_int(args, "page", 1, 1, MAX_PAGE),
            _int(args, "per_page", LISTING_PER_PAGE, 1, MAX_LISTING_PER_PAGE))


EXPORT_FORMULAS = ("escape", "keep")


@dataclass(frozen=True)
class ExportOptions:
    """How an export is written: format, columns (in the order asked), byte-order mark, formula handling."""

    format: str
    fields: tuple[str, ...]
    bom: bool
    keep_formulas: bool


def parse_export(args: MultiDict[str, str]) -> ExportOptions:
    """The format, the fields, the byte-order-mark and the formula choices of an export."""
    fmt = args.get("format") or "csv"
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(f"format must be one of {', '.join(EXPORT_FORMATS)}", param="format")
    raw = ",".join(args.getlist("fields"))
    names = [n.strip() for n in raw.split(",") if n.strip()]
    for name in names:
        if name not in EXPORT_FIELDS:
            raise BadRequest(f"unknown field {name[:40]!r}; fields are {', '.join(EXPORT_FIELDS)}", param="fields")
    fields = tuple(dict.fromkeys(names)) or EXPORT_FIELDS
    formulas = args.get("formulas") or "escape"
    if formulas not in EXPORT_FORMULAS:
        raise BadRequest(f"formulas must be one of {', '.join(EXPORT_FORMULAS)}, not {formulas[:40]!r}", param="formulas")
    return ExportOptions(fmt, fields, _bool(args, "bom", False), formulas == "keep")
