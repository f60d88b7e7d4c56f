"""The query language's syntax tree: plain values that every engine compiles into its own queries.

`search.parser` turns the text a user typed into this tree (words as typed); `search.analyze`
turns the words into the index's terms through an engine's analyzer; each engine compiles the
analysed tree (engines/whoosh/query.py). `render` gives the readable form of a tree, echoed to
the user as "how the query was understood".

A `field` of None means the default fields (title and body for articles); otherwise it is a
field name of the query language (`fields.QUERY_FIELDS`), never an engine's own field name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date


@dataclass(frozen=True)
class Term:
    """One word (after analysis: one index term); exact: as written (`=word`), unstemmed and unfolded."""

    field: str | None
    text: str
    boost: float = 1.0
    exact: bool = False


@dataclass(frozen=True)
class Phrase:
    """Words in this order; slop 1 means adjacent, N means within N positions of each other."""

    field: str | None
    words: tuple[str, ...]
    slop: int = 1
    boost: float = 1.0
    exact: bool = False


@dataclass(frozen=True)
class Prefix:
    """Every word that starts with `text` (written `text*`)."""

    field: str | None
    text: str
    boost: float = 1.0


@dataclass(frozen=True)
class Wildcard:
    """Every word matching a pattern of `*` (any letters) and `?` (one letter)."""

    field: str | None
    pattern: str
    boost: float = 1.0


@dataclass(frozen=True)
class Fuzzy:
    """Every word within `distance` edits of `text` whose first `prefix` letters are as typed."""

    field: str | None
    text: str
    distance: int = 1
    prefix: int = 0
    boost: float = 1.0


@dataclass(frozen=True)
class Range:
    """Every word between two words in alphabetical order; an end of None is open."""

    field: str | None
    start: str | None
    end: str | None
    start_excluded: bool = False
    end_excluded: bool = False
    boost: float = 1.0


@dataclass(frozen=True)
class DateRange:
    """Articles dated from `start` to `end`, both days included; an end of None is open."""

    start: date | None
    end: date | None
    boost: float = 1.0


@dataclass(frozen=True)
class Every:
    """Every document (`*`)."""

    boost: float = 1.0


@dataclass(frozen=True)
class And:
    """Every child matches."""

    children: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Or:
    """At least one child matches."""

    children: tuple[Node, ...]
    boost: float = 1.0


@dataclass(frozen=True)
class Not:
    """The child does not match. Under And it removes matches and adds nothing to scores."""

    child: Node
    boost: float = 1.0


@dataclass(frozen=True)
class InLanguages:
    """The child, matched only in articles of these languages: a word analysed as one language is
    searched in that language's articles only (French stems "rates" to "rat", which English
    articles about rats hold too)."""

    child: Node
    languages: tuple[str, ...]
    boost: float = 1.0


Leaf = Term | Phrase | Prefix | Wildcard | Fuzzy | Range | DateRange | Every
Node = Leaf | And | Or | Not | InLanguages
WORD_LEAVES = (Term, Phrase, Prefix, Wildcard, Fuzzy, Range)


def children(node: Node) -> tuple[Node, ...]:
    """The node's direct children (none for a leaf)."""
    if isinstance(node, (And, Or)):
        return node.children
    if isinstance(node, (Not, InLanguages)):
        return (node.child,)
    return ()


def leaves(node: Node) -> Iterator[Leaf]:
    """Every leaf under the node, left to right."""
    if isinstance(node, (And, Or, Not, InLanguages)):
        for child in children(node):
            yield from leaves(child)
    else:
        yield node


def transform(node: Node, fn: Callable[[Node], Node | None]) -> Node | None:
    """The tree with `fn` applied bottom-up; a None from fn removes that node.

    An And or Or left with one child becomes that child (keeping its own boost when the group
    had none); one left with none is removed, and so is a Not whose child was removed.
    """
    if isinstance(node, (And, Or)):
        kept = tuple(t for t in (transform(c, fn) for c in node.children) if t is not None)
        if not kept:
            return None
        if len(kept) == 1 and node.boost == 1.0:
            return fn(kept[0])
        return fn(replace(node, children=_flatten(type(node), kept)))
    if isinstance(node, Not):
        child = transform(node.child, fn)
        return None if child is None else fn(replace(node, child=child))
    return fn(node)


def _flatten(kind: type, nodes: tuple[Node, ...]) -> tuple[Node, ...]:
    """An And inside an And (or an Or inside an Or) without a boost of its own joins its parent.

    A child written twice counts once (`oil oil` is `oil`), as in Whoosh: a repeat changes
    nothing that matches and should not double a score.
    """
    out: list[Node] = []
    for n in nodes:
        for m in (n.children if type(n) is kind and n.boost == 1.0 else (n,)):  # type: ignore[union-attr]
            if m not in out:
                out.append(m)
    return tuple(out)


def group(kind: type[And] | type[Or], nodes: Sequence[Node], boost: float = 1.0) -> Node | None:
    """An And or Or of the nodes, flattened; the node itself when there is one; None for none."""
    flat = _flatten(kind, tuple(nodes))
    if not flat:
        return None
    if len(flat) == 1 and boost == 1.0:
        return flat[0]
    return kind(flat, boost)


def render(node: Node | None) -> str:
    """A readable, normalised form of a tree: how the query was understood ("*" for everything)."""
    if node is None:
        return "*"
    return _render(node, top=True)


def _render(node: Node, top: bool = False) -> str:
    boost = f"^{node.boost:g}" if node.boost != 1.0 else ""
    if isinstance(node, (And, Or)):
        word = " AND " if isinstance(node, And) else " OR "
        text = word.join(_render(c) for c in node.children)
        return text if top and not boost else f"({text}){boost}"
    if isinstance(node, Not):
        return f"NOT {_render(node.child)}"
    if isinstance(node, InLanguages):
        return f"({_render(node.child, top=True)} in {', '.join(node.languages)}){boost}"
    if isinstance(node, Every):
        return f"*{boost}"
    if isinstance(node, DateRange):
        lo = node.start.isoformat() if node.start else "*"
        hi = node.end.isoformat() if node.end else "*"
        return f"date:[{lo} TO {hi}]{boost}"
    named = _named(node.field)
    if isinstance(node, Term):
        return f"{named}={_shown(node.text)}{boost}" if node.exact else f"{named}{node.text}{boost}"
    if isinstance(node, Phrase):
        slop = f"~{node.slop}" if node.slop > 1 else ""
        words = " ".join(_shown(w) for w in node.words) if node.exact else " ".join(node.words)
        return f'{named}{"=" if node.exact else ""}"{words}"{slop}{boost}'
    if isinstance(node, Prefix):
        return f"{named}{node.text}*{boost}"
    if isinstance(node, Wildcard):
        return f"{named}{node.pattern}{boost}"
    if isinstance(node, Fuzzy):
        distance = f"{node.distance}" if node.distance != 1 or node.prefix else ""
        prefix = f"/{node.prefix}" if node.prefix else ""
        return f"{named}{node.text}~{distance}{prefix}{boost}"
    lo = node.start if node.start is not None else "*"
    hi = node.end if node.end is not None else "*"
    return f"{named}{'{' if node.start_excluded else '['}{lo} TO {hi}{'}' if node.end_excluded else ']'}{boost}"


def _shown(term: str) -> str:
    """An analysed exact term ("=form", as an engine may index it) without its mark: the node says it is exact."""
    return term[1:] if term.startswith("=") and len(term) > 1 else term


def _named(field: str | None) -> str:
    return "" if field is None else f"{field}:"
