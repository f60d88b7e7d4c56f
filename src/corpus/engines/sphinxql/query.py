"""Our syntax tree (search/syntax.py, analysed) compiled to a SphinxQL MATCH expression and filters.

Every term goes through codec.token, which keeps letters, digits and _ only, so whatever a user
types no Sphinx operator can appear in a MATCH operand; field names and operators come from
this module alone. The MATCH text is then passed to PyMySQL as a parameter (SQL-escaped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ...errors import BadRequest
from ...search import syntax as st
from .codec import ARTICLE_TOKEN, EPOCH, language_token, token

TEXT_FIELDS = {"title": ("title", "title_x"), "body": ("body", "body_x")}
DEFAULT = ("title", "body")


@dataclass
class Compiled:
    """A MATCH expression ("" for none) and day bounds a top-level date range put on the filters."""

    match: str
    day_from: int | None = None
    day_to: int | None = None
    notes: list[str] = field(default_factory=list)


def compile_tree(tree: st.Node | None) -> Compiled:
    """The MATCH text of an analysed tree; date ranges at the top level become filters."""
    if tree is None:
        return Compiled("")
    out = Compiled("")
    parts: list[st.Node] = list(tree.children) if isinstance(tree, st.And) else [tree]
    kept: list[st.Node] = []
    for part in parts:
        if isinstance(part, st.DateRange):
            lo = (part.start - EPOCH).days if part.start else None
            hi = (part.end - EPOCH).days if part.end else None
            out.day_from = lo if out.day_from is None or (lo is not None and lo > out.day_from) else out.day_from
            out.day_to = hi if out.day_to is None or (hi is not None and hi < out.day_to) else out.day_to
            if lo is None and out.day_from is None:
                out.day_from = -(2**40)
            if hi is None and out.day_to is None:
                out.day_to = 2**40
        else:
            kept.append(part)
    if not kept:
        out.match = f"(@kind {ARTICLE_TOKEN})"
        return out
    positive = [p for p in kept if not isinstance(p, st.Not)]
    negative = [p.child for p in kept if isinstance(p, st.Not)]
    text = " ".join(_node(p) for p in positive) if positive else f"(@kind {ARTICLE_TOKEN})"
    text += "".join(f" -({_node(n)})" for n in negative)
    out.match = text
    return out


def _fields(name: str | None, exact: bool) -> str:
    names = DEFAULT if name is None else (name,)
    cols = []
    for n in names:
        pair = TEXT_FIELDS.get(n)
        if pair is None:
            raise BadRequest(f"the field {n}: is not searchable on the sphinxql engine (title and body are)", param="q")
        cols.append(pair[1] if exact else pair[0])
    return "@" + cols[0] if len(cols) == 1 else "@(" + ",".join(cols) + ")"


def _word(text: str) -> str:
    word = token(text[1:] if text.startswith("=") else text)
    if not word:
        raise BadRequest("a word of the query has nothing searchable", param="q")
    return word


def _node(node: st.Node) -> str:
    if isinstance(node, st.And):
        positive = [c for c in node.children if not isinstance(c, st.Not)]
        negative = [c.child for c in node.children if isinstance(c, st.Not)]
        text = " ".join(_node(c) for c in positive) if positive else f"(@kind {ARTICLE_TOKEN})"
        return "(" + text + "".join(f" -({_node(n)})" for n in negative) + ")"
    if isinstance(node, st.Or):
        return "(" + " | ".join(_node(c) for c in node.children) + ")"
    if isinstance(node, st.Not):
        return f"((@kind {ARTICLE_TOKEN}) -({_node(node.child)}))"
    if isinstance(node, st.InLanguages):
        langs = " | ".join(language_token(lang) for lang in node.languages)
        return f"({_node(node.child)} (@kind {langs}))"
    if isinstance(node, st.Every):
        return f"(@kind {ARTICLE_TOKEN})"
    if isinstance(node, st.Term):
        return f"({_fields(node.field, node.exact)} {_word(node.text)})"
    if isinstance(node, st.Phrase):
        words = " ".join(_word(w) for w in node.words)
        slop = f"~{node.slop + len(node.words) - 2}" if node.slop > 1 else ""
        return f'({_fields(node.field, node.exact)} "{words}"{slop})'
    if isinstance(node, st.Prefix):
        return f"({_fields(node.field, False)} {_word(node.text)}*)"
    if isinstance(node, st.Wildcard):
        pieces = node.pattern.split("*")
        pattern = "*".join("?".join(_word_or_empty(q) for q in p.split("?")) for p in pieces)
        if not pattern.strip("*?"):
            raise BadRequest("a wildcard needs at least one letter", param="q")
        return f"({_fields(node.field, False)} {pattern})"
    if isinstance(node, st.DateRange):
        raise BadRequest("on the sphinxql engine a date range must be ANDed with the rest of the query", param="q")
    if isinstance(node, st.Fuzzy):
        raise BadRequest("fuzzy terms (word~) are not supported on the sphinxql engine yet (docs/scaling.md)", param="q")
    if isinstance(node, st.Range):
        raise BadRequest("word ranges ([a TO b]) are not supported on the sphinxql engine yet (docs/scaling.md)", param="q")
    raise TypeError(f"unknown node {node!r}")


def _word_or_empty(text: str) -> str:
    return token(text) if text else ""


def date_days(value: date | None) -> int | None:
    """Days since 1970 of a date, or None."""
    return None if value is None else (value - EPOCH).days
