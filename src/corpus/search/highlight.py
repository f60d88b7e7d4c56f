"""Snippets with the matched words marked: sentence-sized, HTML-escaped, whole words as written."""

from __future__ import annotations

from html import escape
from typing import Any

from whoosh import highlight as wh
from whoosh.analysis import StemmingAnalyzer

OPENING_CHARS = 240
_ANALYZER = StemmingAnalyzer()


class EscapingFormatter(wh.Formatter):
    """Escapes every piece of text, wraps matched tokens in <mark>, joins fragments with an ellipsis."""

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{escape(wh.get_text(text, token, replace))}</mark>"

    def _text(self, text: str) -> str:
        return escape(text)

    def format_fragment(self, fragment: Any, replace: bool = False) -> str:
        out = []
        index = fragment.startchar
        text = fragment.text
        for t in fragment.matches:
            if t.startchar is None:
                continue
            if t.startchar < index:
                continue
            if t.startchar > index:
                out.append(escape(text[index:t.startchar]))
            out.append(self.format_token(text, t, replace))
            index = t.endchar
        out.append(escape(text[index:fragment.endchar]))
        return "".join(out).strip()

    def format(self, fragments: list[Any], replace: bool = False) -> str:
        if not fragments:
            return ""
        joined = self.between.join(self.format_fragment(f, replace) for f in fragments)
        prefix = "… " if fragments[0].startchar > 0 else ""
        suffix = " …" if fragments[-1].endchar < len(fragments[-1].text.rstrip()) else ""
        return prefix + joined + suffix


class _EarlierFirstScorer(wh.BasicFragmentScorer):
    """Whoosh's scorer, with ties going to the earlier fragment so snippets are stable run to run."""

    def __call__(self, fragment: Any) -> float:
        return float(super().__call__(fragment)) - fragment.startchar * 1e-9


def query_terms(q: Any, searcher: Any, fields: tuple[str, ...] = ("title", "body")) -> frozenset[str]:
    """The indexed words (stems, with wildcards expanded) the query looks for in these fields.

    Whoosh's own Query.existing_terms reuses its `fieldname` argument as a loop variable, so it
    drops terms of every field after the first; this walks the leaves itself.
    """
    reader = searcher.reader()
    terms: set[str] = set()
    for leaf in q.leaves():
        if leaf.field() not in fields:
            continue
        try:
            expanded = list(leaf.expanded_terms(reader, phrases=True))
        except Exception:  # expansion can fail on odd queries; then nothing is marked for them
            continue
        for fieldname, text in expanded:
            word = text.decode("utf-8") if isinstance(text, bytes) else text
            if fieldname in fields:
                terms.add(word)
    return frozenset(terms)


def opening(text: str, chars: int = OPENING_CHARS) -> str:
    """The start of an article, escaped, cut at a word boundary."""
    text = " ".join(text.split())
    if len(text) <= chars:
        return escape(text)
    cut = text.rfind(" ", 0, chars)
    return escape(text[: cut if cut > chars // 2 else chars]) + " …"


def snippet(text: str, terms: frozenset[str] | None, field: str = "body", top: int = 2) -> str:
    """Up to `top` sentence-sized fragments with matches marked; the opening when nothing matches."""
    if not text:
        return ""
    if terms:
        flat = " ".join(text.split())
        fragmenter = wh.SentenceFragmenter(maxchars=300, charlimit=None)
        result = wh.highlight(flat, terms, _ANALYZER, fragmenter, EscapingFormatter(), top=top, scorer=_EarlierFirstScorer())
        if result:
            return result
    return opening(text)


def mark_all(text: str, terms: frozenset[str]) -> str:
    """A whole paragraph, escaped, with every match marked."""
    if not terms:
        return escape(text)
    result = wh.highlight(text, terms, _ANALYZER, wh.WholeFragmenter(charlimit=None), EscapingFormatter(), top=1)
    if not result:
        return escape(text)
    return result.removeprefix("… ").removesuffix(" …")
