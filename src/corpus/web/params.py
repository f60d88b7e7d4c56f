"""The API's own parameters (listings and exports); search parameters are parsed in search.request."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import BadRequest
from ..fields import EXPORT_FIELDS
from ..search.request import MAX_PAGE, MAX_VALUE_LENGTH, Params, bool_param, first, int_param

# ----- the API's own parameters (listings and exports)

EXPORT_FORMATS = ("csv", "jsonl")
LISTING_PER_PAGE = 50
MAX_LISTING_PER_PAGE = 200


def parse_prefix(args: Params) -> str:
    """The `prefix` of a listing (authors, facet values), validated."""
    prefix = (first(args, "prefix") or "").strip()
    if len(prefix) > MAX_VALUE_LENGTH:
        raise BadRequest(f"prefix is longer than {MAX_VALUE_LENGTH} characters", param="prefix")
    return prefix


def parse_listing(args: Params) -> tuple[int, int]:
    """`page` and `per_page` of a listing (authors, facet values), which may hold more than a search page."""
    return (int_param(args, "page", 1, 1, MAX_PAGE),
            int_param(args, "per_page", LISTING_PER_PAGE, 1, MAX_LISTING_PER_PAGE))


EXPORT_FORMULAS = ("escape", "keep")


@dataclass(frozen=True)
class ExportOptions:
    """How an export is written: format, columns (in the order asked), byte-order mark, formula handling."""

    format: str
    fields: tuple[str, ...]
    bom: bool
    keep_formulas: bool


def parse_export(args: Params) -> ExportOptions:
    """The format, the fields, the byte-order-mark and the formula choices of an export."""
    fmt = first(args, "format") or "csv"
    if fmt not in EXPORT_FORMATS:
        raise BadRequest(f"format must be one of {', '.join(EXPORT_FORMATS)}", param="format")
    raw = ",".join(args.getlist("fields"))
    names = [n.strip() for n in raw.split(",") if n.strip()]
    for name in names:
        if name not in EXPORT_FIELDS:
            raise BadRequest(f"unknown field {name[:40]!r}; fields are {', '.join(EXPORT_FIELDS)}", param="fields")
    fields = tuple(dict.fromkeys(names)) or EXPORT_FIELDS
    formulas = first(args, "formulas") or "escape"
    if formulas not in EXPORT_FORMULAS:
        raise BadRequest(f"formulas must be one of {', '.join(EXPORT_FORMULAS)}, not {formulas[:40]!r}", param="formulas")
    return ExportOptions(fmt, fields, bool_param(args, "bom", False), formulas == "keep")
