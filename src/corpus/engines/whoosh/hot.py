"""Frequent words' postings, decoded once when a build is published, in a store of corpus's own.

With every token indexed, the commonest words (*the*, *of*, *said*) have a posting in nearly every
document. Whoosh keeps each posting's positions as a pickled value inside pickled blocks, and a
search that has not met such a word in this generation spent most of its time unpickling them:
80% of a cold `"the company said"` at 10x Reuters (bench/README.md). The blocks say the same
thing every time, so the words that appear in many documents of a segment are decoded once, when
the build is published, into flat arrays beside the segment; a search then reads a few arrays.

Per segment (Whoosh segments are never rewritten once committed, so neither is their store):

- `hot-<segment>.docs` (int32): each posting's document number within the segment;
- `hot-<segment>.weights` (float32, or float64 when a weight is not exact in float32): Whoosh's weight;
- `hot-<segment>.counts` (uint32): how many positions each posting has;
- `hot-<segment>.pos` (int32): positions, rising within each posting;
- `hot-<segment>.json`, written last (so a store without it is ignored): the words, each with its
  field, bytes (hex) and the slices of the four arrays it owns.

The arrays hold exactly what Whoosh's postings hold (decoded by postings.py, the same code that
decodes them at search time), deleted documents included, so scores and matches cannot differ;
tests/test_hot.py checks it word by word. Words under MIN_DOCS in a segment stay with Whoosh: their
blocks decode in about a millisecond. The files are top-level in the build folder, so an
incremental build hard-links the stores of the segments it keeps and writes one for each new one.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np
from whoosh.filedb.filestore import FileStorage

from .postings import PostingReader, Span, Unsupported, positions

log = logging.getLogger(__name__)

FORMAT = 2  # 2: a count of positions per posting, not where they start
MIN_DOCS = 1000  # a word with at least this many postings in a segment gets its postings stored here
PREFIX = "hot-"
ARRAYS = ("docs", "weights", "counts", "pos")


def _name(folder: Path, segment: str, part: str) -> Path:
    return folder / f"{PREFIX}{segment}.{part}"


def _positional(schema: Any) -> list[str]:
    return [name for name in schema.names() if schema[name].format is not None and schema[name].format.supports("positions")]


def write(folder: Path, procs: int = 1) -> dict[str, Any]:
    """Write the store of every segment of the build that has none, and remove the stores of segments gone.

    With procs > 1, segments are written in that many processes at once (a fresh build has one
    large segment per writer process). Returns what it did: segments written, words and postings
    stored.
    """
    ix = FileStorage(str(folder), supports_mmap=False).open_index()
    try:
        with ix.reader() as reader:
            leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
            # An empty index's reader has no segment.
            sizes = {leaf.segment().segment_id(): leaf.doc_count_all() for leaf, _offset in leaves if leaf.segment() is not None}
    finally:
        ix.close()
    todo = sorted((s for s in sizes if not _current(folder, s)), key=lambda s: -sizes[s])
    for segment in todo:
        for old in folder.glob(f"{PREFIX}{segment}.*"):
            old.unlink()  # a store of another format (or half written): this build's links only
    if procs > 1 and len(todo) > 1:
        # Spawned, not forked: the ingest may hold threads and open files a fork would copy.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(procs, len(todo)), mp_context=context) as pool:
            results = list(pool.map(_write_named, [str(folder)] * len(todo), todo, [MIN_DOCS] * len(todo)))
    else:
        results = [_write_named(str(folder), segment, MIN_DOCS) for segment in todo]
    for item in folder.glob(f"{PREFIX}*"):
        if item.name[len(PREFIX):].rsplit(".", 1)[0] not in sizes:
            item.unlink()  # a merged-away segment's store; only this build's link goes
    return {"segments": len(todo), "words": sum(w for w, _ in results), "postings": sum(n for _, n in results)}


def _write_named(folder: str, segment: str, min_docs: int) -> tuple[int, int]:
    """Write one segment's store (in this process or a pool's); returns (words, postings) stored."""
    ix = FileStorage(folder, supports_mmap=False).open_index()
    try:
        with ix.reader() as reader:
            leaves = reader.leaf_readers() if hasattr(reader, "leaf_readers") else [(reader, 0)]
            for leaf, _offset in leaves:
                if leaf.segment() is not None and leaf.segment().segment_id() == segment:
                    return _write_segment(Path(folder), leaf, segment, _positional(ix.schema), min_docs)
    finally:
        ix.close()
    raise FileNotFoundError(f"segment {segment} is not in {folder}")


def _current(folder: Path, segment: str) -> bool:
    """Whether the segment has a store of this format."""
    try:
        with open(_name(folder, segment, "json"), encoding="utf-8") as fh:
            head = fh.read(64)  # the manifest starts with its format
    except FileNotFoundError:
        return False
    return head.startswith(f'{{"format":{FORMAT},')


def _write_segment(folder: Path, leaf: Any, segment: str, fieldnames: list[str], min_docs: int) -> tuple[int, int]:
    reader = PostingReader(leaf)
    terms: list[list[Any]] = []
    rows = pos_total = 0
    exact32 = True
    with ExitStack() as files:
        handles = {part: files.enter_context(open(_name(folder, segment, "weights64" if part == "weights" else part), "wb"))
                   for part in ARRAYS}
        for fieldname in fieldnames:
            for text, info in leaf.iter_field(fieldname):
                if info.doc_frequency() < min_docs:
                    continue
                try:
                    postings = reader.term(fieldname, text)
                    owner, found = positions(postings, np.arange(len(postings.docs)))
                except Unsupported:
                    continue  # Whoosh's matchers answer for it, as before
                n = len(postings.docs)
                counts = np.bincount(owner, minlength=n)
                handles["docs"].write(postings.docs.astype(np.int32).tobytes())
                handles["weights"].write(postings.weights.astype(np.float64).tobytes())
                handles["counts"].write(counts.astype(np.uint32).tobytes())
                handles["pos"].write(found.astype(np.int32).tobytes())
                exact32 = exact32 and bool(np.array_equal(postings.weights.astype(np.float32), postings.weights))
                terms.append([fieldname, bytes(text).hex(), rows, rows + n, pos_total, pos_total + len(found)])
                rows += n
                pos_total += len(found)
    wide = _name(folder, segment, "weights64")
    if exact32:
        np.fromfile(wide, dtype=np.float64).astype(np.float32).tofile(_name(folder, segment, "weights"))
        wide.unlink()
    else:
        wide.rename(_name(folder, segment, "weights"))
    for part in ARRAYS:
        with open(_name(folder, segment, part), "rb") as fh:
            os.fsync(fh.fileno())
    manifest = {"format": FORMAT, "min_docs": min_docs, "weights": "f4" if exact32 else "f8", "terms": terms}
    tmp = _name(folder, segment, "json.tmp")
    tmp.write_text(json.dumps(manifest, separators=(",", ":")), "utf-8")
    os.replace(tmp, _name(folder, segment, "json"))
    return len(terms), rows


class _Segment:
    def __init__(self, folder: Path, segment: str) -> None:
        manifest = json.loads(_name(folder, segment, "json").read_text("utf-8"))
        if manifest.get("format") != FORMAT:
            raise ValueError(f"format {manifest.get('format')}")
        self.folder, self.segment = folder, segment
        self.weight_type = np.float32 if manifest.get("weights") == "f4" else np.float64
        self.terms = {(f, bytes.fromhex(t)): (lo, hi, plo, phi) for f, t, lo, hi, plo, phi in manifest["terms"]}

    def read(self, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray, Span] | None:
        where = self.terms.get((fieldname, text))
        if where is None:
            return None
        lo, hi, plo, phi = where
        n = hi - lo
        docs = np.fromfile(_name(self.folder, self.segment, "docs"), dtype=np.int32, count=n, offset=lo * 4)
        size = np.dtype(self.weight_type).itemsize
        weights = np.fromfile(_name(self.folder, self.segment, "weights"), dtype=self.weight_type, count=n, offset=lo * size)
        counts = np.fromfile(_name(self.folder, self.segment, "counts"), dtype=np.uint32, count=n, offset=lo * 4)
        if len(docs) != n or len(weights) != n or len(counts) != n:
            raise OSError(f"the store of segment {self.segment} is shorter than its manifest says")
        starts = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(counts, out=starts[1:])
        if starts[-1] != phi - plo:
            raise OSError(f"the store of segment {self.segment} does not add up for {text!r}")
        return docs.astype(np.int64), weights.astype(np.float64), Span(starts, _name(self.folder, self.segment, "pos"), plo, phi - plo)


class Store:
    """The stores of one build's segments, opened as searches first need them (shared by a generation's threads)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._segments: dict[str, _Segment | None] = {}
        self._lock = threading.Lock()

    def _segment(self, segment: str) -> _Segment | None:
        with self._lock:
            if segment in self._segments:
                return self._segments[segment]
        try:
            found: _Segment | None = _Segment(self.folder, segment)
        except FileNotFoundError:
            found = None  # a build published before this store existed, or a segment under MIN_DOCS throughout
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("ignoring the frequent-word store of segment %s in %s: %s", segment, self.folder, exc)
            found = None
        with self._lock:
            self._segments[segment] = found
        return found

    def read(self, leaf: Any, fieldname: str, text: bytes) -> tuple[np.ndarray, np.ndarray, Span] | None:
        """(segment-local document numbers, weights, positions span) of a word in a leaf reader, or None."""
        try:
            segment = self._segment(leaf.segment().segment_id())
        except AttributeError:  # a reader without a segment (an empty index)
            return None
        if segment is None:
            return None
        try:
            return segment.read(fieldname, text)
        except OSError as exc:
            log.warning("reading %r from the frequent-word store of %s: %s", text, self.folder, exc)
            return None
