"""Distinctive words (keyness): the words of a result set most over- and under-represented against a reference.

Counted over every matching document (never a sample) from the build's token store, so a word is
what the concordance views call a word: its folded spelling (case and accents aside, not stemmed).
Phrases of two or three words (`ngram`) are consecutive words inside one title or one body.

For each word: its frequency and its documents on each side, the rates per million words, the
log-likelihood G² with its p-value, and Log Ratio as the effect size (corpus.research.stats).

The reference is the rest of the corpus under the same date filter (`rest`), the whole corpus
under that date filter (`corpus`), or a second search (`search`). The counts of the corpus under a
date filter are kept per build (most requests share them), and those of the rest are that minus
the result set's, so a request only reads the tokens of its own matching documents.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

import numpy as np

from .. import analysis
from ..concord import ngrams
from ..concord.colloc import corpus_frequencies
from ..concord.ngrams import Counts
from ..concord.store import Part, TokenStore
from ..errors import BadRequest
from ..search.types import Matches
from . import stats

REFERENCES = ("rest", "corpus", "search")
SORTS = ("g2", "logratio")
MAX_NGRAM = 3
LOW_COUNT = 5  # fewer occurrences than this on either side: the word's numbers are flagged


@dataclass(frozen=True)
class Options:
    vs: str = "rest"
    sort: str = "g2"
    min: int = 3
    ngram: int = 1
    stop: tuple[str, ...] | None = None  # None: keep stop words; (): those of the result's languages; else these languages
    limit: int = 50


@dataclass
class Keyword:
    word: str
    target_frequency: int
    reference_frequency: int
    target_documents: int
    reference_documents: int
    target_per_million: float | None
    reference_per_million: float | None
    g2: float  # signed: negative when the word is rarer in the target than in the reference
    p: float
    log_ratio: float | None
    low_count: bool


@dataclass
class Keywords:
    target: Matches
    reference: Matches  # the matches the reference was taken from (the date-filtered corpus, or the second search)
    options: Options
    target_documents: int
    reference_documents: int
    target_tokens: int  # words (or phrases of ngram words) on each side: the denominators of every rate
    reference_tokens: int
    stop_languages: list[str]
    candidates_over: int
    candidates_under: int
    over: list[Keyword] = field(default_factory=list)
    under: list[Keyword] = field(default_factory=list)


def _radix(store: TokenStore, n: int) -> int:
    if not ngrams.fits(len(store.forms), n):
        raise BadRequest(f"ngram={n} is not available for a vocabulary of {len(store.forms):,} words", param="ngram")
    return ngrams.radix(len(store.forms))


def _rows(part: Part, docnums: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Which rows of a part hold documents of the mask (-1: a row the engine does not serve)."""
    rows = np.zeros(part.rows, dtype=bool)
    ok = docnums >= 0
    rows[ok] = mask[docnums[ok]]
    return rows


def count(store: TokenStore, matches: Matches, mask: np.ndarray, n: int, check: Callable[[], None]) -> Counts:
    """The tokens and documents of every word (n = 1) or phrase of n words in the documents of a mask."""
    base = _radix(store, n)
    return ngrams.merge([ngrams.count(part, np.flatnonzero(_rows(part, docnums, mask)), n, base, True, check)
                         for part, docnums in zip(store.parts, store.aligned(matches.ids), strict=True)])


def doc_freq(store: TokenStore, matches: Matches, mask: np.ndarray, n: int, keys: np.ndarray,
             check: Callable[[], None]) -> np.ndarray:
    """The documents of a mask holding each of these units (the few listed), in their order."""
    base = _radix(store, n)
    out = np.zeros(len(keys), dtype=np.int64)
    for part, docnums in zip(store.parts, store.aligned(matches.ids), strict=True):
        out += ngrams.doc_freq(part, np.flatnonzero(_rows(part, docnums, mask)), n, base, keys, check)
    return out


def reference_tokens(store: TokenStore, matches: Matches, mask: np.ndarray, n: int, check: Callable[[], None]) -> Counts:
    """The tokens of every unit in a mask's documents (documents are not counted), kept for the last few masks.

    Words come from one count of the forms (corpus.concord.colloc). Phrases come from each part's
    counts over all its rows, written at ingest, less those of the rows the mask leaves out when
    they are fewer than the rows it keeps; otherwise the kept rows are counted.
    """
    key = f"kwref{n}-" + hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).hexdigest()
    found = store.cached(matches.ids, key, lambda: _reference_tokens(store, matches, mask, n, check), keep=3)
    return cast(Counts, found)


