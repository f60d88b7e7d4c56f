"""The query language: Whoosh's parser with our field names, date clauses and a readable echo."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

from whoosh import qparser, query
from whoosh.qparser import syntax

from ...errors import QuerySyntaxError
from ...search.dates import parse_partial_date
from .schema import QUERY_FIELDS

DEFAULT_FIELDS = ("title", "body")
AUTHOR_FIELDS = ("author_text", "bio", "title")
MAX_EXPANSIONS = 4096  # words one wildcard, prefix, fuzzy or range term may stand for (in one field)
MAX_TOTAL_EXPANSIONS = 16384  # words all of a query's wildcard, prefix, fuzzy and range terms may stand for together
MAX_FUZZY_DISTANCE = 2  # edits a fuzzy term may allow, as in Lucene (word~ is 1, word~2 is 2)
# No word of any language is this long (German's longest compounds have about 80 letters), so a
# fuzzy term past it is not a search for a word but a probe: refused, with a clear message.
MAX_FUZZY_LENGTH = 100

QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
                        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'"})
DATE_VALUE = r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?"
DATE_HELP = "date: takes YYYY, YYYY-MM, YYYY-MM-DD, a range such as [2024-01 TO 2025-03], or >, >=, <, <= a date"

# Hyphens and dashes that join the parts of one word (Coca-Cola, Austria\u2013Hungary), and the slash
# of TCP/IP or km/h. Between two parts of a word, each makes a phrase of the parts, as in Lucene and
# Elasticsearch; only a - at the start of a term negates it (-cola, oil -opec). A full stop needs
# no rewriting: the analyzer already keeps "U.S" whole, and apostrophes stay as the analyzer
# treats them (o'neil finds neil).
JOINERS = "-/\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_PART = r"[\w*?][\w*?'.]*"
_JOINED = re.compile(
    r"(?:(?<![^\s(])|(?<=(?<![^\s(])[+\-]))"  # a term's start: after a space or (, or a + or - that starts the term
    r"(?P<field>[^\W\d]\w*:)?"
    rf"(?P<word>{_PART}(?:[{JOINERS}]+{_PART})+)"
    r"(?P<suffix>(?:~\d*(?:/\d+)?|\^\d+(?:\.\d+)?)*)"
    r"(?=[\s)]|$)"
)
_JOINER_RUN = re.compile(f"[{JOINERS}]+")
# Parts of the query no rewriting may touch: phrases, and [a TO b] or {a TO b} ranges.
_KEPT = re.compile(r'"[^"]*"|[\[{][^\]}]*[\]}]')
_NEGATED = re.compile(r"(?<![^\s(])-(?=[^\s\-])")  # a - that starts a term
_DATE_FIELD = re.compile(r"(?<![\w:])date:(?=\S)")


class DateNode(syntax.SyntaxNode):
    """A `date:` clause, turned into a DateRange on the `date` field."""

    def __init__(self, start: date | None, end: date | None, text: str) -> None:
        self.start, self.end, self.text = start, end, text

    def r(self) -> str:
        return f"date:{self.text}"

    def query(self, parser: Any) -> query.Query:
        start = datetime(self.start.year, self.start.month, self.start.day) if self.start else None
        end = None
        if self.end:
            end = datetime(self.end.year, self.end.month, self.end.day) + timedelta(days=1) - timedelta(microseconds=1)
        return query.DateRange("date", start, end)


class DatePlugin(qparser.TaggingPlugin):
    """date:2025, date:2024-06, date:[2024-01 TO 2025-03], date:>2024-06, date:<=2025-01-14."""

    priority = -200
    expr = rf"date:(?P<value>\[\s*(?:{DATE_VALUE})?\s+(?:to|TO)\s+(?:{DATE_VALUE})?\s*\]|[<>]=?{DATE_VALUE}|{DATE_VALUE})(?=[\s)]|$)"

    def create(self, parser: Any, match: Any) -> DateNode:
        value = match.group("value")
        try:
            if value.startswith("["):
                parts = re.split(r"\s+(?:to|TO)\s+", value.strip("[] "))
                lo = parse_partial_date(parts[0]) if parts[0] else None
                hi = parse_partial_date(parts[1], end=True) if len(parts) > 1 and parts[1] else None
                return DateNode(lo, hi, value)
            if value[0] in "<>":
                op = value[:2] if value[1] == "=" else value[:1]
                text = value[len(op):]
                if op == ">":
                    return DateNode(parse_partial_date(text, end=True) + timedelta(days=1), None, value)
                if op == ">=":
                    return DateNode(parse_partial_date(text), None, value)
                if op == "<":
                    return DateNode(None, parse_partial_date(text) - timedelta(days=1), value)
                return DateNode(None, parse_partial_date(text, end=True), value)
            return DateNode(parse_partial_date(value), parse_partial_date(value, end=True), value)
        except ValueError as exc:
            raise QuerySyntaxError(f"bad date in {match.group(0)!r}: {exc}", param="q") from None
        except OverflowError:  # the day after 9999-12-31, or the day before 0001-01-01
            raise QuerySyntaxError(f"bad date in {match.group(0)!r}: dates run from 0001 to 9999", param="q") from None


def make_parser(schema: Any, fields: tuple[str, ...] = DEFAULT_FIELDS) -> qparser.QueryParser:
    """The parser for the query language (see /help)."""
    parser = qparser.MultifieldParser(list(fields), schema, group=qparser.AndGroup)
    parser.remove_plugin_class(qparser.DateParserPlugin) if hasattr(qparser, "DateParserPlugin") else None
    parser.add_plugin(qparser.FuzzyTermPlugin())
    parser.add_plugin(qparser.PlusMinusPlugin())
    parser.add_plugin(DatePlugin())
    aliases: dict[str, list[str]] = {}
    for typed, real in QUERY_FIELDS.items():
        if typed != real:
            aliases.setdefault(real, []).append(typed)
    parser.add_plugin(qparser.FieldAliasPlugin(aliases))
    return parser


def prepare(text: str) -> str:
    """Curly quotes count as straight ones; an odd quote is closed; runs of space are folded;
    hyphenated words become phrases (see JOINERS)."""
    text = text.translate(QUOTES)
    text = " ".join(text.split())
    if text.count('"') % 2:
        text += '"'
    return join_words(text)


def join_words(text: str) -> str:
    """Coca-Cola -> "Coca-Cola" (the phrase of its parts); title:co-op* -> title:(co op*).

    A phrase cannot hold a wildcard or a fuzzy term, so a joined word with one of those becomes
    its parts ANDed, the wildcard or ~ staying on its part. Phrases, ranges and date: values are
    left as they are.
    """
    out: list[str] = []
    at = 0
    for kept in _KEPT.finditer(text):
        out.append(_JOINED.sub(_joined, text[at:kept.start()]))
        out.append(kept.group(0))
        at = kept.end()
    out.append(_JOINED.sub(_joined, text[at:]))
    return "".join(out)


def _joined(m: re.Match[str]) -> str:
    fieldname, word, suffix = m.group("field") or "", m.group("word"), m.group("suffix")
    if fieldname == "date:":
        return m.group(0)
    if "~" in suffix or any(c in word for c in "*?"):
        parts = _JOINER_RUN.split(word)
        return f"{fieldname}({' '.join(parts)}{suffix})"
    return f'{fieldname}"{word}"{suffix}'


def parse(parser: qparser.QueryParser, text: str) -> query.Query | None:
    """Parse a query string; None means "match everything" (an empty query)."""
    text = prepare(text)
    if not text:
        return None
    _check_date_clauses(text)
    try:
        q = parser.parse(text)
    except QuerySyntaxError:
        raise
    except Exception as exc:  # Whoosh's parser raises assorted errors on odd input; say what is wrong in our terms
        raise QuerySyntaxError(_explain(exc), param="q") from None
    for leaf in q.leaves():
        # Only DatePlugin's ranges can search dates; anything else on the date field (date:"",
        # date:abc*) would reach Whoosh's date parser at search time and fail there.
        if leaf.field() == "date" and not isinstance(leaf, query.DateRange):
            raise QuerySyntaxError(DATE_HELP, param="q")
        if isinstance(leaf, query.FuzzyTerm) and leaf.maxdist > MAX_FUZZY_DISTANCE:
            raise fuzzy_too_far(leaf)
        if isinstance(leaf, query.FuzzyTerm) and len(leaf.text) > MAX_FUZZY_LENGTH:
            raise QuerySyntaxError(
                f"a fuzzy term (word~) may have at most {MAX_FUZZY_LENGTH} letters; this one has {len(leaf.text)}",
                param="q",
            )
    if _is_null(q) and _NEGATED.search(text):
        # Only negated terms (-cola, -oil -gas): Whoosh finds nothing to subtract them from; as
        # NOT they mean every document without them.
        return parse(parser, _NEGATED.sub("NOT ", text))
    if _is_null(q):
        raise QuerySyntaxError(
            "the query has no searchable words (very short words and common words such as 'the' are not indexed)",
            param="q",
        )
    return q


def _is_null(q: query.Query) -> bool:
    return q is query.NullQuery or isinstance(q, type(query.NullQuery))


def fuzzy_too_far(leaf: query.FuzzyTerm) -> QuerySyntaxError:
    """The error for a fuzzy term asking for more edits than MAX_FUZZY_DISTANCE."""
    return QuerySyntaxError(
        f"{render(leaf)!r} allows {int(leaf.maxdist)} edits; a fuzzy term allows at most {MAX_FUZZY_DISTANCE} "
        f"(word~ for one edit, word~2 for two)",
        param="q",
    )


def _check_date_clauses(text: str) -> None:
    """Refuse a date: clause that DatePlugin cannot read, before Whoosh's own date parser fails on it."""
    for kept_or_date in re.finditer(rf'{_KEPT.pattern}|{_DATE_FIELD.pattern}', text):
        if kept_or_date.group(0).startswith("date:") and not re.match(DatePlugin.expr, text[kept_or_date.start():]):
            raise QuerySyntaxError(DATE_HELP, param="q")


