"""The token store: every article's tokens, as ids, with their character offsets, written per build.

A concordance sorted by the word after every occurrence of `said`, or the collocates of a word
over all its occurrences, needs each token's neighbours. Re-reading and re-tokenising every
stored body per request costs seconds on Reuters; this forward index costs milliseconds. It is
engine-neutral: any engine's writer feeds it the same Article values, and any engine's searches
are read against it by document id.

For each article, title and body are analysed as the index analyses them (`analysis.analyze`,
the same positions as the index's postings) and stored as two segments of tokens. Each token has:

- `term`: an id into the vocabulary of index terms (folded and stemmed in the article's language),
  what query patterns are matched against;
- `form`: an id into the vocabulary of folded word forms (case and accents folded, not stemmed),
  what sort keys and collocates are made of;
- `start`, `end`: character offsets in the stored text, so a context is cut from the text as
  written without tokenising it again.

Layout in the build folder (top-level files, so `indexdir.clone_build` hard-links them):
`tokens.json` (the manifest: parts and their dead rows), `tokens-terms.txt` and
`tokens-forms.txt` (vocabularies, one word a line), and per part `tokens-<part>.<array>` raw
little-endian arrays plus `tokens-<part>.docs.json` (ids and languages), and the part's counts of
two- and three-word units, `tokens-<part>.ng<n>.keys` and `.tf` (concord/ngrams.py). Parts are never written
again once committed; an incremental ingest adds a part and marks replaced or deleted rows dead
in a new manifest (written to a new file and renamed, so the served build's links stay as they were).
"""

from __future__ import annotations

import json
import mmap
import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

from .. import analysis
from ..analysis import tokenize as tokenize_module
from ..documents import Article
from ..errors import NoTokenStore
from . import ngrams

MANIFEST = "tokens.json"
TERMS = "tokens-terms.txt"
FORMS = "tokens-forms.txt"
FORMAT = 1
ARRAYS = {"term": np.int32, "form": np.int32, "start": np.int32, "end": np.int32}
MAX_PARTS = 8  # more parts than this (one per incremental ingest) are merged into one at the next commit
TITLE, BODY = 0, 1  # each document is two segments: 2*row (title) and 2*row + 1 (body)
FIELDS = ("title", "body")


def exists(folder: Path) -> bool:
    """Whether a build holds a token store of this format."""
    try:
        return int(json.loads((folder / MANIFEST).read_text("utf-8")).get("format", 0)) == FORMAT
    except (OSError, ValueError, AttributeError):
        return False


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _read_words(path: Path) -> list[str]:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return []
    return text.split("\n")[:-1] if text else []


class Vocabulary:
    """Words to ids, append-only within a build's history (ids of earlier parts stay valid)."""

    def __init__(self, words: list[str]) -> None:
        self.words = words
        self.ids = {w: i for i, w in enumerate(words)}
        self.saved = len(words)

    def id(self, word: str) -> int:
        found = self.ids.get(word)
        if found is None and "\n" in word:  # one word a line in the file
            return self.id(word.replace("\n", " "))
        if found is None:
            found = self.ids[word] = len(self.words)
            self.words.append(word)
        return found

    def text(self) -> str:
        return "".join(w + "\n" for w in self.words)


class _Part:
    """One part being written: arrays appended to files as articles come."""

    def __init__(self, folder: Path) -> None:
        self.name = f"{time.time_ns():x}"
        self.folder = folder
        self.files: dict[str, IO[bytes]] = {
            name: open(folder / f"tokens-{self.name}.{name}", "wb") for name in ARRAYS  # noqa: SIM115
        }
        self.seg = [0]
        self.ids: list[str] = []
        self.languages: list[str] = []
        self.tokens = 0

    def add(self, doc_id: str, language: str, segments: list[Tokens]) -> int:
        for terms, forms, starts, ends in segments:
            for name, values in (("term", terms), ("form", forms), ("start", starts), ("end", ends)):
                self.files[name].write(np.ascontiguousarray(values, dtype="<i4").tobytes())
            self.tokens += len(terms)
            self.seg.append(self.tokens)
        self.ids.append(doc_id)
        self.languages.append(language)
        return len(self.ids) - 1

    def close(self) -> None:
        for fh in self.files.values():
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        np.asarray(self.seg, dtype="<i8").tofile(self.folder / f"tokens-{self.name}.seg")
        _write_atomic(self.folder / f"tokens-{self.name}.docs.json",
                      json.dumps({"ids": self.ids, "languages": self.languages}, ensure_ascii=False))

    def remove(self) -> None:
        for fh in self.files.values():
            fh.close()
        for path in self.folder.glob(f"tokens-{self.name}.*"):
            path.unlink(missing_ok=True)


