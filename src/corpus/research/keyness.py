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

import numpy as np

from .. import analysis
from ..concord.colloc import corpus_frequencies
from ..concord.store import Part, TokenStore
from ..errors import BadRequest
from ..search.types import Matches
from . import stats

REFERENCES = ("rest", "corpus", "search")
SORTS = ("g2", "logratio")
MAX_NGRAM = 3
LOW_COUNT = 5  # fewer occurrences than this on either side: the word's numbers are flagged
CHUNK_TOKENS = 2_000_000  # tokens read at once: bounds the memory of counting a large side


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


@dataclass
class Counts:
    """Per unit (a word form id, or an n-gram's packed form ids), sorted by key: tokens and documents."""

    keys: np.ndarray
    tf: np.ndarray
    df: np.ndarray

    @property
    def total(self) -> int:
        return int(self.tf.sum())


def _empty() -> Counts:
    z = np.zeros(0, dtype=np.int64)
    return Counts(z, z.copy(), z.copy())


def _radix(store: TokenStore, n: int) -> int:
    base = len(store.forms) + 1
    if base ** n >= 2**62:
        raise BadRequest(f"ngram={n} is not available for a vocabulary of {len(store.forms):,} words", param="ngram")
    return base


def _reduce(keys: np.ndarray, rows: np.ndarray) -> Counts:
    """Tokens and documents per key, from every unit's key and (ascending) document row."""
    if not len(keys):
        return _empty()
    order = np.argsort(keys, kind="stable")  # stable: the rows of equal keys stay ascending, so repeats are adjacent
    k, r = keys[order], rows[order]
    new_key = np.ones(len(k), dtype=bool)
    new_key[1:] = k[1:] != k[:-1]
    new_pair = new_key.copy()
    new_pair[1:] |= r[1:] != r[:-1]
    starts = np.flatnonzero(new_key)
    tf = np.diff(np.append(starts, len(k)))
    df = np.add.reduceat(new_pair.astype(np.int64), starts)
    return Counts(k[starts], tf.astype(np.int64), df.astype(np.int64))


def _merge(parts: list[Counts]) -> Counts:
    parts = [p for p in parts if len(p.keys)]
    if not parts:
        return _empty()
    if len(parts) == 1:
        return parts[0]
    keys = np.concatenate([p.keys for p in parts])
    unique, inverse = np.unique(keys, return_inverse=True)
    tf = np.bincount(inverse, weights=np.concatenate([p.tf for p in parts]), minlength=len(unique))
    df = np.bincount(inverse, weights=np.concatenate([p.df for p in parts]), minlength=len(unique))
    return Counts(unique, np.rint(tf).astype(np.int64), np.rint(df).astype(np.int64))


def count(store: TokenStore, matches: Matches, mask: np.ndarray, n: int, check: Callable[[], None]) -> Counts:
    """The tokens and documents of every word (n = 1) or phrase of n words in the documents of a mask."""
    base = _radix(store, n)
    found: list[Counts] = []
    for part, docnums in zip(store.parts, store.aligned(matches.ids), strict=True):
        ok = docnums >= 0
        rows = np.zeros(part.rows, dtype=bool)
        rows[ok] = mask[docnums[ok]]
        chosen = np.flatnonzero(rows)
        if not len(chosen):
            continue
        seg = np.asarray(part.seg)
        lengths = seg[2 * chosen + 2] - seg[2 * chosen]
        cum = np.cumsum(lengths)
        cuts = np.searchsorted(cum, np.arange(CHUNK_TOKENS, int(cum[-1]), CHUNK_TOKENS)) + 1
        edges = np.unique(np.concatenate(([0], np.minimum(cuts, len(chosen)), [len(chosen)])))
        for start, stop in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
            found.append(_count_rows(part, chosen[start:stop], n, base))
            check()
    return _merge(found)