def _explain(exc: Exception) -> str:
    """A message in the query language's terms for an error Whoosh's parser raised."""
    if isinstance(exc, IndexError):  # a NOT group with nothing inside it (NOT NOT oil, NOT OR x)
        return "cannot understand the query: NOT must be followed by a word, a phrase or a group in parentheses"
    if isinstance(exc, NotImplementedError):  # a lone + or - (a (+), (-x -))
        return "cannot understand the query: + and - must be written right before a word, as in oil -opec"
    return ("cannot understand the query: check that AND, OR and NOT stand between words, and that "
            "parentheses, quotes and [a TO b] ranges are complete")


def split_date_clauses(q: query.Query | None) -> tuple[query.Query | None, list[tuple[date | None, date | None]]]:
    """Take the date ranges ANDed at the top of a query out of it, as (first day, last day) pairs.

    What is left is the rest of the query (None when the query was only dates). Date ranges
    inside OR or NOT stay where they are, for Whoosh to evaluate.
    """
    if isinstance(q, query.DateRange):
        return None, [_days(q)]
    if not isinstance(q, query.And):
        return q, []
    ranges = [_days(sub) for sub in q.subqueries if isinstance(sub, query.DateRange)]
    if not ranges:
        return q, []
    rest = [sub for sub in q.subqueries if not isinstance(sub, query.DateRange)]
    if not rest:
        return None, ranges
    return (rest[0] if len(rest) == 1 else query.And(rest)), ranges


