"""Counts of words and of phrases of two or three words (n-grams) over the rows of a token-store part.

A unit is one word form (n = 1) or n consecutive word forms inside one title or one body (a
phrase never runs from a title into its body). A unit's key packs its form ids in base `radix`:
form ids are below 2**21 for any vocabulary of fewer than two million forms, so with that radix a
key of up to three forms fits in 63 bits and does not change when an incremental ingest adds words;
a larger vocabulary uses its own size plus one, and its keys of three forms may not fit.

The counts of a unit are its tokens (`tf`) and, when asked, its documents (`df`). Rows are read
CHUNK_TOKENS tokens at a time, so memory stays bounded whatever the number of rows, and their
forms are read from the file a block at a time rather than through the mapping, so a scan of a
corpus does not leave the whole form file in the process's memory.

At each commit the store writes every part's counts of two- and three-word units over all its
rows (`tokens-<part>.ng<n>.keys` and `.tf`), so a reference as large as the corpus is read from
them instead of being counted again (corpus.research.keyness).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # store imports this module to write the counts at commit
    from .store import Part

RADIX = 2**21
PRECOMPUTED = (2, 3)  # the unit sizes whose counts each part keeps on disk
CHUNK_TOKENS = 200_000  # tokens read at once
_BLOCK = 1 << 20  # tokens read from the form file at once


@dataclass
class Counts:
    """Per unit key (sorted ascending): tokens, and documents when they were counted (else None)."""

    keys: np.ndarray
    tf: np.ndarray
    df: np.ndarray | None = None

    @property
    def total(self) -> int:
        return int(self.tf.sum())


def empty(with_df: bool = True) -> Counts:
    z = np.zeros(0, dtype=np.int64)
    return Counts(z, z.copy(), z.copy() if with_df else None)


def radix(forms: int) -> int:
    """The base keys are packed in, for a vocabulary of this many forms."""
    return RADIX if forms < RADIX else forms + 1


def fits(forms: int, n: int) -> bool:
    """Whether the keys of n-form units fit in a signed 64-bit integer for this vocabulary."""
    return radix(forms) ** n <= 2**63


def chunks(part: Part, rows: np.ndarray, budget: int = CHUNK_TOKENS) -> Iterator[np.ndarray]:
    """The rows (ascending), a run of consecutive ones at a time of about `budget` tokens each."""
    if not len(rows):
        return
    seg = part.seg
    lengths = seg[2 * rows + 2] - seg[2 * rows]
    cum = np.cumsum(lengths)
    cuts = np.searchsorted(cum, np.arange(budget, int(cum[-1]), budget)) + 1
    edges = np.unique(np.concatenate(([0], np.minimum(cuts, len(rows)), [len(rows)])))
    for start, stop in zip(edges[:-1].tolist(), edges[1:].tolist(), strict=True):
        yield rows[start:stop]


def _gather(part: Part, index: np.ndarray) -> np.ndarray:
    """part.form[index] for an ascending index, read from the file a block at a time.

    Through the mapping, a gather over documents spread across the file faults in the pages
    around each one and leaves most of the file resident; reads into a short-lived buffer do not.
    """
    if not len(index):
        return np.zeros(0, dtype=np.int64)
    if part.form_path is None:
        return np.asarray(part.form[index], dtype=np.int64)
    out = np.empty(len(index), dtype=np.int64)
    first, last = int(index[0]) // _BLOCK, int(index[-1]) // _BLOCK
    bounds = np.searchsorted(index, np.arange(first, last + 2, dtype=np.int64) * _BLOCK).tolist()
    with open(part.form_path, "rb") as fh:
        for lo, hi in itertools.pairwise(bounds):
            if lo == hi:
                continue
            begin = int(index[lo])
            fh.seek(begin * 4)
            span = np.fromfile(fh, dtype="<i4", count=int(index[hi - 1]) + 1 - begin)
            out[lo:hi] = span[index[lo:hi] - begin]
    return out


def units(part: Part, rows: np.ndarray, n: int, base: int) -> tuple[np.ndarray, np.ndarray]:
    """The key of every unit of n forms in these rows (in text order) and the position in `rows` of its row."""
    seg = part.seg
    if n == 1:
        starts, ends = seg[2 * rows], seg[2 * rows + 2]
        owner = np.arange(len(rows), dtype=np.int64)
    else:  # each row's title, then its body
        starts = np.stack([seg[2 * rows], seg[2 * rows + 1]], axis=1).ravel()
        ends = np.stack([seg[2 * rows + 1], seg[2 * rows + 2]], axis=1).ravel()
        owner = np.repeat(np.arange(len(rows), dtype=np.int64), 2)
    count = np.maximum(ends - starts - (n - 1), 0)
    total = int(count.sum())
    if not total:
        z = np.zeros(0, dtype=np.int64)
        return z, z.copy()
    # Every token of the segments, read once: segment s's tokens sit at `placed[s]` onwards in `forms`.
    lengths = ends - starts
    placed = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    forms = _gather(part, np.arange(int(lengths.sum()), dtype=np.int64) + np.repeat(starts - placed, lengths))
    if n == 1:
        keys = forms
    else:  # unit u of segment s starts at token placed[s] + u
        at = np.arange(total, dtype=np.int64) + np.repeat(placed - np.concatenate(([0], np.cumsum(count)[:-1])), count)
        keys = forms[at]
        for k in range(1, n):
            keys = keys * base + forms[at + k]
    return keys, np.repeat(owner, count)


def reduce(keys: np.ndarray, owner: np.ndarray | None) -> Counts:
    """Tokens per key, and documents per key when each unit's (ascending) row position is given."""
    if not len(keys):
        return empty(owner is not None)
    if owner is None:
        k = np.sort(keys)
        new = np.ones(len(k), dtype=bool)
        new[1:] = k[1:] != k[:-1]
        starts = np.flatnonzero(new)
        return Counts(k[starts], np.diff(np.append(starts, len(k))).astype(np.int64))
    order = np.argsort(keys, kind="stable")  # stable: the rows of equal keys stay ascending, so repeats are adjacent
    k, r = keys[order], owner[order]
    new_key = np.ones(len(k), dtype=bool)
    new_key[1:] = k[1:] != k[:-1]
    new_pair = new_key.copy()
    new_pair[1:] |= r[1:] != r[:-1]
    starts = np.flatnonzero(new_key)
    tf = np.diff(np.append(starts, len(k)))
    df = np.add.reduceat(new_pair.astype(np.int64), starts)
    return Counts(k[starts], tf.astype(np.int64), df.astype(np.int64))


