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

import gc
import io
import pickle
import struct
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, WHOOSH3_HEADER_MAGIC, W3LeafMatcher, _lenfield
from whoosh.matching.wrappers import FilterMatcher
from whoosh.util.numeric import byte_to_length

_LENGTHS = np.array([byte_to_length(i) for i in range(256)], dtype=np.float64)
_PICKLE_HEAD = b"\x80\x02"  # protocol 2, as Whoosh's Positions format writes each value
_INT_SIZE = 4  # the position count Whoosh puts before each pickled value
_BLOCK_LENGTH = struct.Struct("!i")


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while decoding creates many short-lived lists and tuples.

    Unpickling a common word's blocks makes hundreds of thousands of objects, and each few hundred
    trigger a collection that walks them all: a quarter of the time at 10x Reuters. Reference
    counting still frees them; only cycle detection waits. Another thread may re-enable it
    sooner, which is harmless.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Unsupported(Exception):
    """The index or query uses something this reader does not decode; use Whoosh's matchers."""


@dataclass
class Span:
    """One word's postings in one segment, from the frequent-word store (hot.py); positions are read on first use."""

    starts: np.ndarray  # int64, one more than postings: where each posting's positions begin, from 0
    path: Path
    offset: int  # positions, not bytes
    count: int
    _positions: np.ndarray | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def positions(self) -> np.ndarray:
        with self._lock:
            if self._positions is None:
                self._positions = np.fromfile(self.path, dtype=np.int32, count=self.count, offset=self.offset * 4)
                if len(self._positions) != self.count:
                    raise Unsupported(f"{self.path.name} is shorter than its manifest says")
            return self._positions


@dataclass
class TermPostings:
    """One term's postings over the whole reader: document numbers (sorted) and weights."""

    docs: np.ndarray  # int64
    weights: np.ndarray  # float64, the term frequency times the field boost
    # Per block, for positions: (first row, Whoosh's raw values) or, for a segment whose store holds
    # the word, (first row, Span), one block for the whole segment.
    values: list[tuple[int, tuple[bytes, ...] | Span]]
    # Blocks whose positions were decoded: block -> (row of each position, position). Kept with
    # the postings, so a cached word decodes each block once.
    decoded: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)


EMPTY = TermPostings(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), [])


class Stored(Protocol):
    """The frequent-word store of a build (hot.Store): a word's postings in one segment, if it holds them."""

    def read(self, leaf: Any, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray, Span] | None: ...


class PostingReader:
    """Reads postings, field lengths and positions from one Whoosh reader (one thread's)."""

    def __init__(self, reader: Any, stored: Stored | None = None) -> None:
        self.reader = reader
        self.stored = stored
        self.leaves: list[tuple[Any, int]] = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
        self.size = reader.doc_count_all()

    def term(self, fieldname: str, text: bytes) -> TermPostings:
        """Every posting of one term, across segments (deleted documents included)."""
        docs: list[np.ndarray] = []
        weights: list[np.ndarray] = []
        values: list[tuple[int, tuple[bytes, ...] | Span]] = []
        row = 0
        for leaf, offset in self.leaves:
            found = self.stored.read(leaf, fieldname, text) if self.stored is not None else None
            if found is not None:
                ids, block_weights, span = found
                docs.append(ids + offset)
                weights.append(block_weights)
                values.append((row, span))
                row += len(ids)
                continue
            if (fieldname, text) not in leaf:
                continue
            matcher = leaf.postings(fieldname, text)
            if isinstance(matcher, FilterMatcher):  # deleted documents are masked by the caller
                matcher = matcher.child
            if not isinstance(matcher, W3LeafMatcher):
                raise Unsupported(type(matcher).__name__)
            with _collector_paused():
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
    """(ids, weights, values) of each block of a W3 posting list, ids absolute within the segment.

    The whole list is read with one call and its blocks parsed here: Whoosh's matcher reads each
    block's header a byte at a time through the compound file (about 20 reads a block).
    Layout per block: a signed big-endian int (the block's byte length, negative for the last
    block), a pickled info tuple (count, last id, max weight, compression, min and max length),
    then the pickled (ids, weights, values) tuple, zlib-compressed when compression is set.
    """
    if matcher._byteids:
        raise Unsupported("byte ids")
    extent = matcher._length
    # Whoosh 2.7 reads the extent's length back from the terms file as a 1-tuple.
    length = extent[0] if isinstance(extent, tuple) else extent
    raw = matcher._postfile.get(matcher._startoffset, length)
    if raw[:4] != WHOOSH3_HEADER_MAGIC:
        raise Unsupported("posting list without the W3 header")
    stream = io.BytesIO(raw)
    at = 4
    while at < len(raw):
        (size,) = _BLOCK_LENGTH.unpack_from(raw, at)
        end = at + _BLOCK_LENGTH.size + abs(size)
        stream.seek(at + _BLOCK_LENGTH.size)
        info = pickle.load(stream)  # the index's own bytes
        count, compression = info[0], info[3]
        data = raw[stream.tell():end]
        raw_ids, raw_weights, raw_values = pickle.loads(zlib.decompress(data) if compression else data)
        ids = np.cumsum(np.asarray(raw_ids, dtype=np.int64))
        if raw_weights is None:
            block_weights = np.ones(count, dtype=np.float64)
        elif isinstance(raw_weights, float):
            block_weights = np.full(count, raw_weights, dtype=np.float64)
        else:
            block_weights = np.asarray(raw_weights, dtype=np.float64)
        yield ids, block_weights, raw_values if isinstance(raw_values, tuple) else ()
        if size < 0:
            return
        at = end