def _count_rows(part: Part, rows: np.ndarray, n: int, base: int) -> Counts:
    seg = np.asarray(part.seg)
    form = part.form
    if n == 1:
        starts, ends = seg[2 * rows], seg[2 * rows + 2]
        owner = np.arange(len(rows), dtype=np.int64)
    else:  # each row's title, then its body: a phrase never runs from one into the other
        starts = np.stack([seg[2 * rows], seg[2 * rows + 1]], axis=1).ravel()
        ends = np.stack([seg[2 * rows + 1], seg[2 * rows + 2]], axis=1).ravel()
        owner = np.repeat(np.arange(len(rows), dtype=np.int64), 2)
    units = np.maximum(ends - starts - (n - 1), 0)
    total = int(units.sum())
    if not total:
        return _empty()
    offsets = np.repeat(starts - np.concatenate(([0], np.cumsum(units)[:-1])), units)
    index = np.arange(total, dtype=np.int64) + offsets
    keys = np.asarray(form[index], dtype=np.int64)
    for k in range(1, n):
        keys = keys * base + np.asarray(form[index + k], dtype=np.int64)
    return _reduce(keys, np.repeat(owner, units))


def doc_freq(store: TokenStore, matches: Matches, mask: np.ndarray, forms: np.ndarray, check: Callable[[], None]) -> np.ndarray:
    """The documents of a mask holding each of these word forms (a few hundred at most), in their order.

    Reads the mask's tokens in chunks; only the tokens of the asked forms are sorted, by a stable
    (radix) sort of their small position in `forms`, so the documents of each form stay in order.
    """
    out = np.zeros(len(forms), dtype=np.int64)
    if not len(forms):
        return out
    lookup = np.full(len(store.forms) + 1, -1, dtype=np.int32)
    lookup[forms] = np.arange(len(forms), dtype=np.int32)
    small = np.int16 if len(forms) < 2**15 else np.int32
    for part, docnums in zip(store.parts, store.aligned(matches.ids), strict=True):
        ok = docnums >= 0
        rows = np.zeros(part.rows, dtype=bool)
        rows[ok] = mask[docnums[ok]]
        chosen = np.flatnonzero(rows)
        if not len(chosen):
            continue
        seg = np.asarray(part.seg)
        lengths = seg[2 * chosen + 2] - seg[2 * chosen]
        cum = np.cumsum(lengths)
        cuts = np.searchsorted(cum, np.arange(CHUNK_TOKENS, int(cum[-1]), CHUNK_TOKENS)) + 1
        edges = np.unique(np.concatenate(([0], np.minimum(cuts, len(chosen)), [len(chosen)])))
        for start, stop in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
            rws = chosen[start:stop]
            starts, ln = seg[2 * rws], lengths[start:stop]
            total = int(ln.sum())
            if not total:
                continue
            index = np.arange(total, dtype=np.int64) + np.repeat(starts - np.concatenate(([0], np.cumsum(ln)[:-1])), ln)
            k = lookup[np.asarray(part.form[index])]
            keep = k >= 0
            if keep.any():
                owner = np.repeat(np.arange(len(rws), dtype=np.int64), ln)[keep]
                ks = k[keep].astype(small)
                order = np.argsort(ks, kind="stable")
                ks, owner = ks[order], owner[order]
                first = np.ones(len(ks), dtype=bool)
                first[1:] = (ks[1:] != ks[:-1]) | (owner[1:] != owner[:-1])
                out += np.bincount(ks[first].astype(np.int64), minlength=len(forms))
            check()
    return out


def _dense(store: TokenStore, matches: Matches, mask: np.ndarray) -> Counts:
    """Tokens of every word form in a mask's documents (kept per build for the last few masks), as Counts
    whose documents are not counted (-1): ranking needs only the tokens, doc_freq() gives the rest."""
    tf = corpus_frequencies(store, matches, mask)[:len(store.forms)]
    keys = np.flatnonzero(tf)
    return Counts(keys.astype(np.int64), tf[keys].astype(np.int64), np.full(len(keys), -1, dtype=np.int64))


def cached_count(store: TokenStore, matches: Matches, mask: np.ndarray, n: int, check: Callable[[], None]) -> Counts:
    """count(), kept for the last few masks of a build (the corpus under a date filter is asked again and again)."""
    key = f"kw{n}-" + hashlib.blake2b(np.packbits(mask).tobytes(), digest_size=16).hexdigest()
    packed = store.cached(matches.ids, key, lambda: _pack(count(store, matches, mask, n, check)), keep=3)
    return Counts(packed[0], packed[1], packed[2])


def _pack(c: Counts) -> np.ndarray:
    return np.stack([c.keys, c.tf, c.df])


