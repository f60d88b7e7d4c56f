"""The query language (see /help), parsed into the syntax tree of search.syntax.

The grammar, loosest binding first:

    query   := clause*                        clauses side by side are ANDed
    clause  := either (OR either)*
    either  := unary (AND unary)*
    unary   := NOT unary | -unary | +unary | atom
    atom    := [field:] ( word | =word | "phrase"[~N] | ="phrase" | [a TO b] | (query) ) [^boost]
             | date:VALUE

So `wheat corn OR maize` is wheat AND (corn OR maize), and `a OR b AND c` is a OR (b AND c).
A `-` or `+` counts only at the start of a term (`oil -opec`, `+oil`); `+` marks a term required,
which every term already is. `=word` and `="a phrase"` ask for the words as written: no stemming,
no folding of accents or letter variants (only case is ignored). The parser is lenient, as search boxes must be: a dangling operator
or an unmatched parenthesis is ignored, an odd quote is closed at the end, curly quotes count as
straight ones. Words stay as typed here; search.analyze turns them into index terms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import timedelta

from ..errors import QuerySyntaxError
from ..fields import QUERY_FIELDS
from .dates import parse_partial_date
from .syntax import And, DateRange, Every, Fuzzy, Node, Not, Or, Phrase, Prefix, Range, Term, Wildcard, group, render

MAX_FUZZY_DISTANCE = 2  # edits a fuzzy term may allow, as in Lucene (word~ is 1, word~2 is 2)
# No word of any language is this long (German's longest compounds have about 80 letters), so a
# fuzzy term past it is not a search for a word but a probe: refused, with a clear message.
MAX_FUZZY_LENGTH = 100

QUOTES = str.maketrans({"\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u00ab": '"', "\u00bb": '"',
                        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2032": "'"})
DATE_VALUE = r"\d{4}(?:-\d{1,2}(?:-\d{1,2})?)?"
DATE_HELP = "date: takes YYYY, YYYY-MM, YYYY-MM-DD, a range such as [2024-01 TO 2025-03], or >, >=, <, <= a date"

# Hyphens and dashes that join the parts of one word (Coca-Cola, Austria\u2013Hungary), and the slash
# of TCP/IP or km/h. The analyzer splits a word at them, and a word that analyses into several
# terms is the phrase of those terms (see search.analyze), as in Lucene and Elasticsearch. A word
# with a wildcard or a fuzzy mark cannot be a phrase, so it is split here into its parts, ANDed,
# the wildcard or ~ staying on its part.
JOINERS = "-/\u00ad\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_JOINER_RUN = re.compile(f"[{JOINERS}]+")

_FIELD = re.compile(r"([^\W\d]\w*):(?=\S)")
_DATE_SPAN = rf"\[\s*(?:({DATE_VALUE})\s+)?(?:to|TO)(?:\s+({DATE_VALUE}))?\s*\]"
_DATE = re.compile(rf"date:({_DATE_SPAN}|[<>]=?{DATE_VALUE}|{DATE_VALUE})(?=[\s)]|$)", re.IGNORECASE)
_RANGE = re.compile(r'([\[{])\s*([^\s\]}"]*?)\s+(?:TO|to)\s+([^\s\]}"]*?)\s*([\]}])')
_RANGE_OPEN_START = re.compile(r'([\[{])\s*(?:TO|to)\s+([^\s\]}"]+?)\s*([\]}])')
_WORD = re.compile(r'[^\s()"]+')
_BOOST = re.compile(r"\^(\d+(?:\.\d+)?)")
_WORD_BOOST = re.compile(r"\^(\d+(?:\.\d+)?)$")
_FUZZY = re.compile(r"~(\d*)(?:/(\d+))?$")
_SLOP = re.compile(r"~(\d+)")
OPERATORS = ("AND", "OR", "NOT")


@dataclass
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "-", "+", "field", "atom"
    node: Node | None = None
    field: str = ""
    boost: float = 1.0


def prepare(text: str) -> str:
    """Curly quotes count as straight ones, runs of space are folded and an odd quote is closed."""
    text = " ".join(text.translate(QUOTES).split())
    if text.count('"') % 2:
        text += '"'
    return text


def parse(text: str) -> Node | None:
    """The tree of a query, words as typed; None for an empty query (everything)."""
    text = prepare(text)
    if not text:
        return None
    return _Parser(_tokens(text)).query()


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == " ":
            i += 1
            continue
        if c == "(":
            out.append(_Token("("))
            i += 1
            continue
        if c == ")":
            i += 1
            m = _BOOST.match(text, i)
            out.append(_Token(")", boost=float(m.group(1)) if m else 1.0))
            i = m.end() if m else i
            continue
        starts_term = i == 0 or text[i - 1] in " (" or (out and out[-1].kind in "-+" and text[i - 1] in "-+")
        if c in "-+" and starts_term and i + 1 < n and text[i + 1] != " ":
            if not (out and out[-1].kind == c and text[i - 1] == c):  # --oil is -oil
                out.append(_Token(c))
            i += 1
            continue
        if text[i:i + 5].lower() == "date:" and i + 5 < n and text[i + 5] != " " and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] in ":_")):
            m = _DATE.match(text, i)
            if not m:
                raise QuerySyntaxError(DATE_HELP, param="q")
            out.append(_Token("atom", _date_range(m.group(1), m.group(0))))
            i = m.end()
            continue
        m = _FIELD.match(text, i)
        if m and m.group(1).lower() in QUERY_FIELDS:
            out.append(_Token("field", field=m.group(1).lower()))
            i = m.end()
            continue
        exact = bool(c == "=" and i + 1 < n and text[i + 1] == '"' and starts_term)
        if exact:
            i += 1
            c = '"'
        if c == '"':
            end = text.find('"', i + 1)  # prepare() closed every quote that is not part of a range
            end = n if end < 0 else end
            words = tuple(text[i + 1:end].split())
            i = end + 1
            slop = 1
            m = _SLOP.match(text, i)
            if m:
                slop, i = max(1, int(m.group(1))), m.end()
            boost = 1.0
            m = _BOOST.match(text, i)
            if m:
                boost, i = float(m.group(1)), m.end()
            out.append(_Token("atom", Phrase(None, words, slop, boost, exact) if words else None))
            continue
        if c in "[{":
            m = _RANGE.match(text, i) or _RANGE_OPEN_START.match(text, i)
            if m:
                out.append(_Token("atom", _range(m)))
                i = m.end()
                m = _BOOST.match(text, i)
                if m:
                    rng = out[-1].node
                    assert rng is not None
                    out[-1].node = replace(rng, boost=float(m.group(1)))
                    i = m.end()
                continue
        m = _WORD.match(text, i)
        assert m is not None  # i is not at a space, a parenthesis or a quote
        word = m.group(0)
        i = m.end()
        if word in OPERATORS:
            out.append(_Token(word))
        else:
            out.append(_Token("atom", _word(word)))
    return out


def _date_range(value: str, clause: str) -> DateRange:
    """date:2025, date:2024-06, date:[2024-01 TO 2025-03], date:>2024-06, date:<=2025-01-14."""
    try:
        span = re.fullmatch(_DATE_SPAN, value)
        if span:
            lo = parse_partial_date(span.group(1)) if span.group(1) else None
            hi = parse_partial_date(span.group(2), end=True) if span.group(2) else None
            return DateRange(lo, hi)
        if value[0] in "<>":
            op = value[:2] if value[1] == "=" else value[:1]
            day = value[len(op):]
            if op == ">":
                return DateRange(parse_partial_date(day, end=True) + timedelta(days=1), None)
            if op == ">=":
                return DateRange(parse_partial_date(day), None)
            if op == "<":
                return DateRange(None, parse_partial_date(day) - timedelta(days=1))
            return DateRange(None, parse_partial_date(day, end=True))
        return DateRange(parse_partial_date(value), parse_partial_date(value, end=True))
    except ValueError as exc:
        raise QuerySyntaxError(f"bad date in {clause!r}: {exc}", param="q") from None
    except OverflowError:  # the day after 9999-12-31, or the day before 0001-01-01
        raise QuerySyntaxError(f"bad date in {clause!r}: dates run from 0001 to 9999", param="q") from None


def _range(m: re.Match[str]) -> Range:
    if m.re is _RANGE_OPEN_START:
        opening, start, end, closing = m.group(1), "", m.group(2), m.group(3)
    else:
        opening, start, end, closing = m.groups()
    return Range(None, _range_end(start), _range_end(end), opening == "{", closing == "}")


def _range_end(text: str) -> str | None:
    text = text.strip()
    if len(text) > 1 and text[0] == text[-1] == "'":
        text = text[1:-1]
    return None if text in ("", "*") else text


def _word(word: str) -> Node | None:
    """A word as typed, with its boost (^2), fuzziness (~, ~2, ~2/3) and wildcards (* and ?)."""
    boost = 1.0
    m = _WORD_BOOST.search(word)
    if m and m.start():
        boost, word = float(m.group(1)), word[:m.start()]
    if word in ("*", "*:*"):
        return Every(boost)
    if word.startswith("=") and len(word) > 1:  # =running: the word as written, unstemmed and unfolded
        return Term(None, word[1:], boost, exact=True)
    fuzzy = _FUZZY.search(word)
    if fuzzy and fuzzy.start():
        text = word[:fuzzy.start()]
        distance = int(fuzzy.group(1)) if fuzzy.group(1) else 1
        prefix = int(fuzzy.group(2)) if fuzzy.group(2) else 0
        if any(c in text for c in "*?"):
            raise QuerySyntaxError(f"{word!r} is both a wildcard and a fuzzy term; use one or the other", param="q")
        parts = [p for p in _JOINER_RUN.split(text) if p]
        if len(parts) > 1:  # Coca-Cola~ is coca AND cola~
            return group(And, [Term(None, p) for p in parts[:-1]] + [_fuzzy(parts[-1], distance, prefix)], boost)
        return replace(_fuzzy(text, distance, prefix), boost=boost)
    if any(c in word for c in "*?"):
        parts = [p for p in _JOINER_RUN.split(word) if p]
        if len(parts) > 1:  # co-op* is co AND op*
            return group(And, [_pattern(p) for p in parts], boost)
        return replace(_pattern(word), boost=boost)
    return Term(None, word, boost)


def _fuzzy(text: str, distance: int, prefix: int) -> Fuzzy:
    leaf = Fuzzy(None, text, distance, prefix)
    if distance > MAX_FUZZY_DISTANCE:
        raise QuerySyntaxError(
            f"{render(leaf)!r} allows {distance} edits; a fuzzy term allows at most {MAX_FUZZY_DISTANCE} "
            f"(word~ for one edit, word~2 for two)",
            param="q",
        )
    if len(text) > MAX_FUZZY_LENGTH:
        raise QuerySyntaxError(
            f"a fuzzy term (word~) may have at most {MAX_FUZZY_LENGTH} letters; this one has {len(text)}", param="q")
    return leaf


def _pattern(text: str) -> Node:
    if "?" not in text and text.endswith("*") and "*" not in text[:-1]:
        return Prefix(None, text[:-1])
    return Wildcard(None, text) if any(c in text for c in "*?") else Term(None, text)


MAX_DEPTH = 32  # nested groups and prefixes: deeper queries are refused, never a recursion error


class _Parser:
    """Recursive descent over the tokens (see the grammar at the top of the module)."""

    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.at = 0
        self.depth = 0  # groups and prefixes (NOT, -, +) open around the token being read

    def deeper(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise QuerySyntaxError(f"the query nests more than {MAX_DEPTH} levels of parentheses or NOT", param="q")

    def peek(self) -> str | None:
        return self.tokens[self.at].kind if self.at < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def query(self) -> Node | None:
        return self.sequence(inside=False, field=None)

    def sequence(self, inside: bool, field: str | None) -> Node | None:
        clauses: list[Node] = []
        while self.peek() is not None:
            if self.peek() == ")":
                if inside:
                    break
                self.take()  # an unmatched ) is ignored
                continue
            node = self.clause(field)
            if node is not None:
                clauses.append(node)
        return group(And, clauses)

    def clause(self, field: str | None) -> Node | None:
        parts = [self.either(field)]
        while self.peek() == "OR":
            self.take()
            parts.append(self.either(field))
        return group(Or, [p for p in parts if p is not None])

    def either(self, field: str | None) -> Node | None:
        parts = [self.unary(field)]
        while self.peek() == "AND":
            self.take()
            parts.append(self.unary(field))
        return group(And, [p for p in parts if p is not None])

    def unary(self, field: str | None) -> Node | None:
        kind = self.peek()
        if kind in ("NOT", "-"):
            self.take()
            self.deeper()
            node = self.unary(field)
            self.depth -= 1
            if node is None:
                return None
            return node.child if isinstance(node, Not) else Not(node)  # NOT NOT oil is oil
        if kind == "+":
            self.take()
            self.deeper()
            node = self.unary(field)
            self.depth -= 1
            return node
        return self.atom(field)

    def atom(self, field: str | None) -> Node | None:
        kind = self.peek()
        if kind is None or kind == ")":
            return None
        token = self.take()
        if kind in ("AND", "OR"):  # an operator with nothing on its left: ignored
            return None
        if kind == "field":
            return self.atom(token.field)
        if kind == "(":
            self.deeper()
            node = self.sequence(inside=True, field=field)
            self.depth -= 1
            boost = self.take().boost if self.peek() == ")" else 1.0
            if node is not None and boost != 1.0:
                node = replace(node, boost=boost)
            return node
        return _with_field(token.node, field)


def _with_field(node: Node | None, field: str | None) -> Node | None:
    """The node with the field of an enclosing `field:` on every word that names no field of its own."""
    if node is None or field is None:
        return node
    if field == "date":  # only date: clauses search dates (the tokenizer reads them whole)
        if isinstance(node, (DateRange, Every)):
            return node
        raise QuerySyntaxError(DATE_HELP, param="q")
    if isinstance(node, (And, Or)):
        return replace(node, children=tuple(n for n in (_with_field(c, field) for c in node.children) if n is not None))
    if isinstance(node, Not):
        child = _with_field(node.child, field)
        return None if child is None else replace(node, child=child)
    if isinstance(node, (Term, Phrase, Prefix, Wildcard, Fuzzy, Range)) and node.field is None:
        return replace(node, field=field)
    return node