# (term id, form id) of a token by its text as written, per language: corpora repeat words, and
# folding costs far more than a look-up. Bounded like the analyzer's own caches.
_CACHE_LIMIT = 200_000


Tokens = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # term ids, form ids, starts, ends


def tokenize(text: str, language: str, terms: Vocabulary, forms: Vocabulary, cache: dict[str, int] | None = None) -> Tokens:
    """One text's tokens as (term ids, form ids, starts, ends), positions as the index numbers them.

    `cache` maps a token as written to its ids, packed as term id * 2**32 + form id.
    """
    cache = {} if cache is None else cache
    get = cache.get
    if text.isascii() and _ASCII_WORDS is not None:
        # Every token of ASCII text is a word matched by the tokenizer's own ASCII pattern, and a
        # word's ids depend on its text alone: the pattern's C loop and one look-up per word,
        # without a Token per word (two thirds of the time otherwise).
        words = _ASCII_WORDS.findall(text)
        starts = np.fromiter((m.start() for m in _ASCII_WORDS.finditer(text)), dtype=np.int64, count=len(words))
        ends = starts + np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        term = analysis.analyzer(language).term
        packed = [get(w, -1) for w in words]
        if -1 in packed:
            for i, found in enumerate(packed):
                if found < 0:
                    packed[i] = _pack(words[i], term(words[i]), terms, forms, cache)
    else:
        packed, spans = [], []
        for tok in analysis.analyze(text, language):
            found = get(tok.text, -1)
            packed.append(found if found >= 0 else _pack(tok.text, tok.term, terms, forms, cache))
            spans.append(tok.start)
            spans.append(tok.end)
        offsets = np.asarray(spans, dtype=np.int64)
        starts, ends = offsets[0::2], offsets[1::2]
    ids = np.asarray(packed, dtype=np.int64)
    return ids >> 32, ids & 0xFFFFFFFF, starts, ends


def _pack(written: str, term: str, terms: Vocabulary, forms: Vocabulary, cache: dict[str, int]) -> int:
    value = terms.id(term) << 32 | forms.id(analysis.fold(written))
    if len(cache) >= _CACHE_LIMIT:
        cache.clear()
    cache[written] = value
    return value


def _ascii_words() -> re.Pattern[str] | None:
    """The tokenizer's pattern for ASCII text, when it is the plain regex that `spans` uses for it."""
    pattern = getattr(tokenize_module, "_ASCII_RE", None)
    probe = "U.S. o'neil 3.5 x_y"
    if isinstance(pattern, re.Pattern) and [m.span() for m in pattern.finditer(probe)] == \
            [(s, e) for _, s, e in tokenize_module.spans(probe)]:
        return pattern
    return None


_ASCII_WORDS = _ascii_words()


