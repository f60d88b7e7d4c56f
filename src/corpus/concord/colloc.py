"""Collocations: the words within a window of every occurrence of a node, with their association measures.

Counted over every occurrence in every matching document (never a sample), from the token store,
for every engine. A collocate is a folded word form (case and accents aside). The counts behind
each measure are shown with it, so every number can be checked by hand (see /help):

- f(n): occurrences of the node; W: window slots, the tokens inside the windows of all occurrences
  (a window stops at the start and end of its title or body); N: tokens of the subcorpus (the
  documents the filters keep, matched or not); f(c): the collocate's tokens in the subcorpus;
  O: the collocate's tokens inside the windows.
- expected E = W * f(c) / N;  MI = log2(O / E);  logDice = 14 + log2(2 O / (f(n) + f(c)))
  (Rychlý 2008); G² = 2 Σ O_ij ln(O_ij / E_ij) over the 2x2 table of window and not-window
  tokens by collocate and other words (Dunning 1993), signed negative when O < E.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import analysis
from ..search.types import Matches
from . import ngrams
from .lines import Documents, occurrences, parts_of, slice_values
from .match import Occurrences
from .store import TokenStore

MAX_WINDOW = 10
MEASURES = ("logdice", "g2", "mi", "observed", "expected", "frequency")


@dataclass(frozen=True)
class Options:
    left: int = 5
    right: int = 5
    min: int = 3
    stop: bool = False
    sort: str = "logdice"
    limit: int = 50
    by: str | None = None


@dataclass
class Collocate:
    word: str
    observed: int
    expected: float
    frequency: int
    logdice: float
    g2: float
    mi: float


@dataclass
class Table:
    """One table of collocates, with the counts its measures come from."""

    value: str | None  # the slice's facet value (None for the unsliced table or documents without one)
    node_frequency: int
    documents: int
    window_tokens: int
    corpus_tokens: int
    candidates: int  # distinct words in the windows with at least `min` co-occurrences
    collocates: list[Collocate]


@dataclass
class Collocations:
    matches: Matches
    options: Options
    table: Table
    slices: list[Table] = field(default_factory=list)


def window_forms(store: TokenStore, occ: Occurrences, left: int, right: int) -> np.ndarray:
    """The form id of every token inside the windows (left and right of each occurrence, within its segment)."""
    out: list[np.ndarray] = []
    for index in parts_of(store, occ):
        here = np.flatnonzero(occ.part == index) if len(store.parts) > 1 else np.arange(len(occ))
        part = store.parts[index]
        tok, start, seg = occ.tok[here], occ.start[here], occ.seg[here]
        length = occ.end[here] - start
        seg_end = part.seg[seg + 1]
        for k in range(1, left + 1):
            valid = start - k >= 0
            out.append(np.asarray(part.form[(tok - k)[valid]], dtype=np.int64))
        for k in range(1, right + 1):
            at = tok + length + k - 1
            out.append(np.asarray(part.form[at[at < seg_end]], dtype=np.int64))
    return np.concatenate(out) if out else np.zeros(0, dtype=np.int64)


def corpus_frequencies(store: TokenStore, matches: Matches, subcorpus: np.ndarray) -> np.ndarray:
    """Tokens of each form in the subcorpus's documents (title and body), kept for the last few subcorpora.

    Counting every token of 10x Reuters takes a few hundred milliseconds, and most requests ask
    for the same subcorpus (the whole corpus, or the same filters): the mask's digest is the key.
    """
    key = "freq-" + hashlib.blake2b(np.packbits(subcorpus).tobytes(), digest_size=16).hexdigest()
    return store.cached(matches.ids, key, lambda: _count_forms(store, matches, subcorpus), keep=4)


def _count_forms(store: TokenStore, matches: Matches, subcorpus: np.ndarray) -> np.ndarray:
    counts = np.zeros(len(store.forms) + 1, dtype=np.int64)
    base = ngrams.radix(len(store.forms))
    for part, docnums in zip(store.parts, store.aligned(matches.ids), strict=True):
        rows = np.zeros(part.rows, dtype=bool)
        ok = docnums >= 0
        rows[ok] = subcorpus[docnums[ok]]
        # a few million tokens at a time, read from the file: the count never holds the whole form array
        for chunk in ngrams.chunks(part, np.flatnonzero(rows)):
            forms, _ = ngrams.units(part, chunk, 1, base)
            counts[:len(store.forms)] += np.bincount(forms, minlength=len(store.forms))[:len(store.forms)]
    return counts


def measures(o: int, f_n: int, f_c: int, w: int, n: int) -> tuple[float, float, float, float]:
    """(expected, logDice, G², MI) of one collocate from its counts (see the module's docstring)."""
    e = w * f_c / n if n else 0.0
    mi = math.log2(o / e) if o and e else float("-inf")
    logdice = 14 + math.log2(2 * o / (f_n + f_c)) if o else float("-inf")
    cells = ((o, w, f_c), (w - o, w, n - f_c), (f_c - o, n - w, f_c), (n - w - f_c + o, n - w, n - f_c))
    g2 = 0.0
    for observed, row, col in cells:
        expected = row * col / n if n else 0.0
        if observed > 0 and expected > 0:
            g2 += observed * math.log(observed / expected)
    g2 *= 2
    return e, logdice, (g2 if o >= e else -g2), mi


def table(store: TokenStore, matches: Matches, occ: Occurrences, subcorpus: np.ndarray, options: Options,
          value: str | None = None, stops: frozenset[str] = frozenset()) -> Table:
    """The collocates of these occurrences relative to a subcorpus, best first by the options' measure."""
    forms = window_forms(store, occ, options.left, options.right)
    observed = np.bincount(forms, minlength=len(store.forms) + 1) if len(forms) else np.zeros(len(store.forms) + 1, np.int64)
    frequency = corpus_frequencies(store, matches, subcorpus)
    n = int(store.doc_tokens(matches.ids)[subcorpus].sum())
    f_n, w = len(occ), len(forms)
    rows: list[Collocate] = []
    for form in np.flatnonzero(observed >= options.min).tolist():
        word = store.forms[form]
        if word in stops:
            continue
        o, f_c = int(observed[form]), int(frequency[form])
        e, logdice, g2, mi = measures(o, f_n, f_c, w, n)
        rows.append(Collocate(word, o, round(e, 4), f_c, round(logdice, 4), round(g2, 4), round(mi, 4)))
    key = options.sort
    rows.sort(key=lambda c: (-float(getattr(c, key)), c.word))
    return Table(value, f_n, int(np.unique(occ.docnum).size), w, n, len(rows), rows[:options.limit])


def stop_forms(matches: Matches, occ: Occurrences, languages: dict[int, str] | None = None) -> frozenset[str]:
    """The stop words of every language of the documents with occurrences (folded, as forms are)."""
    table_ = matches.facets.get("language")
    codes: set[str] = set()
    if table_ is not None:
        mask = np.zeros(len(matches.ids), dtype=bool)
        mask[occ.docnum] = True
        docs, ords = np.asarray(table_.docs), np.asarray(table_.ords)
        codes = {table_.values[o] for o in np.unique(ords[mask[docs]]).tolist()}
    out: set[str] = set()
    for code in codes or {"en"}:
        out |= analysis.stop_words_of(code)
    return frozenset(out)


def collocations(store: TokenStore, matches: Matches, documents: Documents, options: Options,
                 max_slices: int = 24) -> Collocations:
    """The collocation table of a node query, and one per facet value when sliced."""
    occ = occurrences(store, matches, documents)
    stops = stop_forms(matches, occ) if options.stop else frozenset()
    result = Collocations(matches, options, table(store, matches, occ, matches.subcorpus, options, None, stops))
    if options.by:
        for value, docs in slice_values(matches, options.by, matches.subcorpus)[:max_slices]:
            part = occ.take(np.flatnonzero(docs[occ.docnum]))
            result.slices.append(table(store, matches, part, docs, options, value, stops))
    return result


def as_json(t: Table) -> dict[str, Any]:
    """A table as the API gives it: its counts, then its rows."""
    return {
        "value": t.value, "node_frequency": t.node_frequency, "documents": t.documents,
        "window_tokens": t.window_tokens, "corpus_tokens": t.corpus_tokens, "candidates": t.candidates,
        "collocates": [vars(c) for c in t.collocates],
    }