def merge(parts: list[Counts]) -> Counts:
    """The sum of several Counts (documents summed too: they are counted over disjoint rows)."""
    with_df = all(p.df is not None for p in parts)
    parts = [p for p in parts if len(p.keys)]
    if not parts:
        return empty(with_df)
    if len(parts) == 1:
        return parts[0]
    keys = np.concatenate([p.keys for p in parts])
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    new = np.ones(len(keys), dtype=bool)
    new[1:] = keys[1:] != keys[:-1]
    starts = np.flatnonzero(new)
    del new

    def summed(values: list[np.ndarray]) -> np.ndarray:
        return np.add.reduceat(np.concatenate(values).astype(np.int64)[order], starts)

    tf = summed([p.tf for p in parts])
    df = summed([p.df for p in parts if p.df is not None]) if with_df else None
    return Counts(keys[starts], tf, df)


class Summing:
    """Counts added one at a time, merged as they come (like a binary counter), so memory stays
    near twice the distinct units of the total however many chunks there are."""

    def __init__(self, with_df: bool) -> None:
        self.with_df = with_df
        self.stack: list[Counts] = []

    def add(self, counts: Counts) -> None:
        self.stack.append(counts)
        while len(self.stack) > 1 and len(self.stack[-2].keys) <= 2 * len(self.stack[-1].keys):
            top = self.stack.pop()
            self.stack[-1] = merge([self.stack[-1], top])

    def total(self) -> Counts:
        return merge(self.stack) if self.stack else empty(self.with_df)


def subtract(whole: Counts, part: Counts) -> Counts:
    """whole minus part, where part's units are all in whole (tokens only); keys with no tokens left stay, at zero."""
    tf = np.array(whole.tf, dtype=np.int64)
    if len(part.keys):
        tf[np.searchsorted(whole.keys, part.keys)] -= part.tf
    return Counts(whole.keys, tf)


def count(part: Part, rows: np.ndarray, n: int, base: int, with_df: bool,
          check: Callable[[], None] | None = None) -> Counts:
    """The counts of every unit of n forms in these rows of a part (ascending)."""
    found = Summing(with_df)
    for chunk in chunks(part, rows):
        keys, owner = units(part, chunk, n, base)
        found.add(reduce(keys, owner if with_df else None))
        if check is not None:
            check()
    return found.total()


def doc_freq(part: Part, rows: np.ndarray, n: int, base: int, wanted: np.ndarray,
             check: Callable[[], None] | None = None) -> np.ndarray:
    """The documents among these rows holding each of the wanted unit keys (a few hundred at most), in their order."""
    out = np.zeros(len(wanted), dtype=np.int64)
    if not len(wanted):
        return out
    order = np.argsort(wanted, kind="stable")
    ordered = np.asarray(wanted, dtype=np.int64)[order]
    div = base ** (n - 1)
    first = np.zeros(base, dtype=bool)  # the first forms of the wanted units: most units are ruled out by a look-up
    first[ordered // div] = True
    for chunk in chunks(part, rows):
        keys, owner = units(part, chunk, n, base)
        maybe = np.flatnonzero(first[keys // div]) if len(keys) else keys
        if len(maybe):
            at = np.minimum(np.searchsorted(ordered, keys[maybe]), len(ordered) - 1)
            hit = ordered[at] == keys[maybe]
            if hit.any():
                width = len(chunk) + 1
                pairs = np.unique(at[hit] * width + owner[maybe][hit])  # each (unit, row) once
                out[order] += np.bincount(pairs // width, minlength=len(ordered))
        if check is not None:
            check()
    return out


# ----- the counts each part keeps on disk


def paths(prefix: Path, n: int) -> tuple[Path, Path]:
    return Path(f"{prefix}.ng{n}.keys"), Path(f"{prefix}.ng{n}.tf")


def write(prefix: Path, part: Part, forms: int) -> dict[str, object] | None:
    """Write a part's counts of every precomputed unit size over all its rows; what the manifest records of them."""
    base = radix(forms)
    sizes = [n for n in PRECOMPUTED if fits(forms, n)]
    if not sizes:
        return None
    rows = np.arange(part.rows, dtype=np.int64)
    for n in sizes:
        counts = count(part, rows, n, base, with_df=False)
        keys_path, tf_path = paths(prefix, n)
        for path, values, dtype in ((keys_path, counts.keys, "<i8"), (tf_path, counts.tf, "<i4")):
            tmp = path.with_name(path.name + ".tmp")
            np.ascontiguousarray(values, dtype=dtype).tofile(tmp)
            tmp.replace(path)
    return {"radix": base, "n": sizes}
