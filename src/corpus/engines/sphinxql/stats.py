"""Statistics over the whole corpus for ranking: Sphinx's global IDF file, written by corpus.

Without it every shard computes IDF from its own documents, so the same query ranks differently
on 1, 2 or 4 shards. Sphinx 2.2 can rank with a `global_idf` file instead (the index directive,
plus `OPTION global_idf=1` on the query; the ranker passes each keyword through
CSphIndex::GetGlobalIDF, which works for real-time indexes as for plain ones: only the
*building* of the file with `indextool --dumpdict` needs plain indexes' disk files). corpus
analyses every word itself, so it knows each term's document frequency over the whole build
exactly (deletes included, which a dictionary dump of an RT index does not), and writes the
file in Sphinx's own layout (src/sphinx.cpp, CSphGlobalIDF::Preread): the total number of
documents as an int64, then (FNV-1a 64 of the keyword, documents as uint32) pairs sorted by hash.

searchd reads the file at start and, with `seamless_rotate = 0`, again on SIGHUP when its mtime
changed; no SphinxQL statement reloads it in 2.2. So the writer signals the shard daemons whose
pid files are in the statistics folder, then asks every copy of every shard a probe query whose
weight depends only on a number written into this file (the probe row's keyword, chosen so its
weight differs from the previous file's), and publishes only when every copy answers with it.
"""

from __future__ import annotations

import math
import os
import secrets
import signal
from collections.abc import Mapping
from pathlib import Path

import numpy as np

PROBE_TERM = "zzcorpusidfprobe"
PROBE_ID = 1  # the probe row's Sphinx id; codec.doc_number never gives 1
PROBE_RANKER = "ranker=expr('sum(max_idf)*1000000'), global_idf=1"
IDF_RECORD = np.dtype([("word", "<u8"), ("docs", "<u4")])  # packed: 12 bytes, as CSphGlobalIDF::IDFWord_t

FNV_OFFSET = 0xCBF29CE484222325
FNV_PRIME = 0x100000001B3
MASK = (1 << 64) - 1


def fnv64(word: str) -> int:
    """Sphinx's sphFNV64 of a keyword (FNV-1a, 64 bits, over its UTF-8 bytes)."""
    value = FNV_OFFSET
    for byte in word.encode("utf-8"):
        value = ((value ^ byte) * FNV_PRIME) & MASK
    return value


def idf_path(folder: Path, slot: str) -> Path:
    """The global IDF file the shards' indexes of one slot read."""
    return Path(folder) / f"corpus_{slot}.idf"


def words_path(folder: Path, slot: str) -> Path:
    """The sorted list of every keyword of one slot's build: what prefixes and wildcards expand against."""
    return Path(folder) / f"corpus_{slot}.words"


def write_words(path: Path, words: list[str]) -> None:
    """Write the sorted word list (write and rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text("\n".join(sorted(words)) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_words(path: Path) -> list[str] | None:
    """The sorted word list of a slot, or None when there is none."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return None
    return [w for w in text.split("\n") if w]


def pid_folder(folder: Path) -> Path:
    """Where the shard daemons on this machine keep their pid files (the ones to signal)."""
    return Path(folder) / "pids"


def read_probe(path: Path) -> tuple[int, int] | None:
    """(total, probe count) of the file now at path, or None."""
    try:
        raw = Path(path).read_bytes()
    except OSError:
        return None
    if len(raw) < 8 or (len(raw) - 8) % IDF_RECORD.itemsize:
        return None
    records = np.frombuffer(raw, dtype=IDF_RECORD, offset=8)
    found = records[records["word"] == np.uint64(fnv64(PROBE_TERM))]
    return int(np.frombuffer(raw[:8], dtype="<i8")[0]), int(found["docs"][0]) if len(found) else 0


def new_probe(total: int, old: tuple[int, int] | None) -> int:
    """A document count for the probe keyword whose weight differs from the old file's, when one can."""
    before = probe_weight(old[1], old[0]) if old and old[1] else None
    choice = 1
    for _ in range(32):
        choice = 1 + secrets.randbelow(max(1, total))
        if probe_weight(choice, total) != before:
            break
    return choice


def write_idf(path: Path, df: Mapping[str, int], total: int, probe: int) -> None:
    """Write the global IDF file (by write and rename, so a daemon never reads half of one)."""
    words = np.fromiter((fnv64(w) for w in df), dtype=np.uint64, count=len(df))
    docs = np.fromiter((min(int(c), 0xFFFFFFFF) for c in df.values()), dtype=np.uint64, count=len(df))
    words = np.append(words, np.uint64(fnv64(PROBE_TERM)))
    docs = np.append(docs, np.uint64(probe))
    order = np.argsort(words, kind="stable")
    words, docs = words[order], docs[order]
    # Two keywords with one hash (not seen in practice) are one entry whose count is their sum.
    unique, starts = np.unique(words, return_index=True)
    summed = np.add.reduceat(docs, starts) if len(words) else docs
    records = np.empty(len(unique), dtype=IDF_RECORD)
    records["word"] = unique
    records["docs"] = np.minimum(summed, 0xFFFFFFFF)
    tmp = path.with_name(path.name + ".tmp")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as fh:
        fh.write(np.int64(total).tobytes())
        fh.write(records.tobytes())
        fh.flush()
        os.fsync(fh.fileno())
    # searchd reloads only when the mtime (in whole seconds) changed: never reuse the last one.
    try:
        before = int(path.stat().st_mtime)
    except OSError:
        before = 0
    stamp = max(int(os.stat(tmp).st_mtime), before + 1)
    os.utime(tmp, (stamp, stamp))
    os.replace(tmp, path)


def empty_idf(path: Path) -> None:
    """A valid file with no keywords, for a slot nothing was written to yet (searchd wants one at start)."""
    if not path.exists():
        write_idf(path, {}, 0, 1)


def probe_weight(probe: int, total: int) -> int:
    """The WEIGHT() the probe query gives when a daemon has loaded the file written with these numbers."""
    docs = probe
    clamped = max(total, docs)
    # CSphGlobalIDF::GetIDF, in single precision as searchd computes it. Measured on 2.2.11: with
    # the default idf option it computes log(N/n) (its two branches are the other way round from
    # the local IDF's), which is never negative; corpus ranks with that default.
    log_total = np.float32(math.log(np.float32(1 + clamped)))
    idf = np.float32(np.float32(math.log(np.float32(clamped) / np.float32(docs))) / (np.float32(2) * log_total))
    return int(idf * 1000000)


def signal_daemons(folder: Path) -> list[int]:
    """SIGHUP every searchd whose pid file is in the folder's pids/ (those on this machine)."""
    signalled = []
    for pid_file in sorted(pid_folder(folder).glob("*.pid")):
        try:
            pid = int(pid_file.read_text().split()[0])
            with open(f"/proc/{pid}/comm") as fh:
                if fh.read().strip() != "searchd":
                    continue
            os.kill(pid, signal.SIGHUP)
        except (OSError, ValueError, IndexError):
            continue
        signalled.append(pid)
    return signalled
