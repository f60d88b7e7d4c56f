"""Find input files, pick a reader for each, and attach sidecar and folder metadata.

Control files that live in a corpus folder and are not documents:
- `README*`, `LICENSE*`, `LICENCE*`, `COPYING*`, `CHANGELOG*`, `CITATION*`: the corpus's own documentation;
- `NAME.meta.json` / `NAME.meta.yaml`: metadata for the document file NAME (a sidecar);
- `_folder.json` / `_folder.yaml`: defaults (source, region, ...) for every file below that folder;
- `_authors.jsonl` / `_authors.csv`: author bios (name, bio, url).
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..documents import RawRecord
from ..fields import SYNONYMS
from . import html, structured, text
from .base import IGNORED, UNREADABLE, Reader, ReadError, Skipped, display_path, load_yaml, plain_reason, rel_name

log = logging.getLogger("corpus.readers")

READERS: dict[str, Reader] = {
    ".txt": text.read,
    ".text": text.read,
    ".md": text.read,
    **structured.READERS,
    **html.READERS,
}

CONTROL_PREFIX = "_"
SIDECAR_SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")
FOLDER_FILES = ("_folder.json", "_folder.yaml", "_folder.yml")
# Files that describe a corpus rather than belong to it (bbc/README.TXT, new_europe/LICENSE.md).
CORPUS_DOCS = {"readme", "license", "licence", "copying", "changelog", "citation"}
MAX_METADATA_BYTES = 4 * 1024**2  # a sidecar or _folder file


def register(suffix: str, reader: Reader) -> None:
    """Make `reader` handle files ending in `suffix` (and its .gz variant)."""
    READERS[suffix] = reader


def reader_for(path: Path) -> Reader | None:
    """The reader for a file name, looking through a trailing .gz."""
    name = path.name.lower()
    if name.endswith(".gz"):
        name = name[:-3]
    for suffix, reader in READERS.items():
        if name.endswith(suffix):
            return reader
    return None


def is_control_file(path: Path) -> bool:
    """Sidecars, folder defaults, authors files and a corpus's own README or licence are not documents."""
    name = path.name.lower()
    stem = name.split(".", 1)[0]
    return name.startswith(CONTROL_PREFIX) or name.endswith(SIDECAR_SUFFIXES) or stem in CORPUS_DOCS


def discover(root: Path, follow_links: bool = False, within: list[Path] | None = None,
             problems: list[Skipped] | None = None) -> Iterator[Path]:
    """Every regular file below root (or root itself), in a stable order, skipping hidden ones.

    Symbolic links that lead outside root (or outside the folders in `within`) are not followed
    unless `follow_links`; a link to a folder inside them is not followed either (that folder is
    read under its own name). Each link not followed, each broken link, each folder that cannot be
    listed and each file that is not a regular file is appended to `problems`. Folders are never
    entered twice, so a loop of links ends.
    """
    note = problems.append if problems is not None else (lambda item: None)
    base = root if root.is_dir() else root.parent
    if not root.is_dir():
        yield root
        return
    allowed = [Path(os.path.realpath(r)) for r in (within or [root])]

    def inside(target: Path) -> bool:
        return any(target == a or a in target.parents for a in allowed)

    visited: set[tuple[int, int]] = set()
    stack = [root]
    while stack:
        folder = stack.pop()
        rel_folder = rel_name(folder, base) + "/" if folder != base else "./"
        try:
            st = os.stat(folder)
            if (st.st_dev, st.st_ino) in visited:
                note(Skipped(rel_folder, "a folder already read (a loop of symbolic links); not read again", IGNORED))
                continue
            visited.add((st.st_dev, st.st_ino))
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            note(Skipped(rel_folder, f"cannot read folder: {plain_reason(exc)}; "
                         "the documents already indexed from it are kept", UNREADABLE))
            continue
        subfolders: list[Path] = []
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = Path(entry.path)
            rel = rel_name(path, base)
            try:
                if entry.is_symlink():
                    target = Path(os.path.realpath(path))
                    try:
                        mode = os.stat(path).st_mode
                    except OSError as exc:
                        what = "a loop of symbolic links" if "loop" in plain_reason(exc) else "a broken symbolic link"
                        note(Skipped(rel, f"{what} (to {display_path(os.readlink(path))}); nothing to read"))
                        continue
                    kind = "folder" if stat.S_ISDIR(mode) else "file"
                    if not inside(target) and not follow_links:
                        note(Skipped(rel, f"symbolic link to the {kind} {display_path(str(target))}, outside the "
                                     "folders being ingested; not followed (use --follow-links to read it)"))
                        continue
                    if stat.S_ISDIR(mode) and not follow_links:
                        note(Skipped(rel, f"symbolic link to the folder {display_path(str(target))}, which is "
                                     "read under its own name; not followed", IGNORED))
                        continue
                else:
                    mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as exc:
                note(Skipped(rel, f"cannot read: {plain_reason(exc)}", UNREADABLE))
                continue
            if stat.S_ISDIR(mode):
                subfolders.append(path)
            elif stat.S_ISREG(mode):
                yield path
            else:
                note(Skipped(rel, "not a regular file (a device, pipe or socket); not read"))
        stack.extend(reversed(subfolders))