def _days(q: query.DateRange) -> tuple[date | None, date | None]:
    start = q.startdate.date() if q.startdate else None
    end = q.enddate.date() if q.enddate else None
    return start, end


def render(q: query.Query | None) -> str:
    """A readable, normalised form of a parsed query: how it was understood."""
    if q is None:
        return "*"
    return _render(q, top=True)


def _field(name: str) -> str:
    for typed, real in QUERY_FIELDS.items():
        if real == name:
            return typed
    return name


def _render(q: query.Query, top: bool = False) -> str:
    if isinstance(q, query.Or):
        same = _same_text_over_defaults(q)
        if same is not None:
            return same
        parts = [_render(s) for s in q.subqueries]
        grouped = _collapse_defaults(q.subqueries)
        if grouped is not None:
            parts = grouped
        text = " OR ".join(parts)
        return text if top or len(parts) == 1 else f"({text})"
    if isinstance(q, query.And):
        parts = [_render(s) for s in q.subqueries]
        text = " AND ".join(parts)
        return text if top or len(parts) == 1 else f"({text})"
    if isinstance(q, query.AndNot):
        return f"{_render(q.a)} AND NOT {_render(q.b)}"
    if isinstance(q, query.Not):
        return f"NOT {_render(q.query)}"
    if isinstance(q, query.DateRange):
        lo = q.startdate.date().isoformat() if q.startdate else "*"
        hi = q.enddate.date().isoformat() if q.enddate else "*"
        return f"date:[{lo} TO {hi}]"
    if isinstance(q, query.Phrase):
        slop = f"~{q.slop}" if q.slop and q.slop > 1 else ""
        return f'{_prefix(q.fieldname)}"{" ".join(q.words)}"{slop}'
    if isinstance(q, query.FuzzyTerm):
        distance = f"{int(q.maxdist)}" if q.maxdist != 1 or q.prefixlength else ""
        prefix = f"/{q.prefixlength}" if q.prefixlength else ""
        return f"{_prefix(q.fieldname)}{q.text}~{distance}{prefix}"
    if isinstance(q, query.TermRange):
        lo = q.start if q.start is not None else "*"
        hi = q.end if q.end is not None else "*"
        return f"{_prefix(q.fieldname)}{'{' if q.startexcl else '['}{lo} TO {hi}{'}' if q.endexcl else ']'}"
    if isinstance(q, query.Prefix):
        return f"{_prefix(q.fieldname)}{q.text}*"
    if isinstance(q, query.Wildcard):
        return f"{_prefix(q.fieldname)}{q.text}"
    if isinstance(q, query.Term):
        return f"{_prefix(q.fieldname)}{q.text}"
    if isinstance(q, query.Every):
        return "*"
    return str(q)


