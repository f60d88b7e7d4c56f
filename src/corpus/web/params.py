"""The API's own parameters (listings and exports); search parameters are parsed in search.request."""

from __future__ import annotations

from dataclasses import dataclass

from ..analysis.stopwords import LANGUAGES as STOP_LANGUAGES
from ..concord.colloc import MAX_WINDOW, MEASURES
from ..concord.colloc import Options as CollocOptions
from ..concord.lines import MAX_WIDTH, SORT_KEYS, Options
from ..config import Settings
from ..errors import BadRequest
from ..fields import EXPORT_FIELDS, FACET_NAMES, FILTER_NAMES
from ..research.compare import INTERVALS, MAX_QUERIES
from ..research.keyness import MAX_NGRAM
from ..research.keyness import REFERENCES as KEYWORD_REFERENCES
from ..research.keyness import SORTS as KEYWORD_SORTS
from ..research.keyness import Options as KeywordOptions
from ..search.request import MAX_PAGE, MAX_VALUE_LENGTH, Params, bool_param, first, int_param, parse_search
from ..search.types import SearchRequest

# ----- the API's own parameters (listings and exports)

EXPORT_FORMATS = ("csv", "jsonl")
SEARCH_EXPORT_FORMATS = (*EXPORT_FORMATS, "bundle")  # /api/export also gives a citable zip
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


def parse_export(args: Params, formats: tuple[str, ...] = EXPORT_FORMATS) -> ExportOptions:
    """The format, the fields, the byte-order-mark and the formula choices of an export."""
    fmt = first(args, "format") or "csv"
    if fmt not in formats:
        raise BadRequest(f"format must be one of {', '.join(formats)}", param="format")
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


# ----- the research views: distinctive words (keywords) and compared queries

RESEARCH_FORMATS = ("json", "csv", "bundle")
COMPARE_TABLES = ("series", "overlap")
MAX_LABEL = 100
MAX_KEYWORD_LIMIT = 1000
_TEXT_KEYS = ("q", *FILTER_NAMES, "from", "to")  # what a second search (vs_...) or a compared query reads


class _SearchOnly:
    """Of a request's parameters, only the search's own ones (q, filters, dates, facets), some hidden."""

    def __init__(self, args: Params, prefix: str = "", hide: tuple[str, ...] = (), keys: tuple[str, ...] | None = None) -> None:
        self.args, self.prefix, self.hide, self.keys = args, prefix, hide, keys

    def getlist(self, key: str) -> list[str]:
        """Every value of one search parameter (read under the prefix), [] for the others."""
        if key in self.hide or (self.keys is not None and key not in self.keys):
            return []
        return self.args.getlist(self.prefix + key)


def _prefixed_error(exc: BadRequest, prefix: str) -> BadRequest:
    param = f"{prefix}{exc.param}" if exc.param else None
    message = exc.message
    if exc.param and message.startswith(exc.param):
        message = prefix + message
    return BadRequest(f"{message} (in the {prefix.rstrip('_') or 'search'} parameters)" if prefix else message, param=param)


def keywords_search(args: Params, settings: Settings) -> SearchRequest:
    """The search whose distinctive words are asked for (its own sort, paging and format are the view's)."""
    return parse_search(_SearchOnly(args, keys=(*_TEXT_KEYS, "facet", "facet_size")), settings)


def reference_search(args: Params, settings: Settings) -> SearchRequest:
    """The second search of vs=search, from its vs_ parameters."""
    try:
        return parse_search(_SearchOnly(args, prefix="vs_", keys=_TEXT_KEYS), settings)
    except BadRequest as exc:
        raise _prefixed_error(exc, "vs_") from None


def _research_format(args: Params) -> str:
    fmt = first(args, "format") or "json"
    if fmt not in RESEARCH_FORMATS:
        raise BadRequest(f"format must be one of {', '.join(RESEARCH_FORMATS)}, not {fmt[:40]!r}", param="format")
    return fmt


