"""A parsed query's words turned into index terms, through the analyzer of the field each searches.

An engine hands in its analyzer as a function `(field, text, whole, exact) -> variants`: the
distinct term sequences the text stands for, one per way the index's languages analyse it (a
bare `Путина` is `путин` for Russian articles and `путина` elsewhere). With whole False the
text is tokenised (what plain words and phrases get); with whole True it is one token (what
wildcards, fuzzy terms and range ends get); with exact, words keep their written form.

A word that analyses into several terms (`Coca-Cola`, `TCP/IP`, a run of Chinese characters) is
the phrase of those terms; several variants are ORed; a word or phrase that analyses into
nothing is dropped, and a query left with nothing to search is refused. A word searching the default fields keeps no field when every default field
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
    InLanguages,
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

# (terms, the languages whose analysis gives them, or None when every language of the index does)
Variant = tuple[list[str], tuple[str, ...] | None]
Analyzer = Callable[[str, str, bool, bool], list[Variant]]
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
    if isinstance(node, (DateRange, Every, InLanguages)):  # InLanguages only ever comes out of analysis
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
    if isinstance(node, (And, Or)):
        return replace(node, children=tuple(_unfielded(c) for c in node.children))
    if isinstance(node, InLanguages):
        return replace(node, child=_unfielded(node.child))
    return node


def _leaf(node: Node, field: str, analyzer: Analyzer) -> Node | None:
    """One word leaf analysed for one field (the result names that field): each variant, in its languages."""
    def run(text: str, whole: bool, exact: bool = False) -> list[Variant]:
        return analyzer(field, text, whole, exact)

    if isinstance(node, Term):
        return _either([(_terms(v, field, 1, node.exact), langs) for v, langs in run(node.text, False, node.exact)], node.boost)
    if isinstance(node, Phrase):
        return _either([(_terms(v, field, node.slop, node.exact), langs) for v, langs in run(" ".join(node.words), False, node.exact)],
                       node.boost)
    if isinstance(node, Prefix):
        # The letters before the * are analysed as a word (exports* is export*), as Whoosh does.
        return _either([(Prefix(field, v[0]) if v[0] else Every(), langs) for v, langs in run(node.text, True) if v], node.boost)
    if isinstance(node, Wildcard):
        return _either([(Wildcard(field, v[0]), langs) for v, langs in run(node.pattern, True) if v], node.boost)
    if isinstance(node, Fuzzy):
        return _either([(replace(node, field=field, text=v[0], boost=1.0), langs) for v, langs in run(node.text, True) if v],
                       node.boost)
    if isinstance(node, Range):
        # Range ends are normalised, not stemmed differently per language in any way that matters
        # for an alphabetical range: the first variant of each end is used.
        start = _first(run(node.start, True)) if node.start is not None else None
        end = _first(run(node.end, True)) if node.end is not None else None
        if start is not None and start == end and not (node.start_excluded or node.end_excluded):
            return Term(field, start, node.boost)  # [oil TO oil] is the word oil, scored as a word
        return replace(node, field=field, start=start, end=end)
    raise TypeError(f"not a word leaf: {node!r}")


def _first(variants: list[Variant]) -> str | None:
    return next((v[0] for v, _ in variants if v), None)


def _either(nodes: list[tuple[Node | None, tuple[str, ...] | None]], boost: float) -> Node | None:
    """One node, or the Or of the distinct variants, each kept to its languages; the leaf's boost on the result."""
    kept: list[Node] = []
    for node, languages in nodes:
        if node is None:
            continue
        wrapped = node if languages is None else InLanguages(node, languages)
        if wrapped not in kept:
            kept.append(wrapped)
    if not kept:
        return None
    if len(kept) == 1:
        return replace(kept[0], boost=boost) if boost != 1.0 else kept[0]
    return Or(tuple(kept), boost)


def _terms(terms: list[str], field: str, slop: int, exact: bool) -> Node | None:
    if not terms:
        return None
    if len(terms) == 1:
        return Term(field, terms[0], exact=exact)
    return Phrase(field, tuple(terms), slop, exact=exact)