def _on(keys: np.ndarray, c: Counts) -> tuple[np.ndarray, np.ndarray]:
    """The counts of c on the sorted keys (zero for keys c lacks)."""
    tf, df = np.zeros(len(keys), dtype=np.int64), np.zeros(len(keys), dtype=np.int64)
    if len(c.keys) and len(keys):
        at = np.searchsorted(keys, c.keys)
        at = np.minimum(at, len(keys) - 1)
        hit = keys[at] == c.keys
        tf[at[hit]] = c.tf[hit]
        df[at[hit]] = c.df[hit]
    return tf, df


def words_of(store: TokenStore, key: int, n: int) -> str:
    """The words of a unit's key, as folded spellings separated by spaces."""
    base = len(store.forms) + 1
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


def _stop_filter(store: TokenStore, keys: np.ndarray, n: int, languages: list[str]) -> np.ndarray:
    """Which keys to keep: a word that is a stop word goes, and so does a phrase that starts or ends with one."""
    if not languages:
        return np.ones(len(keys), dtype=bool)
    words: set[str] = set()
    for code in languages:
        words |= analysis.stop_words_of(code)
    base = len(store.forms) + 1
    table = np.zeros(base, dtype=bool)
    for word in words:
        found = store.form_ids.get(word)
        if found is not None:
            table[found] = True
    last = keys % base
    first = keys // (base ** (n - 1)) if n > 1 else last
    return ~(table[first] | table[last])


def keywords(store: TokenStore, target: Matches, corpus: Matches, reference: Matches | None, options: Options,
             check: Callable[[], None]) -> Keywords:
    """The distinctive words of target.matched against the reference the options name.

    `corpus` is the corpus under the target's date filter (its subcorpus); `reference` the second
    search when options.vs is "search".
    """
    n = options.ngram
    mask = target.matched
    mine = count(store, target, mask, n, check)
    # Words: the reference's tokens per form come from one bincount (kept per build), and its
    # documents are counted afterwards for the listed words only. Phrases: both from count().
    side = _dense if n == 1 else (lambda st, m, msk: cached_count(st, m, msk, n, check))
    if options.vs == "search":
        assert reference is not None
        ref_mask = reference.matched
        theirs = side(store, target, ref_mask)
        keys = np.union1d(mine.keys, theirs.keys)
        b, db = _on(keys, theirs)
        ref_from = reference
    else:
        whole = side(store, target, corpus.subcorpus)
        keys = whole.keys
        b, db = whole.tf.copy(), whole.df.copy()
        ref_mask = corpus.subcorpus.copy()
        if options.vs == "rest":
            ta, tda = _on(keys, mine)
            b -= ta
            db -= tda
            ref_mask &= ~mask
        ref_from = corpus
    a, da = _on(keys, mine)
    check()
    c, d = int(a.sum()), int(b.sum())
    languages = stop_languages(target, mask, options.stop)
    keep = _stop_filter(store, keys, n, languages)
    af, bf = a.astype(np.float64), b.astype(np.float64)
    over = keep & (af * d > bf * c) & (a >= options.min)
    under = keep & (af * d < bf * c) & (b >= options.min)
    result = Keywords(target, ref_from, options, int(mask.sum()), int(ref_mask.sum()), c, d, languages,
                      int(over.sum()), int(under.sum()))
    if not c or not d:
        return result
    g2 = _g2(af, bf, c, d)
    ratio = np.log2((np.where(a > 0, af, stats.ZERO) / c) / (np.where(b > 0, bf, stats.ZERO) / d))
    for chosen, sign, out in ((over, 1.0, result.over), (under, -1.0, result.under)):
        at = np.flatnonzero(chosen)
        score = g2[at] if options.sort == "g2" else sign * ratio[at]
        secondary = g2[at] if options.sort != "g2" else sign * ratio[at]
        # Highest first; ties by the other measure, then by the key (the word forms' ids), so the order is stable.
        order = np.lexsort((keys[at], -secondary, -score))[:options.limit]
        shown = at[order]
        if n == 1 and len(shown):  # the reference's documents of the listed words
            db[shown] = doc_freq(store, target, ref_mask, keys[shown], check)
        for i in shown.tolist():
            ai, bi = int(a[i]), int(b[i])
            value = stats.log_likelihood(ai, bi, c, d)
            out.append(Keyword(
                word=words_of(store, int(keys[i]), n), target_frequency=ai, reference_frequency=bi,
                target_documents=int(da[i]), reference_documents=int(db[i]),
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
