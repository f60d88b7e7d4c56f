"""Reading files into records, the same here and on a cluster worker, and the task a worker runs.

`iter_records` is how a run reads its files: records in file order, the first records of each
structured file held back until `detect_keys` has read the file's unknown keys by their content.
The local path (pipeline.py) normalises those records in worker processes; `read_group` reads and
normalises a group of files in one go, where the files are (a task on a Dask worker, ingest/cluster.py),
and hands back what happened in order, so the writer replays it exactly as a local run would.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..documents import RawRecord
from ..errors import CorpusError
from ..readers import detect, read_file
from ..readers.base import Skipped
from .parallel import normalize_batch

STRUCTURED = ("json", "jsonl", "csv", "tsv")  # formats whose records share keys, so keys can be read by content
FILES_PER_TASK = 32  # files read by one cluster task: enough work to outweigh a round trip (~2 ms here)
BYTES_PER_TASK = 4 << 20  # and no more than this much input per task (a bigger file is a task of its own)
# A task's result comes back whole, so a file bigger than this is read by the writer itself, streamed,
# in bounded memory (as without a cluster): memory then follows this, never the size of one file.
LOCAL_FILE_BYTES = 64 << 20


def detect_keys(sample: list[RawRecord], mapping: dict[str, str]) -> list[dict[str, Any]]:
    """Read the unknown keys of one file by their content; the choice goes into the file's shared meta.

    Returns the notes for the report (what was read, or offered, and why).
    """
    meta = sample[0].meta
    folder_mapping = meta.get("mapping") if isinstance(meta.get("mapping"), dict) else {}
    merged = {**{str(k): str(v) for k, v in (folder_mapping or {}).items()}, **mapping}
    layers = [{k: v for k, v in meta.items() if not str(k).startswith("_") and k != "mapping"}]
    found = detect.choose([r.fields for r in sample], merged, layers)
    if found.chosen:
        meta["_detected"] = found.chosen
    return list(found.notes)


def iter_records(files: Iterable[tuple[Path, str]], root: Path, mapping: dict[str, str],
                 folder_cache: dict[Path, dict[str, Any]],
                 on_choose: Callable[[str, dict[str, Any]], None],
                 on_file_done: Callable[[Path], None]) -> Iterator[tuple[str, RawRecord | Skipped]]:
    """(relative name, record or skip) for every file in order; keys of structured files read by content first."""
    for path, rel in files:
        sample: list[RawRecord] = []
        for item in read_file(path, root, folder_cache):
            if isinstance(item, RawRecord) and item.fmt in STRUCTURED and len(sample) < detect.SAMPLE:
                sample.append(item)
                if len(sample) < detect.SAMPLE:
                    continue
                for note in detect_keys(sample, mapping):
                    on_choose(rel, note)
                yield from ((rel, r) for r in sample)
                continue
            yield rel, item
        if sample and len(sample) < detect.SAMPLE:
            for note in detect_keys(sample, mapping):
                on_choose(rel, note)
            yield from ((rel, r) for r in sample)
        on_file_done(path)


# What a task hands back, in the order it happened (the writer replays these):
#   ("choose", rel, note)            a key read by its content (report.choose_field)
#   ("skip", rel, Skipped)           a file or line that could not be read
#   ("record", rel, Article|Skipped) a record read, and what normalising made of it
#   ("done", path, None)             a file read to its end (for the progress bar)
Event = tuple[str, str, Any]


@dataclass
class GroupResult:
    """Everything one task did: its events in order, and the words of its articles (spelling suggestions)."""

    events: list[Event] = field(default_factory=list)
    words: Counter[str] = field(default_factory=Counter)


def read_group(files: list[tuple[str, str]], root: str, mapping: dict[str, str], dayfirst: bool,
               keep_suspect: bool, code: str = "") -> GroupResult:
    """Read and normalise a group of files (absolute path, relative name) where this process runs.

    Pure with respect to the index: it reads inputs and returns values, so running it twice (a
    worker died and the scheduler ran it again) gives the same result and writes nothing. With
    `code` (the writer's code_fingerprint), a process running other corpus code refuses the task,
    so a worker that joined the cluster after the ingest's first check cannot slip in.
    """
    if code and code != code_fingerprint():
        raise RuntimeError(f"a Dask worker runs another version of corpus (code {code_fingerprint()}, the writer's {code}); "
                           "install the same one on every worker")
    out = GroupResult()
    folder_cache: dict[Path, dict[str, Any]] = {}
    records = iter_records(((Path(p), rel) for p, rel in files), Path(root), mapping, folder_cache,
                           lambda rel, note: out.events.append(("choose", rel, note)),
                           lambda path: out.events.append(("done", str(path), None)))
    for rel, item in records:
        if isinstance(item, Skipped):
            out.events.append(("skip", rel, item))
            continue
        normalised, words = normalize_batch([item], mapping, dayfirst, root, keep_suspect)
        out.words.update(words)
        out.events.extend(("record", rel, n) for n in normalised)
    return out


def group_files(files: list[tuple[Path, str]]) -> list[list[tuple[str, str]]]:
    """The files cut into tasks of up to FILES_PER_TASK files and BYTES_PER_TASK bytes, in order."""
    groups: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    size = 0
    for path, rel in files:
        try:
            length = path.stat().st_size
        except OSError:
            length = 0
        if current and (len(current) >= FILES_PER_TASK or size + length > BYTES_PER_TASK):
            groups.append(current)
            current, size = [], 0
        current.append((str(path), rel))
        size += length
    if current:
        groups.append(current)
    return groups


@functools.cache
def code_fingerprint() -> str:
    """A digest of this corpus package's source: a worker must run the same code as the writer,
    or the same file could become a different article on another machine."""
    package = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def split_large(files: list[tuple[Path, str]]) -> list[tuple[bool, list[tuple[Path, str]]]]:
    """The files in runs, in order: (True, [one file]) for each file over LOCAL_FILE_BYTES, else (False, run)."""
    runs: list[tuple[bool, list[tuple[Path, str]]]] = []
    for path, rel in files:
        try:
            large = path.stat().st_size > LOCAL_FILE_BYTES
        except OSError:
            large = False
        if large or not runs or runs[-1][0]:
            runs.append((large, [(path, rel)]))
        else:
            runs[-1][1].append((path, rel))
    return runs


class RemoteReader(Protocol):
    """Runs `read_group` somewhere else (a Dask cluster) and gives the results back in submission order."""

    def read(self, groups: Iterable[list[tuple[str, str]]], root: str, mapping: dict[str, str], dayfirst: bool,
             keep_suspect: bool) -> Iterator[GroupResult]:
        """One GroupResult per group, in the order of the groups."""
        ...

    def close(self) -> None:
        """Let go of the cluster."""
        ...


def open_cluster(address: str, roots: list[Path], timeout: float) -> RemoteReader:
    """Connect to the Dask scheduler at address and check every worker can read the roots.

    Dask is an optional extra, imported only here, so `import corpus` never needs it.
    """
    try:
        cluster = importlib.import_module("corpus.ingest.cluster")
    except ImportError as exc:
        if (exc.name or "").split(".")[0] in {"dask", "distributed"}:
            raise CorpusError("--cluster needs Dask distributed, which is not installed: install corpus[cluster] "
                              "(pip install 'corpus[cluster]')") from None
        raise
    reader: RemoteReader = cluster.ClusterReader(address, roots, timeout)
    return reader