def _reference_tokens(store: TokenStore, matches: Matches, mask: np.ndarray, n: int, check: Callable[[], None]) -> Counts:
    if n == 1:
        tf = corpus_frequencies(store, matches, mask)[:len(store.forms)]
        keys = np.flatnonzero(tf)
        return Counts(keys.astype(np.int64), tf[keys].astype(np.int64))
    base = _radix(store, n)
    found: list[Counts] = []
    for part, docnums in zip(store.parts, store.aligned(matches.ids), strict=True):
        rows = _rows(part, docnums, mask)
        kept, left = np.flatnonzero(rows), np.flatnonzero(~rows)
        whole = part.unit_counts.get(n)
        lengths = part.lengths()
        if whole is not None and int(lengths[left].sum()) < int(lengths[kept].sum()):
            found.append(ngrams.subtract(whole, ngrams.count(part, left, n, base, False, check)))
        else:
            found.append(ngrams.count(part, kept, n, base, False, check))
    return ngrams.merge(found)


def _tokens_on(keys: np.ndarray, c: Counts) -> np.ndarray:
    """The tokens c holds of each of the sorted keys, all of which it holds (zero for a key it lacks)."""
    tf = np.zeros(len(keys), dtype=np.int64)
    if len(c.keys) and len(keys):
        at = np.minimum(np.searchsorted(c.keys, keys), len(c.keys) - 1)
        hit = c.keys[at] == keys
        tf[hit] = c.tf[at[hit]]
    return tf


def words_of(store: TokenStore, key: int, n: int) -> str:
    """The words of a unit's key, as folded spellings separated by spaces."""
    base = ngrams.radix(len(store.forms))
    forms = []
    for _ in range(n):
        forms.append(store.forms[key % base])
        key //= base
    return " ".join(reversed(forms))


def stop_languages(matches: Matches, mask: np.ndarray, asked: tuple[str, ...] | None) -> list[str]:
    """The languages whose stop words are left out: the ones asked, or those of the documents of the mask."""
    if asked is None:
        return []
    if asked:
        return sorted(set(asked))
    table = matches.facets.get("language")
    if table is None:
        return ["en"]
    docs, ords = np.asarray(table.docs), np.asarray(table.ords)
    found = sorted({table.values[o] for o in np.unique(ords[mask[docs]]).tolist()})
    return found or ["en"]


def _stop_table(store: TokenStore, languages: list[str]) -> np.ndarray | None:
    """Which form ids are stop words of these languages (None: no filter)."""
    if not languages:
        return None
    words: set[str] = set()
    for code in languages:
        words |= analysis.stop_words_of(code)
    table = np.zeros(len(store.forms) + 1, dtype=bool)
    for word in words:
        found = store.form_ids.get(word)
        if found is not None:
            table[found] = True
    return table


def _kept(keys: np.ndarray, n: int, base: int, table: np.ndarray | None) -> np.ndarray:
    """Which units to keep: a word that is a stop word goes, and so does a phrase that starts or ends with one."""
    if table is None:
        return np.ones(len(keys), dtype=bool)
    last = keys % base
    first = keys // (base ** (n - 1)) if n > 1 else last
    return ~(table[first] | table[last])


def _absent(whole: Counts, present: np.ndarray, n: int, base: int, table: np.ndarray | None, least: int,
            limit: int) -> tuple[int, np.ndarray, np.ndarray]:
    """Of the reference's units the target lacks (all under-represented, with at least `least` tokens):
    how many there are, and the `limit` with the most tokens (ties by key), as (count, keys, tokens).

    With no token in the target, a unit's G² and Log Ratio both grow with its reference tokens
    alone, so these are the only ones of them that can rank among the under-represented. Read a
    slice at a time, so a reference of millions of phrases costs no copy of them.
    """
    total, keys, tokens = 0, [], []
    step = 1_000_000
    for start in range(0, len(whole.keys), step):
        k = np.asarray(whole.keys[start:start + step], dtype=np.int64)
        t = np.asarray(whole.tf[start:start + step], dtype=np.int64)
        ok = t >= least
        if len(present):
            at = np.minimum(np.searchsorted(present, k), len(present) - 1)
            ok &= present[at] != k
        ok &= _kept(k, n, base, table)
        chosen = np.flatnonzero(ok)
        total += len(chosen)
        best = chosen[np.lexsort((k[chosen], -t[chosen]))[:limit]]
        keys.append(k[best])
        tokens.append(t[best])
    if not keys:
        z = np.zeros(0, dtype=np.int64)
        return 0, z, z.copy()
    k, t = np.concatenate(keys), np.concatenate(tokens)
    best = np.lexsort((k, -t))[:limit]
    return total, k[best], t[best]