def load_mapping_file(path: Path) -> dict[str, Any]:
    """Read a small JSON or YAML metadata file into a dict."""
    raw = path.read_bytes()
    if len(raw) > MAX_METADATA_BYTES:
        raise ReadError(f"{path.name} is larger than {MAX_METADATA_BYTES // 1024**2} MB, too large for a metadata file")
    text = raw.decode("utf-8-sig")
    data = json.loads(text) if path.suffix == ".json" else load_yaml(text)
    if not isinstance(data, dict):
        raise ReadError(f"{path.name} must hold a mapping of field names to values")
    out = {str(k).lower(): v for k, v in data.items()}
    if "mapping" in out:
        _check_field_mapping(path, out["mapping"])
    return out


def _check_field_mapping(path: Path, mapping: Any) -> None:
    if not isinstance(mapping, dict) or not all(isinstance(v, str) and v for v in mapping.values()):
        raise ReadError(f"{path.name}: mapping must map our field names to yours, e.g. title: article")
    unknown = [str(k) for k in mapping if k not in SYNONYMS]
    if unknown:
        raise ReadError(f"{path.name}: unknown field {unknown[0]!r} in mapping; fields are {', '.join(SYNONYMS)}")


def folder_defaults(root: Path, path: Path, cache: dict[Path, dict[str, Any]]) -> dict[str, Any]:
    """Merge the _folder files from root down to the file's folder; nearer folders win."""
    if root.is_file():
        return {}
    merged: dict[str, Any] = {}
    folder = path.parent
    chain = []
    while True:
        chain.append(folder)
        if folder == root or folder == folder.parent:
            break
        folder = folder.parent
    for folder in reversed(chain):
        if folder not in cache:
            found: dict[str, Any] = {}
            for name in FOLDER_FILES:
                candidate = folder / name
                if candidate.is_file():
                    found = load_mapping_file(candidate)
                    break
            cache[folder] = found
        merged.update(cache[folder])
    return merged


def sidecar_for(path: Path) -> dict[str, Any]:
    """The metadata in NAME.meta.json or NAME.meta.yaml beside a document file, if any."""
    for suffix in SIDECAR_SUFFIXES:
        candidate = path.with_name(path.name + suffix)
        if candidate.is_file():
            return load_mapping_file(candidate)
    return {}


def read_file(path: Path, root: Path, folder_cache: dict[Path, dict[str, Any]] | None = None) -> Iterator[RawRecord | Skipped]:
    """Yield the records of one file, or a Skipped entry saying why it could not be read.

    Nothing raised while reading one file escapes: every problem becomes a Skipped entry naming
    the file (and line), with the reason in plain words.
    """
    base = root if root.is_dir() else root.parent
    rel = rel_name(path, base)
    reader = reader_for(path)
    if reader is None:
        yield Skipped(rel, f"unsupported file type {display_path(path.suffix) or '(no extension)'!r}")
        return
    try:
        meta = folder_defaults(root, path, folder_cache if folder_cache is not None else {})
        sidecar = sidecar_for(path)
        meta.update(sidecar)
        # normalize lets the sidecar's values win over the record's and the folder's only fill gaps.
        meta["_sidecar_keys"] = sorted(sidecar)
    except Exception as exc:  # one bad metadata file must not stop the ingest
        # A metadata file that exists but cannot be read now keeps the documents already indexed.
        kind = UNREADABLE if isinstance(exc, OSError) and exc.errno is not None else "skip"
        yield Skipped(rel, f"unreadable metadata file: {plain_reason(exc)}", kind)
        return
    try:
        for item in reader(path, rel):
            if isinstance(item, RawRecord):
                item.meta = meta
            yield item
    except ReadError as exc:
        yield Skipped(rel, str(exc))
    except EOFError:
        yield Skipped(rel, "truncated compressed file: it ends before its end-of-stream marker")
    except OSError as exc:
        # A file that exists but cannot be read now (permissions, an I/O error) keeps the documents
        # already indexed from it; a corrupt gzip is a bad input.
        unreadable = exc.errno is not None
        yield Skipped(rel, f"cannot read file: {plain_reason(exc)}", UNREADABLE if unreadable else "skip")
    except Exception as exc:
        log.debug("reading %s failed", rel, exc_info=True)
        yield Skipped(rel, f"cannot read file: {plain_reason(exc)}")
