"""The API's own parameters (listings and exports); search parameters are parsed in search.request."""

from __future__ import annotations

from dataclasses import dataclass

from ..concord.colloc import MAX_WINDOW, MEASURES
from ..concord.colloc import Options as CollocOptions
from ..concord.lines import MAX_WIDTH, SORT_KEYS, Options
from ..errors import BadRequest
from ..fields import EXPORT_FIELDS, FACET_NAMES
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


# ----- the concordance and collocation views (their own sort, paging and window parameters)

CONCORDANCE_PER_PAGE = 50
MAX_CONCORDANCE_PER_PAGE = 500
MAX_SAMPLE = 1_000_000
MAX_SEED = 2**31 - 1
CUTS = ("none", "sentence")
# Parameters the views read themselves; the rest are the search's (q, filters, dates).
VIEW_PARAMS = ("sort", "page", "per_page", "width", "cut", "sample", "seed", "by", "window", "left", "right", "min",
               "stop", "limit", "format", "bom", "formulas", "near")


class _WithoutViewParams:
    """The request's parameters minus the views' own, for search.request.parse_search."""

    def __init__(self, args: Params) -> None:
        self.args = args

    def getlist(self, key: str) -> list[str]:
        """Every value of one parameter, except the views' own parameters."""
        return [] if key in VIEW_PARAMS else self.args.getlist(key)


def search_part(args: Params) -> Params:
    """The search parameters of a concordance or collocation request."""
    return _WithoutViewParams(args)


def _by(args: Params) -> str | None:
    by = (first(args, "by") or "").strip()
    if not by:
        return None
    if by not in FACET_NAMES:
        raise BadRequest(f"by must be one of {', '.join(FACET_NAMES)}, not {by[:40]!r}", param="by")
    return by


def parse_concordance(args: Params) -> Options:
    """Width, cut, sort keys, paging, sample and slicing of a concordance, validated."""
    raw = ",".join(args.getlist("sort")) or "doc"
    keys = tuple(k.strip() for k in raw.split(",") if k.strip()) or ("doc",)
    if len(keys) > len(SORT_KEYS):
        raise BadRequest(f"sort takes at most {len(SORT_KEYS)} keys", param="sort")
    for key in keys:
        if key not in SORT_KEYS:
            raise BadRequest(f"sort keys are {', '.join(SORT_KEYS)}, not {key[:40]!r}", param="sort")
    if len(set(keys)) != len(keys):
        raise BadRequest("a sort key is given twice", param="sort")
    cut = first(args, "cut") or "none"
    if cut not in CUTS:
        raise BadRequest(f"cut must be one of {', '.join(CUTS)}, not {cut[:40]!r}", param="cut")
    near = (first(args, "near") or "").strip() or None
    if near is not None and len(near) > 100:
        raise BadRequest("near is longer than 100 characters", param="near")
    sample_raw = first(args, "sample")
    sample = int_param(args, "sample", 0, 1, MAX_SAMPLE) if sample_raw not in (None, "") else None
    return Options(
        width=int_param(args, "width", 8, 1, MAX_WIDTH), cut=cut, sort=keys,
        page=int_param(args, "page", 1, 1, MAX_PAGE),
        per_page=int_param(args, "per_page", CONCORDANCE_PER_PAGE, 1, MAX_CONCORDANCE_PER_PAGE),
        sample=sample, seed=int_param(args, "seed", 1, 0, MAX_SEED), by=_by(args),
        near=near, near_window=int_param(args, "window", 5, 1, 10),
    )


def parse_collocations(args: Params) -> CollocOptions:
    """Window, minimum frequency, stop words, sort, size and slicing of a collocation table, validated."""
    window = int_param(args, "window", 5, 1, MAX_WINDOW)
    left = int_param(args, "left", window, 0, MAX_WINDOW)
    right = int_param(args, "right", window, 0, MAX_WINDOW)
    if left + right == 0:
        raise BadRequest("left and right cannot both be 0: the window would hold no words", param="left")
    sort = first(args, "sort") or "logdice"
    if sort not in MEASURES:
        raise BadRequest(f"sort must be one of {', '.join(MEASURES)}, not {sort[:40]!r}", param="sort")
    return CollocOptions(
        left=left, right=right, min=int_param(args, "min", 3, 1, 10**9), stop=bool_param(args, "stop", False),
        sort=sort, limit=int_param(args, "limit", 50, 1, 1000), by=_by(args),
    )