class StoreWriter:
    """The token store of one build being written; mirrors an IndexWriter's put, delete, commit, cancel."""

    def __init__(self, folder: Path, fresh: bool) -> None:
        self.folder = folder
        if fresh:
            for path in folder.glob("tokens*"):
                path.unlink()
            manifest: dict[str, Any] = {"format": FORMAT, "parts": []}
        else:
            manifest = json.loads((folder / MANIFEST).read_text("utf-8"))
        self.parts: list[dict[str, Any]] = manifest["parts"]  # {"name", "dead": [rows]}
        self.terms = Vocabulary(_read_words(folder / TERMS))
        self.forms = Vocabulary(_read_words(folder / FORMS))
        self.live: dict[str, tuple[int, int]] = {}  # committed id -> (part index, row)
        for index, part in enumerate(self.parts):
            ids = json.loads((folder / f"tokens-{part['name']}.docs.json").read_text("utf-8"))["ids"]
            dead = set(part["dead"])
            for row, doc_id in enumerate(ids):
                if row not in dead:
                    self.live[doc_id] = (index, row)
        self._part: _Part | None = None
        self._pending: dict[str, int] = {}  # id -> row in the part being written
        self._deleted: list[tuple[int, int]] = []
        self._caches: dict[str, dict[str, int]] = {}
        if fresh:
            self._save()

    def put(self, article: Article) -> None:
        """Add an article's tokens (a changed article's old version is removed by delete())."""
        if self._part is None:
            self._part = _Part(self.folder)
        language = article.language
        cache = self._caches.setdefault(language, {})
        segments = [tokenize(article.title, language, self.terms, self.forms, cache),
                    tokenize(article.body, language, self.terms, self.forms, cache)]
        self._pending[article.id] = self._part.add(article.id, language, segments)

    def delete(self, doc_id: str) -> None:
        """Remove the committed version of an article (or, failing that, one put since the last commit)."""
        found = self.live.pop(doc_id, None)
        if found is not None:
            self._deleted.append(found)
        else:
            self._pending.pop(doc_id, None)

    def commit(self) -> None:
        """Make what was put and deleted durable: the part is closed and a new manifest written."""
        if self._part is not None:
            part = self._part
            part.close()
            index = len(self.parts)
            kept = set(self._pending.values())
            self.parts.append({"name": part.name, "dead": [r for r in range(len(part.ids)) if r not in kept]})
            for doc_id, row in self._pending.items():
                old = self.live.get(doc_id)
                if old is not None:
                    self._deleted.append(old)
                self.live[doc_id] = (index, row)
        for index, row in self._deleted:
            self.parts[index]["dead"].append(row)
        self._part, self._pending, self._deleted = None, {}, []
        if len(self.parts) > MAX_PARTS:
            self._compact()
        self._save()
        self._count_units()

    def _count_units(self) -> None:
        """Write the unit counts of every part that lacks them in the vocabulary's radix (new parts, and
        the parts of a build made before the counts existed), then the manifest that records them."""
        forms = len(self.forms.words)
        missing = [entry for entry in self.parts if (entry.get("ngrams") or {}).get("radix") != ngrams.radix(forms)]
        for entry in missing:
            part = open_part(self.folder, entry, forms)
            entry["ngrams"] = ngrams.write(self.folder / f"tokens-{entry['name']}", part, forms)
        if missing:
            self._save()

    def _compact(self) -> None:
        """Rewrite the live rows of every part as one part, so reads do not loop over many small ones.

        The old parts' files are only unlinked from this build's folder: a served build that links
        them keeps them.
        """
        store = TokenStore.open(self.folder, self.parts)
        merged = _Part(self.folder)
        live: dict[str, tuple[int, int]] = {}
        for part in store.parts:
            for row in np.flatnonzero(part.live).tolist():
                segments = []
                for seg in (2 * row, 2 * row + 1):
                    a, b = int(part.seg[seg]), int(part.seg[seg + 1])
                    segments.append((part.term[a:b], part.form[a:b], part.start[a:b], part.end[a:b]))
                live[part.ids[row]] = (0, merged.add(part.ids[row], part.languages[row], segments))
        merged.close()
        old = [entry["name"] for entry in self.parts]
        self.parts, self.live = [{"name": merged.name, "dead": []}], live
        self._save()
        for name in old:
            for path in self.folder.glob(f"tokens-{name}.*"):
                path.unlink(missing_ok=True)

    def _save(self) -> None:
        if len(self.terms.words) != self.terms.saved or not (self.folder / TERMS).exists():
            _write_atomic(self.folder / TERMS, self.terms.text())
            self.terms.saved = len(self.terms.words)
        if len(self.forms.words) != self.forms.saved or not (self.folder / FORMS).exists():
            _write_atomic(self.folder / FORMS, self.forms.text())
            self.forms.saved = len(self.forms.words)
        for part in self.parts:
            part["dead"] = sorted(set(part["dead"]))
        _write_atomic(self.folder / MANIFEST, json.dumps({"format": FORMAT, "parts": self.parts}))

    def cancel(self) -> None:
        """Forget what was put and deleted since the last commit."""
        if self._part is not None:
            self._part.remove()
        for index, row in self._deleted:
            ids = json.loads((self.folder / f"tokens-{self.parts[index]['name']}.docs.json").read_text("utf-8"))["ids"]
            self.live[ids[row]] = (index, row)
        self._part, self._pending, self._deleted = None, {}, []


# ----- reading


def _mapping(values: np.ndarray) -> mmap.mmap | None:
    """The mmap under an array made by _array (None for an empty one, which maps nothing)."""
    base: Any = values
    while base is not None and not isinstance(base, mmap.mmap):
        base = getattr(base, "_mmap", None) or getattr(base, "base", None)
    return base if isinstance(base, mmap.mmap) else None


def _array(path: Path, dtype: Any) -> np.ndarray:
    if not path.exists() or path.stat().st_size == 0:
        return np.zeros(0, dtype=dtype)
    # A plain ndarray over the mapping: numpy's memmap subclass costs a Python call per item read.
    return np.asarray(np.memmap(path, dtype=dtype, mode="r"))