def parse_keywords(args: Params) -> tuple[KeywordOptions, str]:
    """The reference, sort, minimum, phrase length, stop words and size of a keyword list, and its format."""
    given_vs = [k for k in ("q", *FILTER_NAMES, "from", "to") if any(v != "" for v in args.getlist("vs_" + k))]
    vs = first(args, "vs") or ("search" if given_vs else "rest")
    if vs not in KEYWORD_REFERENCES:
        raise BadRequest(f"vs must be one of {', '.join(KEYWORD_REFERENCES)}, not {vs[:40]!r}", param="vs")
    if given_vs and vs != "search":
        raise BadRequest(f"vs_{given_vs[0]} describes a second search, which only vs=search compares with", param="vs")
    sort = first(args, "sort") or "g2"
    if sort not in KEYWORD_SORTS:
        raise BadRequest(f"sort must be one of {', '.join(KEYWORD_SORTS)}, not {sort[:40]!r}", param="sort")
    raw_stop = (first(args, "stop") or "").strip()
    stop: tuple[str, ...] | None
    if raw_stop.lower() in ("", "0", "false", "no", "off"):
        stop = None
    elif raw_stop.lower() in ("1", "true", "yes", "on", "auto"):
        stop = ()
    else:
        codes = tuple(dict.fromkeys(c.strip().lower() for c in raw_stop.split(",") if c.strip()))
        for code in codes:
            if code not in STOP_LANGUAGES and code != "no":
                raise BadRequest(f"stop takes true, or language codes with a stop-word list ({', '.join(sorted(STOP_LANGUAGES))}), "
                                 f"not {code[:20]!r}", param="stop")
        stop = codes or None
    options = KeywordOptions(vs=vs, sort=sort, min=int_param(args, "min", 3, 1, 10**9),
                             ngram=int_param(args, "ngram", 1, 1, MAX_NGRAM), stop=stop,
                             limit=int_param(args, "limit", 50, 1, MAX_KEYWORD_LIMIT))
    return options, _research_format(args)


@dataclass(frozen=True)
class CompareRequest:
    queries: tuple[tuple[int, str, str], ...]  # (N of qN, label, query text)
    shared: SearchRequest  # the shared filters, dates and facets (its q is empty)
    interval: str | None
    format: str
    table: str


def parse_compare(args: Params, settings: Settings) -> CompareRequest:
    """The labelled queries (q1 ... q6, label1 ... label6) and the shared filters of a comparison."""
    if any(v != "" for v in args.getlist("q")):
        raise BadRequest(f"compare takes its queries as q1 to q{MAX_QUERIES} (and labels as label1 ...), not q", param="q")
    for n in range(MAX_QUERIES + 1, MAX_QUERIES + 10):
        if args.getlist(f"q{n}") or args.getlist(f"label{n}"):
            raise BadRequest(f"at most {MAX_QUERIES} queries: q1 to q{MAX_QUERIES}", param=f"q{n}")
    queries = []
    for n in range(1, MAX_QUERIES + 1):
        texts = args.getlist(f"q{n}")
        label = (first(args, f"label{n}") or "").strip()
        if len(texts) > 1:
            raise BadRequest(f"q{n} is given {len(texts)} times", param=f"q{n}")
        if len(label) > MAX_LABEL:
            raise BadRequest(f"label{n} is longer than {MAX_LABEL} characters", param=f"label{n}")
        if not texts:
            if label:
                raise BadRequest(f"label{n} labels no query: q{n} is missing", param=f"label{n}")
            continue
        q = texts[0]
        if len(q) > settings.max_query_length:
            raise BadRequest(f"q{n} is longer than {settings.max_query_length} characters", param=f"q{n}")
        if not q.strip() and not label:
            continue  # an empty box of the form
        queries.append((n, label or q.strip() or f"query {n}", q))
    shared = parse_search(_SearchOnly(args, keys=(*_TEXT_KEYS, "facet", "facet_size"), hide=("q",)), settings)
    interval = first(args, "interval") or None
    if interval is not None and interval not in INTERVALS:
        raise BadRequest(f"interval must be one of {', '.join(INTERVALS)}, not {interval[:40]!r}", param="interval")
    table = first(args, "table") or "series"
    if table not in COMPARE_TABLES:
        raise BadRequest(f"table must be one of {', '.join(COMPARE_TABLES)}, not {table[:40]!r}", param="table")
    return CompareRequest(tuple(queries), shared, interval, _research_format(args), table)


def parse_scale(args: Params) -> str:
    """How the search page's timeline is drawn: counts (default) or shares of each period's articles."""
    scale = first(args, "scale") or "counts"
    if scale not in ("counts", "shares"):
        raise BadRequest(f"scale must be counts or shares, not {scale[:40]!r}", param="scale")
    return scale
