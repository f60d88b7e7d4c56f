"""Whole posting lists read block by block into numpy arrays.

Whoosh's matchers step through postings one document at a time in Python, which made matching
and scoring about 90% of a search (51% and 42% in profiles). Its on-disk format (the W3 codec)
stores postings in blocks of up to 128: a pickled tuple of delta-coded ids, weights and values.
Reading a block at once and decoding it with numpy costs about as much as Whoosh spends on two
or three postings.

This module is the only one that knows that layout. Anything it does not recognise raises
Unsupported, and the caller falls back to Whoosh's own matchers.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from itertools import chain
from typing import Any

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

_LENGTHS = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)
_PICKLE_HEAD = b"\x80\x02"  # protocol 2, as Whoosh's Positions format writes each value
_INT_SIZE = 4  # the position count Whoosh puts before each pickled value


class Unsupported(Exception):
    """The index or query uses something this reader does not decode; use Whoosh's matchers."""


@dataclass
class TermPostings:
    """One term's postings over the whole reader: document numbers (sorted) and weights."""

    docs: np.ndarray  # int64
    weights: np.ndarray  # float64, the term frequency times the field boost
    values: list[tuple[int, tuple[bytes, ...]]]  # (first row, raw values) per block, for positions


EMPTY = TermPostings(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), [])


class PostingReader:
    """Reads postings, field lengths and positions from one Whoosh reader (one thread's)."""

    def __init__(self, reader: Any) -> None:
        self.reader = reader
        self.leaves: list[tuple[Any, int]] = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
        self.size = reader.doc_count_all()

    def term(self, fieldname: str, text: bytes) -> TermPostings:
        """Every posting of one term, across segments (deleted documents included)."""
        docs: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        values: list[tuple[int, tuple[bytes, ...]]] = []
        row = 0
        for leaf, offset in self.leaves:
            if (fieldname, text) not in leaf:
                continue
            matcher = leaf.postings(fieldname, text)
            if isinstance(matcher, FilterMatcher):  # deleted documents are masked by the caller
                matcher = matcher.child
            if not isinstance(matcher, W3LeafMatcher):
                raise Unsupported(type(matcher).__name__)
            for ids, block_weights, block_values in _blocks(matcher):
                docs.append(ids + offset)
                weights.append(block_weights)
                values.append((row, block_values))
                row += len(ids)
        if not docs:
            return EMPTY
        return TermPostings(np.concatenate(docs), np.concatenate(weights), values)

    def lengths(self, fieldname: str) -> np.ndarray:
        """Each document's length in a field, as Whoosh's scorer sees it (lossy byte encoding)."""
        out = np.zeros(self.size, dtype=np.float64)
        lenfield = _lenfield(fieldname)
        for leaf, offset in self.leaves:
            perdoc = getattr(leaf, "_perdoc", None)
            if perdoc is None or not hasattr(perdoc, "_cached_reader"):
                raise Unsupported("segment without a per-document reader")
            column = perdoc._cached_reader(lenfield, LENGTHS_COLUMN)
            if column is None:
                continue
            count = min(column._count, leaf.doc_count_all())
            raw = column._dbfile.get(column._basepos, count)
            out[offset:offset + count] = _LENGTHS[np.frombuffer(raw, dtype=np.uint8)]
        return out


def _blocks(matcher: W3LeafMatcher) -> Any:
    """(ids, weights, values) of each block of a W3 posting list, ids absolute within the segment."""
    while True:
        if matcher._data is None:
            matcher._read_data()
        raw_ids, raw_weights, raw_values = matcher._data
        count = matcher._blocklength
        if matcher._byteids:
            raise Unsupported("byte ids")
        ids = np.cumsum(np.asarray(raw_ids, dtype=np.int64))
        if raw_weights is None:
            block_weights = np.ones(count, dtype=np.float64)
        elif isinstance(raw_weights, float):
            block_weights = np.full(count, raw_weights, dtype=np.float64)
        else:
            block_weights = np.asarray(raw_weights, dtype=np.float64)
        yield ids, block_weights, raw_values if isinstance(raw_values, tuple) else ()
        if matcher._lastblock:
            return
        matcher._goto(matcher._nextoffset)


def positions(postings: TermPostings, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the term in the given rows of its postings: (row of each position, position).

    Each value is Whoosh's Positions encoding: a 4-byte count, then a protocol-2 pickle of the
    delta-coded positions. The pickles are spliced into one pickled tuple, so a single C call
    decodes every wanted value instead of one Python call per document.
    """
    if not len(rows):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.array([first for first, _ in postings.values], dtype=np.int64)
    blocks = np.searchsorted(starts, rows, side="right") - 1
    pieces: list[bytes] = []
    for block, row in zip(blocks.tolist(), rows.tolist(), strict=True):
        first, values = postings.values[block]
        try:
            value = values[row - first]
        except IndexError:
            raise Unsupported("postings without positions") from None
        if value[_INT_SIZE:_INT_SIZE + 2] != _PICKLE_HEAD or value[-1:] != b".":
            raise Unsupported("positions in an unknown encoding")
        pieces.append(value[_INT_SIZE + 2:-1])
    lists = pickle.loads(b"\x80\x02(" + b"".join(pieces) + b"t.")  # the index's own bytes
    counts = np.fromiter((len(p) for p in lists), dtype=np.int64, count=len(lists))
    deltas = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
    owner = np.repeat(np.arange(len(rows), dtype=np.int64), counts)
    # Positions are delta-coded within each document: a running sum, restarted per document.
    running = np.cumsum(deltas)
    before = np.concatenate(([0], np.cumsum(counts)[:-1]))
    base = np.concatenate(([0], running))[before]
    return rows[owner], running - np.repeat(base, counts)