@dataclass
class Part:
    """One committed part, memory-mapped."""

    name: str
    ids: list[str]
    languages: list[str]
    live: np.ndarray  # bool per row
    seg: np.ndarray  # int64, segment starts (2 per row) and the end
    term: np.ndarray
    form: np.ndarray
    start: np.ndarray
    end: np.ndarray
    form_path: Path | None = None  # the form array's file, for reads that should not go through the mapping
    unit_counts: dict[int, ngrams.Counts] = field(default_factory=dict)  # per n: counts of units of n forms, all rows

    _language_codes: tuple[list[str], np.ndarray] | None = field(default=None, init=False, repr=False)

    @property
    def rows(self) -> int:
        return len(self.ids)

    def in_languages(self, languages: frozenset[str]) -> np.ndarray:
        """Which rows are articles in one of the languages."""
        if self._language_codes is None:
            names = sorted(set(self.languages))
            code = {name: i for i, name in enumerate(names)}
            self._language_codes = (names, np.fromiter((code[x] for x in self.languages), dtype=np.int16, count=self.rows))
        names, codes = self._language_codes
        table = np.array([name in languages for name in names] or [False], dtype=bool)
        return table[codes] if len(codes) else np.zeros(0, dtype=bool)

    def lengths(self) -> np.ndarray:
        """Tokens per row (title and body)."""
        return self.seg[2::2] - self.seg[0:-1:2]

    def release(self) -> None:
        """Let go of the pages of this part's mapped arrays that this process has touched.

        The pages stay in the kernel's page cache (shared by every worker); the next read of one
        maps it again without reading the disk. A long scan calls this as it goes, so that what the
        process holds does not grow with the length of the scan.
        """
        for values in (self.seg, self.term, self.form, self.start, self.end):
            mapping = _mapping(values)
            if mapping is not None:
                mapping.madvise(mmap.MADV_DONTNEED)


