"""Our syntax tree (search/syntax.py, analysed) compiled to a SphinxQL MATCH expression and filters.

Every term goes through codec.token, which keeps letters, digits and _ only, so whatever a user
types no Sphinx operator can appear in a MATCH operand; field names and operators come from
this module alone. The MATCH text is then passed to PyMySQL as a parameter (SQL-escaped).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from ...errors import BadRequest
from ...search import syntax as st
from .codec import ARTICLE_TOKEN, EPOCH, language_token, token

TEXT_FIELDS = {"title": ("title", "title_x"), "body": ("body", "body_x")}
DEFAULT = ("title", "body")
NOTHING = "(@kind zzcorpusnothing)"
MAX_SLOP_ORDERS = 64  # phrases one sloppy phrase may become  # a keyword no row holds: an expansion that found no word

# Expands a prefix ("prefix", text) or a wildcard ("wildcard", pattern) into the build's words,
# or None to let Sphinx expand it itself.
Expander = Callable[[str, str], "list[str] | None"]


@dataclass
class Compiled:
    """A MATCH expression ("" for none) and day bounds a top-level date range put on the filters."""

    match: str
    day_from: int | None = None
    day_to: int | None = None
    notes: list[str] = field(default_factory=list)


def compile_tree(tree: st.Node | None, expand: Expander | None = None) -> Compiled:
    """The MATCH text of an analysed tree; date ranges at the top level become filters.

    With `expand`, prefixes and wildcards become an OR of the build's words they stand for, as
    the whoosh engine does: each word then ranks with its own document frequency over the whole
    corpus (stats.py), where Sphinx's own expansion ranks the prefix with one shard's count.
    """
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
    text = " ".join(_node(p, expand) for p in positive) if positive else f"(@kind {ARTICLE_TOKEN})"
    text += "".join(f" -({_node(n, expand)})" for n in negative)
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


def _expanded(node: st.Prefix | st.Wildcard, kind: str, text: str, expand: Expander | None) -> str | None:
    words = expand(kind, text) if expand is not None else None
    if words is None:
        return None
    if not words:
        return NOTHING
    return f"({_fields(node.field, False)} ({' | '.join(words)}))"


def _node(node: st.Node, expand: Expander | None = None) -> str:
    if isinstance(node, st.And):
        positive = [c for c in node.children if not isinstance(c, st.Not)]
        negative = [c.child for c in node.children if isinstance(c, st.Not)]
        text = " ".join(_node(c, expand) for c in positive) if positive else f"(@kind {ARTICLE_TOKEN})"
        return "(" + text + "".join(f" -({_node(n, expand)})" for n in negative) + ")"
    if isinstance(node, st.Or):
        return "(" + " | ".join(_node(c, expand) for c in node.children) + ")"
    if isinstance(node, st.Not):
        return f"((@kind {ARTICLE_TOKEN}) -({_node(node.child, expand)}))"
    if isinstance(node, st.InLanguages):
        langs = " | ".join(language_token(lang) for lang in node.languages)
        return f"({_node(node.child, expand)} (@kind {langs}))"
    if isinstance(node, st.Every):
        return f"(@kind {ARTICLE_TOKEN})"
    if isinstance(node, st.Term):
        return f"({_fields(node.field, node.exact)} {_word(node.text)})"
    if isinstance(node, st.Phrase):
        words = [_word(w) for w in node.words]
        fields = _fields(node.field, node.exact)
        if node.slop <= 1 or len(words) < 2:
            return f'({fields} "{" ".join(words)}")'
        # As on the whoosh engine, each word must follow the one before within `slop` positions, in
        # order (Sphinx's "a b"~N allows any order): one phrase per choice of gaps, each skipped
        # position a `*` (Sphinx 2.2.2+ phrase placeholder for any one word).
        gaps = list(itertools.product(range(node.slop), repeat=len(words) - 1))
        if len(gaps) > MAX_SLOP_ORDERS:
            raise BadRequest(f"the phrase {' '.join(node.words)!r} with ~{node.slop} stands for more than {MAX_SLOP_ORDERS} word "
                             "orders on the sphinxql engine: use fewer words or a smaller slop", param="q")
        phrases = []
        for choice in gaps:
            parts = [words[0]]
            for gap, word in zip(choice, words[1:], strict=True):
                parts.extend(["*"] * gap + [word])
            phrases.append(f'"{" ".join(parts)}"')
        return f"({fields} ({' | '.join(phrases)}))"
    if isinstance(node, st.Prefix):
        word = _word(node.text)
        return _expanded(node, "prefix", word, expand) or f"({_fields(node.field, False)} {word}*)"
    if isinstance(node, st.Wildcard):
        pieces = node.pattern.split("*")
        pattern = "*".join("?".join(_word_or_empty(q) for q in p.split("?")) for p in pieces)
        if not pattern.strip("*?"):
            raise BadRequest("a wildcard needs at least one letter", param="q")
        return _expanded(node, "wildcard", pattern, expand) or f"({_fields(node.field, False)} {pattern})"
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