def keywords(store: TokenStore, target: Matches, corpus: Matches, reference: Matches | None, options: Options,
             check: Callable[[], None]) -> Keywords:
    """The distinctive words of target.matched against the reference the options name.

    `corpus` is the corpus under the target's date filter (its subcorpus); `reference` the second
    search when options.vs is "search".

    The target's units are counted with their documents. The reference's tokens per unit come
    from reference_tokens() (for `rest`: the subcorpus's, less the target's), and its documents
    are counted afterwards for the listed units only.
    """
    n = options.ngram
    base = _radix(store, n)
    mask = target.matched
    mine = count(store, target, mask, n, check)
    if options.vs == "search":
        assert reference is not None
        ref_mask = reference.matched
        whole = reference_tokens(store, target, ref_mask, n, check)
        ref_from, less = reference, False
    else:
        ref_mask = corpus.subcorpus.copy()
        whole = reference_tokens(store, target, corpus.subcorpus, n, check)
        ref_from, less = corpus, options.vs == "rest"
        if less:
            ref_mask &= ~mask
    a, da = mine.tf, mine.df
    assert da is not None
    b = _tokens_on(mine.keys, whole)
    if less:
        b = b - a
    c, d = mine.total, whole.total - (mine.total if less else 0)
    check()
    languages = stop_languages(target, mask, options.stop)
    table = _stop_table(store, languages)
    keep = _kept(mine.keys, n, base, table)
    af, bf = a.astype(np.float64), b.astype(np.float64)
    over = keep & (af * d > bf * c) & (a >= options.min)
    under = keep & (af * d < bf * c) & (b >= options.min)
    absent_count, absent_keys, absent_b = (_absent(whole, mine.keys, n, base, table, options.min, options.limit)
                                           if c else (0, np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)))
    check()
    result = Keywords(target, ref_from, options, int(mask.sum()), int(ref_mask.sum()), c, d, languages,
                      int(over.sum()), int(under.sum()) + absent_count)
    if not c or not d:
        return result
    zero = np.zeros(len(absent_keys), dtype=np.int64)
    sides = (
        (1.0, result.over, mine.keys[over], a[over], da[over], b[over]),
        (-1.0, result.under, np.concatenate([mine.keys[under], absent_keys]), np.concatenate([a[under], zero]),
         np.concatenate([da[under], zero]), np.concatenate([b[under], absent_b])),
    )
    listed = []
    for sign, _, keys, ta, _, tb in sides:
        fa, fb = ta.astype(np.float64), tb.astype(np.float64)
        g2 = _g2(fa, fb, c, d)
        ratio = np.log2((np.where(ta > 0, fa, stats.ZERO) / c) / (np.where(tb > 0, fb, stats.ZERO) / d))
        score = g2 if options.sort == "g2" else sign * ratio
        secondary = g2 if options.sort != "g2" else sign * ratio
        # Highest first; ties by the other measure, then by the key (the word forms' ids), so the order is stable.
        listed.append(np.lexsort((keys, -secondary, -score))[:options.limit])
    # The reference's documents of the listed units of both sides, in one pass over the reference.
    documents = iter(doc_freq(store, target, ref_mask, n, np.concatenate([side[2][shown] for side, shown in zip(sides, listed, strict=True)]),
                              check).tolist())
    for (sign, out, keys, ta, tda, tb), shown in zip(sides, listed, strict=True):
        for i in shown.tolist():
            ai, bi = int(ta[i]), int(tb[i])
            value = stats.log_likelihood(ai, bi, c, d)
            out.append(Keyword(
                word=words_of(store, int(keys[i]), n), target_frequency=ai, reference_frequency=bi,
                target_documents=int(tda[i]), reference_documents=int(next(documents)),
                target_per_million=stats.per_million(ai, c), reference_per_million=stats.per_million(bi, d),
                g2=sign * value, p=stats.p_value(value), log_ratio=stats.log_ratio(ai, bi, c, d),
                low_count=ai < LOW_COUNT or bi < LOW_COUNT,
            ))
    return result


def _g2(a: np.ndarray, b: np.ndarray, c: int, d: int) -> np.ndarray:
    """G² of every word at once (the same formula as stats.log_likelihood), for ranking."""
    total = a + b
    e1, e2 = c * total / (c + d), d * total / (c + d)
    with np.errstate(divide="ignore", invalid="ignore"):
        t1 = np.where(a > 0, a * np.log(np.where(a > 0, a, 1) / np.where(e1 > 0, e1, 1)), 0.0)
        t2 = np.where(b > 0, b * np.log(np.where(b > 0, b, 1) / np.where(e2 > 0, e2, 1)), 0.0)
    return np.maximum(2 * (t1 + t2), 0.0)
