"""Occurrences: where each pattern of a query matches in the token store, for the matched documents.

A pattern (search.types.Pattern) is a run of positions, each a set of index terms. Its first
position is found with one look-up table over the store's term ids (the whole store when many
documents match, only the matched documents' segments when few do), the later ones by looking
at the tokens that follow, in the same segment. Positions are the index's own (the store is
analysed by the same code), so a phrase here is a phrase there. Exact forms (`=word`) are found
by their folded form and checked against the text as written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .. import analysis
from ..search.types import Matches, Pattern
from .store import FIELDS, Part, TokenStore

# The matched documents' share of the store's tokens under which only their segments are scanned.
GATHER_BELOW = 0.25

Texts = Callable[[list[str]], dict[str, tuple[str, str]]]  # ids -> (title, body) as stored


@dataclass
class Occurrences:
    """Every occurrence, one entry per line: arrays of the same length, in document order."""

    part: np.ndarray  # which part of the store
    seg: np.ndarray  # the segment in that part (2 * row + field)
    start: np.ndarray  # first token, as a position in its segment
    end: np.ndarray  # one past the last token
    tok: np.ndarray  # the first token's index in the part's arrays
    docnum: np.ndarray  # the engine's document number

    def __len__(self) -> int:
        return len(self.tok)

    @property
    def field(self) -> np.ndarray:
        return self.seg % 2

    def take(self, index: np.ndarray) -> Occurrences:
        return Occurrences(self.part[index], self.seg[index], self.start[index], self.end[index], self.tok[index],
                           self.docnum[index])


def _empty() -> Occurrences:
    z = np.zeros(0, dtype=np.int64)
    return Occurrences(z, z, z, z, z, z)


def find(store: TokenStore, matches: Matches, texts: Texts | None = None,
         patterns: tuple[Pattern, ...] | None = None, within: np.ndarray | None = None) -> Occurrences:
    """Every occurrence of the patterns (the query's, unless given) in the matched documents (or `within`)."""
    patterns = matches.patterns if patterns is None else patterns
    selected = matches.matched if within is None else within
    if not patterns or not selected.any():
        return _empty()
    aligned = store.aligned(matches.ids)
    found: list[tuple[np.ndarray, ...]] = []
    for index, (part, docnums) in enumerate(zip(store.parts, aligned, strict=True)):
        ok = docnums >= 0
        rows = np.zeros(part.rows, dtype=bool)
        rows[ok] = selected[docnums[ok]]
        if not rows.any():
            continue
        for pattern in patterns:
            allowed = rows
            if pattern.languages is not None:
                allowed = rows & part.in_languages(pattern.languages)
            field = FIELDS.index(pattern.field)
            seg, tok, length = _pattern(store, part, pattern, allowed, field, texts)
            if len(tok):
                found.append((np.full(len(tok), index), seg, tok, length, docnums[seg // 2]))
    if not found:
        return _empty()
    part_of, seg, tok, length, docnum = (np.concatenate(cols) for cols in zip(*found, strict=True))
    first = store.parts_seg(part_of, seg)
    occ = Occurrences(part_of, seg, tok - first, tok - first + length, tok, docnum)
    return _dedupe(occ, store.id_rank(matches.ids))


def _pattern(store: TokenStore, part: Part, pattern: Pattern, rows: np.ndarray, field: int,
             texts: Texts | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(segment, first token, length in tokens) of each match of one pattern in one part."""
    segs = np.flatnonzero(rows) * 2 + field
    first = _Position(store, pattern.terms[0])
    if first.empty:
        return _none()
    starts, ends = part.seg[segs], part.seg[segs + 1]
    selected_tokens = int((ends - starts).sum())
    if selected_tokens < GATHER_BELOW * len(part.term):
        lengths = ends - starts
        keep = lengths > 0
        starts, lengths, segs_kept = starts[keep], lengths[keep], segs[keep]
        if not len(starts):
            return _none()
        # The token indexes of the chosen segments, concatenated, without a Python loop.
        offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(lengths)[:-1])), lengths)
        candidates = np.arange(int(lengths.sum()), dtype=np.int64) + offsets
        seg_of = np.repeat(segs_kept, lengths)
        hit = first.test(part, candidates)
        tok, seg = candidates[hit], seg_of[hit]
    else:
        tok = np.flatnonzero(first.scan(part)).astype(np.int64)
        seg = np.searchsorted(part.seg, tok, side="right") - 1
        keep = (seg % 2 == field) & rows[seg // 2]
        tok, seg = tok[keep], seg[keep]
    seg_end = part.seg[seg + 1]
    if pattern.slop <= 1 or len(pattern.terms) == 1:
        for k, terms in enumerate(pattern.terms[1:], start=1):
            wanted = _Position(store, terms)
            if wanted.empty:
                return _none()
            nxt = tok + k
            inside = nxt < seg_end
            ok = np.zeros(len(tok), dtype=bool)
            ok[inside] = wanted.test(part, nxt[inside])
            tok, seg, seg_end = tok[ok], seg[ok], seg_end[ok]
        length = np.full(len(tok), len(pattern.terms), dtype=np.int64)
    else:
        tok, seg, length = _sloppy(store, part, pattern, tok, seg, seg_end)
    if any(t.startswith("=") for terms in pattern.terms for t in terms):
        keep_exact = _exact_ok(store, part, pattern, seg, tok, length, texts)
        tok, seg, length = tok[keep_exact], seg[keep_exact], length[keep_exact]
    return seg, tok, length


def _none() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    z = np.zeros(0, dtype=np.int64)
    return z, z, z


class _Position:
    """What one position of a pattern accepts: look-up tables over term ids and (for exact forms) form ids."""

    def __init__(self, store: TokenStore, terms: frozenset[str]) -> None:
        ids = [store.term_ids[t] for t in terms if not t.startswith("=") and t in store.term_ids]
        self.terms = np.zeros(len(store.terms) + 1, dtype=bool)
        self.terms[ids] = True
        # An exact form is looked for by its folded form, then checked against the text as written.
        forms = [store.form_ids[f] for f in (analysis.fold(t[1:]) for t in terms if t.startswith("=")) if f in store.form_ids]
        self.forms: np.ndarray | None = None
        if forms:
            self.forms = np.zeros(len(store.forms) + 1, dtype=bool)
            self.forms[forms] = True
        self.empty = not ids and not forms
        self.single = ids[0] if len(ids) == 1 and not forms else None

    def test(self, part: Part, index: np.ndarray) -> np.ndarray:
        hit = self.terms[np.asarray(part.term[index])]
        if self.forms is not None:
            hit |= self.forms[np.asarray(part.form[index])]
        return hit

    def scan(self, part: Part) -> np.ndarray:
        if self.single is not None:  # one comparison per token is quicker than a table look-up
            return part.term == self.single
        hit = self.terms[np.asarray(part.term)]
        if self.forms is not None:
            hit |= self.forms[np.asarray(part.form)]
        return hit


def _sloppy(store: TokenStore, part: Part, pattern: Pattern, tok: np.ndarray, seg: np.ndarray,
            seg_end: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Phrases with a slop: each later word at most `slop` positions after the one before it (as
    Whoosh's SpanNear with mindist 1); a match ends at the nearest last word any such chain reaches."""
    tables = [_Position(store, terms) for terms in pattern.terms[1:]]
    if any(t.empty for t in tables):
        return _none()
    keep_tok: list[int] = []
    keep_seg: list[int] = []
    keep_len: list[int] = []
    for t0, s, e in zip(tok.tolist(), seg.tolist(), seg_end.tolist(), strict=True):
        reach = {t0}
        for table in tables:
            nxt = set()
            for p in reach:
                window = np.arange(p + 1, min(p + pattern.slop, e - 1) + 1, dtype=np.int64)
                if len(window):
                    nxt.update(window[table.test(part, window)].tolist())
            reach = nxt
            if not reach:
                break
        if reach:
            keep_tok.append(t0)
            keep_seg.append(s)
            keep_len.append(min(reach) - t0 + 1)
    return np.asarray(keep_tok, dtype=np.int64), np.asarray(keep_seg, dtype=np.int64), np.asarray(keep_len, dtype=np.int64)


def _exact_ok(store: TokenStore, part: Part, pattern: Pattern, seg: np.ndarray, tok: np.ndarray,
              length: np.ndarray, texts: Texts | None) -> np.ndarray:
    """Which matches hold each exact-form word as written (case aside), read from the stored texts."""
    ok = np.ones(len(tok), dtype=bool)
    if not len(tok):
        return ok
    if texts is None:
        raise ValueError("exact forms need the stored texts")
    ids = sorted({part.ids[r] for r in (seg // 2).tolist()})
    stored = texts(ids)
    for i, (s, t, n) in enumerate(zip(seg.tolist(), tok.tolist(), length.tolist(), strict=True)):
        title, body = stored[part.ids[s // 2]]
        text = body if s % 2 else title
        for k, terms in enumerate(pattern.terms):
            exact = {x[1:] for x in terms if x.startswith("=")}
            if not exact or (pattern.slop > 1 and k not in (0, len(pattern.terms) - 1)):
                continue
            at = t + (k if pattern.slop <= 1 else (0 if k == 0 else n - 1))
            written = analysis.exact(text[int(part.start[at]):int(part.end[at])])
            plain = {x for x in terms if not x.startswith("=")}
            if written not in exact and int(part.term[at]) not in {store.term_ids.get(x, -2) for x in plain}:
                ok[i] = False
                break
    return ok


def _dedupe(occ: Occurrences, id_rank: np.ndarray) -> Occurrences:
    """One line per first token (the longest match there), in document order: id, title before body, position."""
    if not len(occ):
        return occ
    # One integer per occurrence orders by document id, field and position: a single sort.
    key = (id_rank[occ.docnum].astype(np.int64) << 33) | (occ.field.astype(np.int64) << 32) | occ.start.astype(np.int64)
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    if not (ordered[1:] == ordered[:-1]).any():
        return occ.take(order)
    # Several patterns matched at one token (`oil OR "oil prices"`): the longest match is the line.
    order = np.lexsort((-occ.end, key))
    occ, key = occ.take(order), key[order]
    first = np.ones(len(occ), dtype=bool)
    first[1:] = key[1:] != key[:-1]
    return occ.take(np.flatnonzero(first))
