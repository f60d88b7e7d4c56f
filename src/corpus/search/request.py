"""Search parameters -> SearchRequest, validated up front; and query strings that change one parameter.

Request-free: the web passes its request arguments, the CLI a `QueryParams` built from its
options, and both get the same SearchRequest and the same errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any, Protocol
from urllib.parse import urlencode

from ..config import Settings
from ..errors import BadRequest
from ..fields import BY_NAME, DEFAULT_FACETS, FACET_NAMES, FILTER_NAMES, SORTS
from .dates import parse_partial_date
from .types import SearchRequest

WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")
MAX_PAGE = 10_000
MAX_FACET_SIZE = 200
MAX_VALUE_LENGTH = 400
MAX_VALUES = 50
SEARCH_PARAMS = ("q", *FILTER_NAMES, "from", "to", "sort", "page", "per_page", "facet_size", "highlight", "facet")


class Params(Protocol):
    """Repeatable named parameters: a werkzeug MultiDict, or QueryParams."""

    def getlist(self, key: str) -> list[str]:
        """Every value of one parameter, in the order given."""


class QueryParams:
    """Parameters from (name, value) pairs, for callers without a web request (the CLI, tests)."""

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._values: dict[str, list[str]] = {}
        for key, value in pairs:
            self._values.setdefault(key, []).append(value)

    def getlist(self, key: str) -> list[str]:
        """Every value of one parameter, in the order given."""
        return list(self._values.get(key, ()))


def first(args: Params, name: str) -> str | None:
    """The first value of a parameter, or None."""
    values = args.getlist(name)
    return values[0] if values else None


def int_param(args: Params, name: str, default: int, lo: int, hi: int) -> int:
    """A whole number between lo and hi; the default when absent or empty."""
    raw = first(args, name)
    if raw is None or raw == "":
        return default
    digits = raw.strip()
    if not WHOLE_NUMBER.fullmatch(digits):  # never int() of odd input, whose errors speak Python
        raise BadRequest(f"{name} must be a whole number, not {raw[:40]!r}", param=name)
    value = int(digits)
    if not lo <= value <= hi:
        raise BadRequest(f"{name} must be between {lo} and {hi}", param=name)
    return value


def _date(args: Params, name: str, end: bool) -> date | None:
    raw = (first(args, name) or "").strip()
    if not raw:
        return None
    try:
        return parse_partial_date(raw, end=end)
    except (ValueError, OverflowError):
        raise BadRequest(f"{name} must be a date as YYYY, YYYY-MM or YYYY-MM-DD, not {raw[:40]!r}", param=name) from None


def bool_param(args: Params, name: str, default: bool) -> bool:
    """true/false, yes/no, on/off or 1/0; the default when absent or empty."""
    raw = first(args, name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise BadRequest(f"{name} must be true or false", param=name)


def parse_search(args: Params, settings: Settings, default_per_page: int = 10) -> SearchRequest:
    """Validate the search parameters shared by the pages, the API and the CLI."""
    q = first(args, "q") or ""
    if len(q) > settings.max_query_length:
        raise BadRequest(f"q is longer than {settings.max_query_length} characters", param="q")
    filters = []
    for name in FILTER_NAMES:
        pattern = BY_NAME[name].pattern
        values = tuple(dict.fromkeys(v.strip() for v in args.getlist(name) if v.strip()))
        if len(values) > MAX_VALUES:
            raise BadRequest(f"at most {MAX_VALUES} values of {name}", param=name)
        for value in values:
            if len(value) > MAX_VALUE_LENGTH:
                raise BadRequest(f"a {name} value is longer than {MAX_VALUE_LENGTH} characters", param=name)
            if pattern and not re.fullmatch(pattern, value, re.ASCII):
                raise BadRequest(f"{name} must be {BY_NAME[name].pattern_hint}, not {value[:40]!r}", param=name)
        if values:
            filters.append((name, values))
    sort = first(args, "sort") or "relevance"
    if sort not in SORTS:
        raise BadRequest(f"sort must be one of {', '.join(SORTS)}", param="sort")
    facets = tuple(args.getlist("facet")) or DEFAULT_FACETS
    for name in facets:
        if name not in FACET_NAMES:
            raise BadRequest(f"unknown facet {name[:40]!r}; facets are {', '.join(FACET_NAMES)}", param="facet")
    date_from, date_to = _date(args, "from", end=False), _date(args, "to", end=True)
    if date_from and date_to and date_from > date_to:
        raise BadRequest("from is later than to", param="from")
    return SearchRequest(
        q=q, filters=tuple(filters), date_from=date_from, date_to=date_to, sort=sort,
        page=int_param(args, "page", 1, 1, MAX_PAGE),
        per_page=int_param(args, "per_page", default_per_page, 1, settings.max_per_page),
        facet_size=int_param(args, "facet_size", 10, 1, MAX_FACET_SIZE),
        facets=facets, highlight=bool_param(args, "highlight", True),
    )


def search_args(args: Params) -> list[tuple[str, str]]:
    """The search parameters of a request, in a stable order, without empty values."""
    return [(k, v) for k in SEARCH_PARAMS for v in args.getlist(k) if v != ""]


def with_params(args: Params, *, drop: tuple[str, ...] = (), toggle: tuple[str, str] | None = None,
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
