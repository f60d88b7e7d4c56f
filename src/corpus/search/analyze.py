"""A parsed query's words turned into index terms, through the analyzer of the field each searches.

An engine hands in its analyzer as a function `(field, text, whole) -> terms`: with whole False a
word is tokenised and common words are dropped (what plain words and phrases get); with whole
True the text is one token, only normalised (what wildcards, fuzzy terms and range ends get).

A word that analyses into several terms (`Coca-Cola`, `TCP/IP`) is the phrase of those terms;
a word or phrase that analyses into nothing is dropped, and a query left with nothing to search
is refused. A word searching the default fields keeps no field when every default field
analyses it alike, and becomes an OR over the fields when they differ (a name field that does
not stem beside a body that does).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace

from ..errors import QuerySyntaxError
from .syntax import (
    And,
    DateRange,
    Every,
    Fuzzy,
    Node,
    Not,
    Or,
    Phrase,
    Prefix,
    Range,
    Term,
    Wildcard,
    group,
)

Analyzer = Callable[[str, str, bool], list[str]]
NOTHING_TO_SEARCH = "the query has no searchable words (very short words and common words such as 'the' are not indexed)"


def analyze(tree: Node | None, analyzer: Analyzer, default_fields: Sequence[str]) -> Node | None:
    """The tree with index terms in place of typed words; None stays None (everything)."""
    if tree is None:
        return None
    out = _node(tree, analyzer, tuple(default_fields))
    if out is None:
        raise QuerySyntaxError(NOTHING_TO_SEARCH, param="q")
    return out


def _node(node: Node, analyzer: Analyzer, defaults: tuple[str, ...]) -> Node | None:
    if isinstance(node, (And, Or)):
        kids = [k for k in (_node(c, analyzer, defaults) for c in node.children) if k is not None]
        return group(type(node), kids, node.boost)
    if isinstance(node, Not):
        child = _node(node.child, analyzer, defaults)
        if child is None:
            return None
        return child.child if isinstance(child, Not) else replace(node, child=child)
    if isinstance(node, (DateRange, Every)):
        return node
    if node.field is not None:
        return _leaf(node, node.field, analyzer)
    per_field = [_leaf(node, f, analyzer) for f in defaults]
    alike = {None if p is None else _unfielded(p) for p in per_field}
    if len(alike) == 1:
        return alike.pop()
    kept = [p for p in per_field if p is not None]
    return group(Or, kept)


def _unfielded(node: Node) -> Node:
    if isinstance(node, (Term, Phrase, Prefix, Wildcard, Fuzzy, Range)):
        return replace(node, field=None)
    return node


def _leaf(node: Node, field: str, analyzer: Analyzer) -> Node | None:
    """One word leaf analysed for one field (the result names that field)."""
    if isinstance(node, Term):
        return _terms(analyzer(field, node.text, False), field, 1, node.boost)
    if isinstance(node, Phrase):
        terms = [t for word in node.words for t in analyzer(field, word, False)]
        return _terms(terms, field, node.slop, node.boost)
    if isinstance(node, Prefix):
        # The letters before the * are analysed as a word (exports* is export*), as Whoosh does.
        text = _one(analyzer(field, node.text, True))
        if text is None:
            return None
        return Prefix(field, text, node.boost) if text else Every(node.boost)
    if isinstance(node, Wildcard):
        pattern = _one(analyzer(field, node.pattern, True))
        return None if pattern is None else Wildcard(field, pattern, node.boost)
    if isinstance(node, Fuzzy):
        text = _one(analyzer(field, node.text, True))
        return None if text is None else replace(node, field=field, text=text)
    if isinstance(node, Range):
        start = _one(analyzer(field, node.start, True)) if node.start is not None else None
        end = _one(analyzer(field, node.end, True)) if node.end is not None else None
        if start is not None and start == end and not (node.start_excluded or node.end_excluded):
            return Term(field, start, node.boost)  # [oil TO oil] is the word oil, scored as a word
        return replace(node, field=field, start=start, end=end)
    raise TypeError(f"not a word leaf: {node!r}")


def _one(terms: list[str]) -> str | None:
    return terms[0] if terms else None


def _terms(terms: list[str], field: str, slop: int, boost: float) -> Node | None:
    if not terms:
        return None
    if len(terms) == 1:
        return Term(field, terms[0], boost)
    return Phrase(field, tuple(terms), slop, boost)
