"""What the concordance and collocation views need from the Whoosh engine: matches, ids and patterns.

The views themselves are engine-neutral (corpus.concord): this module turns one search plan
into `Matches` (the matched and the filtered documents by number, each number's id, dates and
facet columns) and the expanded Whoosh query into `Pattern`s, the terms at positions that the
token store is matched against.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
from whoosh import query as wq

from ...search.types import FacetTable, Pattern
from .query import Unscored
from .snapshot import NO_DATE, Snapshot

TEXT_FIELDS = ("title", "body")


def patterns(q: wq.Query | None) -> tuple[Pattern, ...]:
    """The positive word leaves of an expanded query in the title and body, as patterns.

    Negated parts (NOT, -word) find nothing to show; a language filter (what an analysed word's
    variant is kept to) goes with the leaves beside it; the words a prefix, wildcard, fuzzy term
    or range stands for become one pattern with those alternatives.
    """
    found: list[Pattern] = []
    if q is not None:
        _walk(q, None, found)
    merged: dict[tuple[str, frozenset[str] | None], set[str]] = {}
    out: list[Pattern] = []
    for p in found:
        if len(p.terms) == 1:
            merged.setdefault((p.field, p.languages), set()).update(p.terms[0])
        elif p not in out:
            out.append(p)
    singles = [Pattern(f, (frozenset(t),), 1, langs) for (f, langs), t in merged.items()]
    return tuple(singles + out)


def _walk(q: wq.Query, languages: frozenset[str] | None, out: list[Pattern]) -> None:
    if isinstance(q, Unscored):
        return
    if isinstance(q, wq.Term):
        if q.fieldname in TEXT_FIELDS:
            out.append(Pattern(q.fieldname, (frozenset([_text(q.text)]),), 1, languages))
        return
    if isinstance(q, wq.Phrase):
        if q.fieldname in TEXT_FIELDS and q.words:
            out.append(Pattern(q.fieldname, tuple(frozenset([_text(w)]) for w in q.words), max(1, int(q.slop)), languages))
        return
    if isinstance(q, wq.AndNot):
        _walk(q.a, languages, out)
        return
    if isinstance(q, (wq.Not, wq.DateRange, wq.Every)):
        return
    if isinstance(q, wq.And):
        filters = [s for s in q.subqueries if isinstance(s, Unscored)]
        if filters:
            langs = frozenset(_text(t.text) for f in filters for t in f.child.leaves()
                              if isinstance(t, wq.Term) and t.fieldname == "language")
            languages = langs if languages is None else languages & langs
        for sub in q.subqueries:
            _walk(sub, languages, out)
        return
    if isinstance(q, wq.CompoundQuery):
        for sub in q.subqueries:
            _walk(sub, languages, out)
        return
    child = getattr(q, "child", None)
    if isinstance(child, wq.Query):
        _walk(child, languages, out)


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)


class Tables:
    """Per served version: each document number's id and the facet columns, built once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key = ""
        self._value: tuple[list[str], dict[str, FacetTable]] | None = None
        self._numbers: tuple[str, dict[str, int]] = ("", {})

    def get(self, version: str, reader: Any, snap: Snapshot) -> tuple[list[str], dict[str, FacetTable]]:
        with self._lock:
            if self._key == version and self._value is not None:
                return self._value
        value = (_ids(reader, snap), _facets(snap))
        with self._lock:
            self._key, self._value = version, value
        return value


    def numbers(self, version: str, reader: Any, snap: Snapshot) -> dict[str, int]:
        """id -> document number for the articles of one served version (built once)."""
        found = self._numbers
        if found[0] != version:
            ids, _ = self.get(version, reader, snap)
            found = (version, {doc_id: n for n, doc_id in enumerate(ids) if doc_id})
            self._numbers = found
        return found[1]


def _ids(reader: Any, snap: Snapshot) -> list[str]:
    """The id of each article's document number ("" for author documents and deleted ones)."""
    ids = [""] * snap.size
    leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
    for leaf, offset in leaves:
        if not leaf.has_column("id"):
            continue
        column = leaf.column_reader("id", translate=True)
        for i in range(leaf.doc_count_all()):
            if snap.articles[offset + i]:
                ids[offset + i] = column[i] or ""
    return ids


def _facets(snap: Snapshot) -> dict[str, FacetTable]:
    tables = {name: FacetTable(list(col.values), col.docs, col.ords) for name, col in snap.facets.items()}
    dated = np.flatnonzero(snap.article_dated)
    years = snap.years[dated]
    values = sorted(set(years.tolist()))
    ords = np.searchsorted(np.asarray(values, dtype=np.int64), years) if values else np.zeros(0, dtype=np.int64)
    tables["year"] = FacetTable([str(v) for v in values], dated.astype(np.int32), ords.astype(np.int32))
    return tables


def days(snap: Snapshot) -> np.ndarray:
    """Each document's day number, undated ones as search.types.NO_DAY."""
    assert NO_DATE == -(2**31)
    return snap.days