def _prefix(fieldname: str | None) -> str:
    return "" if fieldname in DEFAULT_FIELDS or fieldname is None else f"{_field(fieldname)}:"


def _key(q: query.Query) -> str:
    """What a leaf would render as without its field (to spot one term spread over title and body)."""
    saved = getattr(q, "fieldname", None)
    return _render(q).removeprefix(f"{_field(saved)}:") if saved else _render(q)


def _same_text_over_defaults(q: query.Or) -> str | None:
    subs = q.subqueries
    if len(subs) == len(DEFAULT_FIELDS) and sorted(getattr(s, "fieldname", "") for s in subs) == sorted(DEFAULT_FIELDS):
        keys = {type(s).__name__ + _key(s) for s in subs}
        if len(keys) == 1:
            return _key(subs[0])
    return None


def _collapse_defaults(subs: list[query.Query]) -> list[str] | None:
    # "wheat OR corn" parses into Or([title:wheat, body:wheat, title:corn, body:corn]).
    if len(subs) % len(DEFAULT_FIELDS) or not all(getattr(s, "fieldname", None) in DEFAULT_FIELDS for s in subs):
        return None
    out: list[str] = []
    for i in range(0, len(subs), len(DEFAULT_FIELDS)):
        group = subs[i:i + len(DEFAULT_FIELDS)]
        keys = {type(s).__name__ + _key(s) for s in group}
        if len(keys) != 1:
            return None
        out.append(_key(group[0]))
    return out