@dataclass
class TokenStore:
    """A build's token store, read-only: parts, vocabularies, and the order of word forms."""

    folder: Path
    parts: list[Part]
    terms: list[str]
    forms: list[str]
    term_ids: dict[str, int]
    form_ids: dict[str, int]
    _form_rank: np.ndarray | None = None
    _aligned: dict[int, tuple[Any, list[np.ndarray]]] = field(default_factory=dict)
    _derived: dict[tuple[int, str], tuple[Any, np.ndarray]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(cls, folder: Path, entries: list[dict[str, Any]] | None = None) -> TokenStore:
        """The store of a build folder (with `entries`, those parts rather than the manifest's)."""
        if entries is None:
            entries = json.loads((folder / MANIFEST).read_text("utf-8"))["parts"]
        terms = _read_words(folder / TERMS)
        forms = _read_words(folder / FORMS)
        parts = [open_part(folder, entry, len(forms)) for entry in entries]
        return cls(folder, parts, terms, forms, {t: i for i, t in enumerate(terms)}, {f: i for i, f in enumerate(forms)})

    @property
    def form_rank(self) -> np.ndarray:
        """The alphabetical rank of each word form (its folded spelling), for sort keys."""
        if self._form_rank is None:
            order = np.argsort(np.array(self.forms, dtype=object), kind="stable")
            rank = np.empty(len(self.forms) + 1, dtype=np.int64)
            rank[order] = np.arange(1, len(self.forms) + 1)
            rank[-1] = 0  # the id -1 (no word: the start or end of a text) sorts first
            self._form_rank = rank
        return self._form_rank

    def aligned(self, ids: list[str]) -> list[np.ndarray]:
        """For each part, the engine's document number of each row (-1 when the row is not served).

        `ids` is the engine's id of each document number; the alignment is cached per list.
        """
        key = id(ids)
        with self._lock:
            found = self._aligned.get(key)
            if found is not None and found[0] is ids:
                return found[1]
        number = {doc_id: n for n, doc_id in enumerate(ids) if doc_id}
        out = []
        for part in self.parts:
            docnums = np.fromiter((number.get(i, -1) for i in part.ids), dtype=np.int64, count=part.rows)
            docnums[~part.live] = -1
            out.append(docnums)
        with self._lock:
            self._aligned = {key: (ids, out)}  # only the newest engine version is worth keeping
        return out

    def cached(self, ids: list[str], name: str, make: Any, keep: int = 0) -> np.ndarray:
        """A value derived from one served version's documents (by its id list), made once.

        Names sharing a prefix before "-" are kept `keep` at a time (the oldest goes), when keep > 0.
        """
        key = (id(ids), name)
        with self._lock:
            found = self._derived.get(key)
            if found is not None and found[0] is ids:
                return found[1]
        value = make()
        with self._lock:
            self._derived = {k: v for k, v in self._derived.items() if v[0] is ids}
            if keep:
                family = [k for k in self._derived if k[1].split("-")[0] == name.split("-")[0]]
                for k in family[:max(0, len(family) - keep + 1)]:
                    del self._derived[k]
            self._derived[key] = (ids, value)
        return value

    def doc_tokens(self, ids: list[str]) -> np.ndarray:
        """Tokens (title and body) of each engine document number (cached per id list)."""
        def make() -> np.ndarray:
            out = np.zeros(len(ids), dtype=np.int64)
            for part, docnums in zip(self.parts, self.aligned(ids), strict=True):
                ok = docnums >= 0
                out[docnums[ok]] = part.lengths()[ok]
            return out
        return self.cached(ids, "tokens", make)

    def id_rank(self, ids: list[str]) -> np.ndarray:
        """Each engine document number's rank in the order of ids (cached per id list)."""
        def make() -> np.ndarray:
            order = np.argsort(np.array(ids, dtype=object), kind="stable")
            rank = np.empty(len(ids), dtype=np.int64)
            rank[order] = np.arange(len(ids))
            return rank
        return self.cached(ids, "id_rank", make)

    def parts_seg(self, part: np.ndarray, seg: np.ndarray) -> np.ndarray:
        """The first token index of each (part, segment)."""
        if len(self.parts) == 1:
            return np.asarray(self.parts[0].seg[seg], dtype=np.int64)
        out = np.zeros(len(seg), dtype=np.int64)
        for index in np.unique(part).tolist():
            here = part == index
            out[here] = self.parts[index].seg[seg[here]]
        return out


def open_part(folder: Path, entry: dict[str, Any], forms: int) -> Part:
    """One part of a manifest, mapped; its unit counts only when they were packed in this vocabulary's radix."""
    prefix = folder / f"tokens-{entry['name']}"
    docs = json.loads(Path(f"{prefix}.docs.json").read_text("utf-8"))
    live = np.ones(len(docs["ids"]), dtype=bool)
    if entry["dead"]:
        live[np.asarray(entry["dead"], dtype=np.int64)] = False
    term, form, start, end = (_array(Path(f"{prefix}.{name}"), "<i4") for name in ARRAYS)
    part = Part(entry["name"], docs["ids"], docs["languages"], live, _array(Path(f"{prefix}.seg"), "<i8"),
                term, form, start, end, form_path=Path(f"{prefix}.form"))
    kept = entry.get("ngrams") or {}
    if kept.get("radix") == ngrams.radix(forms):
        for n in kept.get("n", []):
            keys, tf = ngrams.paths(prefix, n)
            part.unit_counts[n] = ngrams.Counts(_array(keys, "<i8"), _array(tf, "<i4"))
    return part


_OPEN: dict[str, tuple[float, TokenStore]] = {}
_OPEN_LOCK = threading.Lock()


def open_store(folder: Path) -> TokenStore | None:
    """The token store of a build (cached while its manifest is unchanged), or None when it has none."""
    try:
        stamp = (folder / MANIFEST).stat().st_mtime_ns
    except OSError:
        return None
    key = str(folder)
    with _OPEN_LOCK:
        found = _OPEN.get(key)
        if found is not None and found[0] == stamp:
            return found[1]
    if not exists(folder):
        return None
    store = TokenStore.open(folder)
    with _OPEN_LOCK:
        # Two builds at most: the served one and the one that replaces it while requests finish.
        if len(_OPEN) >= 2:
            _OPEN.pop(next(iter(_OPEN)))
        _OPEN[key] = (stamp, store)
    return store


def served_store(folder: Path) -> TokenStore:
    """The token store of the served build, or a 503 saying why there is none."""
    store = open_store(folder)
    if store is not None:
        return store
    if not folder.is_dir():  # an engine whose builds are not folders of corpus's own (sphinxql)
        raise NoTokenStore("this engine keeps no token store, so concordances, collocations and keywords cannot be made "
                      "from its index; the whoosh engine keeps one")
    raise NoTokenStore("the index was built before the token store existed; run `corpus ingest` to add it")