def positions(postings: TermPostings, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the term in the given rows of its postings: (row of each position, position).

    `rows` must be sorted and unique. Every Whoosh block holding one of the rows is decoded whole, once (see
    TermPostings.decoded); the blocks not decoded yet are decoded together, in one pass. A stored
    segment's positions are sliced out of its arrays.
    """
    if not len(rows):
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.array([first for first, _ in postings.values], dtype=np.int64)
    blocks = np.unique(np.searchsorted(starts, rows, side="right") - 1).tolist()
    missing = [block for block in blocks if block not in postings.decoded and not isinstance(postings.values[block][1], Span)]
    if missing:
        with _collector_paused():
            postings.decoded.update(_decode_blocks(postings, missing))
    owners: list[np.ndarray] = []
    found: list[np.ndarray] = []
    everything = len(rows) == len(postings.docs)  # rows are sorted and unique: all of them
    for block in blocks:
        first, value = postings.values[block]
        if isinstance(value, Span):
            end = postings.values[block + 1][0] if block + 1 < len(postings.values) else len(postings.docs)
            lo, hi = np.searchsorted(rows, [first, end])
            mine = rows[lo:hi]
            begin = value.starts[mine - first]
            counts = value.starts[mine - first + 1] - begin
            # Each row's positions are a run in the span: its start, plus 0, 1, ... counts - 1.
            total = int(counts.sum())
            shift = np.repeat(begin - (np.cumsum(counts) - counts), counts)
            owners.append(np.repeat(mine, counts))
            found.append(value.positions()[shift + np.arange(total)].astype(np.int64))
        else:
            owner, pos = postings.decoded[block]
            if everything:
                owners.append(owner)
                found.append(pos)
                continue
            wanted = np.isin(owner, rows)
            owners.append(owner[wanted])
            found.append(pos[wanted])
    return np.concatenate(owners), np.concatenate(found)


def _decode_blocks(postings: TermPostings, blocks: list[int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """(row, position) of every posting of these blocks, per block.

    Each value is Whoosh's Positions encoding: a 4-byte count, then a protocol-2 pickle of the
    delta-coded positions. The pickles are spliced into one pickled tuple, so a single C call
    decodes them all instead of one Python call per document.
    """
    lists: list[list[int]] = []
    rows: list[np.ndarray] = []
    for block in blocks:
        first, values = postings.values[block]
        if isinstance(values, Span) or not values:
            raise Unsupported("postings without positions")
        for value in (values[0], values[-1]):
            if value[_INT_SIZE:_INT_SIZE + 2] != _PICKLE_HEAD or value[-1:] != b".":
                raise Unsupported("positions in an unknown encoding")
        lists += pickle.loads(b"\x80\x02(" + b"".join([v[_INT_SIZE + 2:-1] for v in values]) + b"t.")  # the index's own bytes
        rows.append(np.arange(first, first + len(values), dtype=np.int64))
    counts = np.fromiter(map(len, lists), dtype=np.int64, count=len(lists))
    deltas = np.fromiter(chain.from_iterable(lists), dtype=np.int64, count=int(counts.sum()))
    # Positions are delta-coded within each document: a running sum, restarted per document.
    running = np.cumsum(deltas)
    before = np.concatenate(([0], np.cumsum(counts)[:-1]))
    base = np.concatenate(([0], running))[before]
    owners = np.repeat(np.concatenate(rows), counts)
    found = running - np.repeat(base, counts)
    # Split back into blocks: each block's positions end where its last row's do.
    ends = np.cumsum(counts)[np.cumsum([len(r) for r in rows]) - 1]
    return dict(zip(blocks, zip(np.split(owners, ends[:-1]), np.split(found, ends[:-1]), strict=True), strict=True))
