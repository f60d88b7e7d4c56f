"""The exact form of a word (`=word`): found where it is indexed, and where it is not.

The index holds each token's term (folded and stemmed in its language) and, only where the word
as written (case folded, nothing else: `analysis.exact`) differs from that term, the exact form
beside it at the same position as `=form` (analysis.py). So `=oil` stands for two things:

- `=oil` itself, wherever a word written "oil" has another term (in a language that stems it);
- the term `oil` wherever no exact form shares its position: there the word was written as its
  term ("oil", not "oils", whose term is also `oil` but which carries `=oils` beside it).

Which exact forms can share a position with the term `oil` is read off the generation's lexicon:
each `=form` is analysed in every language of the index (an exact form counted under a term it
never shares a position with excludes nothing, so too many is harmless, too few is not).

The vector engine evaluates both parts from postings and positions (vector.py, `_exact`); for
Whoosh's own matchers (phrases with slop, and anything else they evaluate) `ExactTerm` and
`ExactPhrase` build the same thing from span queries.
"""

from __future__ import annotations

from typing import Any

from whoosh import matching
from whoosh import query as wq
from whoosh.query import spans

from ... import analysis
from ...analysis import STEMMED, UNDETERMINED
from .analysis import EXACT


def is_exact(word: str | bytes) -> bool:
    """Whether an indexed word is an exact form (`=form`)."""
    if isinstance(word, bytes):
        return word.startswith(b"=") and len(word) > 1
    return word.startswith(EXACT) and len(word) > 1


def _scan_markers(reader: Any, fieldname: str, word: str) -> tuple[str, ...]:
    """The exact forms that may share a position with an exact word's term, read off the reader's own words.

    For a query that did not go through expand() (which takes them from the generation's Lexicon):
    every exact form is analysed in every language that has a stemmer, and without one.
    """
    form = word[len(EXACT):]
    analyzers = [analysis.analyzer(lang) for lang in (UNDETERMINED, *sorted(STEMMED))]
    out = []
    for b in reader.lexicon(fieldname):
        if b.startswith(b"="):
            other = b[1:].decode("utf-8", "replace")
            if other != form and (analysis.fold(other) == form or any(a.term(other) == form for a in analyzers)):
                out.append(EXACT + other)
    return tuple(out)


def _span(fieldname: str, word: str, markers: tuple[str, ...] | None, reader: Any) -> wq.Query | None:
    """A span query for one exact word: its own `=form` postings, or its term's without an exact form beside it."""
    form = word[len(EXACT):]
    if markers is None:
        markers = _scan_markers(reader, fieldname, word)
    parts: list[wq.Query] = []
    if (fieldname, word.encode("utf-8")) in reader:
        parts.append(wq.Term(fieldname, word))
    if (fieldname, form.encode("utf-8")) in reader:
        present = [wq.Term(fieldname, m) for m in markers if (fieldname, m.encode("utf-8")) in reader]
        plain = wq.Term(fieldname, form)
        if present:
            parts.append(spans.SpanNot(plain, present[0] if len(present) == 1 else spans.SpanOr(present)))
        else:
            parts.append(plain)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else spans.SpanOr(parts)


class ExactTerm(wq.Term):
    """`=form` in one field, with the exact forms that may stand beside the term `form` (see the module)."""

    def __init__(self, fieldname: str, text: str, boost: float = 1.0, markers: tuple[str, ...] | None = None) -> None:
        super().__init__(fieldname, text, boost=boost)
        self.markers = markers

    def __eq__(self, other: object) -> bool:
        return super().__eq__(other) and getattr(other, "markers", None) == self.markers

    def __hash__(self) -> int:
        return super().__hash__() ^ hash(self.markers)

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        q = _span(self.fieldname, self.text, self.markers, searcher.reader())
        if q is None:
            return matching.NullMatcher()
        m = q.matcher(searcher, context)
        return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


class ExactPhrase(wq.Phrase):
    """A phrase with exact words in it: each exact word is matched as ExactTerm matches it."""

    def __init__(self, fieldname: str, words: list[str], slop: int = 1, boost: float = 1.0,
                 markers: dict[str, tuple[str, ...]] | None = None) -> None:
        super().__init__(fieldname, words, slop=slop, boost=boost)
        self.markers = markers  # None until expand() reads them from the generation's lexicon

    def matcher(self, searcher: Any, context: Any = None) -> Any:
        reader = searcher.reader()
        parts: list[wq.Query] = []
        for word in self.words:
            if is_exact(word):
                part = _span(self.fieldname, word, self.markers.get(word) if self.markers is not None else None, reader)
            elif (self.fieldname, word.encode("utf-8")) in reader:
                part = wq.Term(self.fieldname, word)
            else:
                part = None
            if part is None:
                return matching.NullMatcher()
            parts.append(part)
        m = spans.SpanNear2(parts, slop=self.slop, ordered=True, mindist=1).matcher(searcher, context)
        return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m


def markers_of(lexicon: Any, reader: Any, fieldname: str, word: str) -> tuple[str, ...]:
    """The exact forms (`=form`) that may share a position with the term of an exact word."""
    return lexicon.markers(reader, fieldname).get(word[len(EXACT):], ())


def leaf(fieldname: str, text: str, boost: float) -> wq.Term:
    """The query of one word: an ExactTerm for `=form`, else a plain Term."""
    return ExactTerm(fieldname, text, boost=boost) if is_exact(text) else wq.Term(fieldname, text, boost=boost)


def phrase(fieldname: str, words: list[str], slop: int, boost: float) -> wq.Phrase:
    """The query of a phrase: an ExactPhrase when a word of it is exact, else a plain Phrase."""
    if any(is_exact(w) for w in words):
        return ExactPhrase(fieldname, words, slop=slop, boost=boost)
    return wq.Phrase(fieldname, words, slop=slop, boost=boost)


def rewrite(q: wq.Query, reader: Any, lexicon: Any) -> wq.Query | None:
    """An exact Term or a Phrase with exact words, with the exact forms read from the lexicon; None for any other node."""
    if isinstance(q, wq.Term) and type(q) in (wq.Term, ExactTerm) and isinstance(q.text, str) and is_exact(q.text):
        return ExactTerm(q.fieldname, q.text, boost=q.boost, markers=markers_of(lexicon, reader, q.fieldname, q.text))
    if type(q) in (wq.Phrase, ExactPhrase) and any(is_exact(w) for w in q.words):
        markers = {w: markers_of(lexicon, reader, q.fieldname, w) for w in q.words if is_exact(w)}
        return ExactPhrase(q.fieldname, list(q.words), slop=q.slop, boost=q.boost, markers=markers)
    return None
