"""Find input files, pick a reader for each, and attach sidecar and folder metadata.

Control files that live in a corpus folder and are not documents:
- `README*`, `LICENSE*`, `LICENCE*`, `COPYING*`, `CHANGELOG*`, `CITATION*`: the corpus's own documentation;
- `NAME.meta.json` / `NAME.meta.yaml`: metadata for the document file NAME (a sidecar);
- `_folder.json` / `_folder.yaml`: defaults (source, region, ...) for every file below that folder;
- `_authors.jsonl` / `_authors.csv`: author bios (name, bio, url).
"""

from __future__ import annotations

import csv
import json
import os
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

from . import text
from .base import RawRecord, ReadError, Skipped

Reader = Callable[[Path, str], Iterator[RawRecord | Skipped]]

READERS: dict[str, Reader] = {
    ".txt": text.read,
    ".text": text.read,
    ".md": text.read,
}

CONTROL_PREFIX = "_"
SIDECAR_SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")
FOLDER_FILES = ("_folder.json", "_folder.yaml", "_folder.yml")
# Files that describe a corpus rather than belong to it (bbc/README.TXT, new_europe/LICENSE.md).
CORPUS_DOCS = {"readme", "license", "licence", "copying", "changelog", "citation"}


def register(suffix: str, reader: Reader) -> None:
    """Make `reader` handle files ending in `suffix` (and its .gz variant)."""
    READERS[suffix] = reader


def _load_more_readers() -> None:
    # Readers for structured and HTML formats live in their own modules; import them lazily
    # so a missing optional module never breaks plain-text ingest.
    import importlib

    for name in ("structured", "html"):
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise


_load_more_readers()


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


def discover(root: Path) -> Iterator[Path]:
    """Every file below root (or root itself), in a stable order, skipping hidden ones."""
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if not name.startswith("."):
                yield Path(dirpath) / name


def load_mapping_file(path: Path) -> dict[str, Any]:
    """Read a small JSON or YAML metadata file into a dict."""
    raw = path.read_text(encoding="utf-8-sig")
    data = json.loads(raw) if path.suffix == ".json" else yaml.safe_load(raw)
    if not isinstance(data, dict):
        raise ReadError(f"{path.name} must hold a mapping of field names to values")
    out = {str(k).lower(): v for k, v in data.items()}
    if "mapping" in out:
        _check_field_mapping(path, out["mapping"])
    return out


def _check_field_mapping(path: Path, mapping: Any) -> None:
    from ..normalize import SYNONYMS

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
    """Yield the records of one file, or a Skipped entry saying why it could not be read."""
    base = root if root.is_dir() else root.parent
    rel = path.relative_to(base).as_posix()
    reader = reader_for(path)
    if reader is None:
        yield Skipped(rel, f"unsupported file type {path.suffix or '(no extension)'!r}")
        return
    try:
        meta = folder_defaults(root, path, folder_cache if folder_cache is not None else {})
        sidecar = sidecar_for(path)
        meta.update(sidecar)
        # normalize lets the sidecar's values win over the record's and the folder's only fill gaps.
        meta["_sidecar_keys"] = sorted(sidecar)
    except (OSError, ValueError, ReadError, yaml.YAMLError) as exc:
        yield Skipped(rel, f"unreadable metadata file: {exc}")
        return
    try:
        for item in reader(path, rel):
            if isinstance(item, RawRecord):
                item.meta = meta
            yield item
    except ReadError as exc:
        yield Skipped(rel, str(exc))
    except EOFError as exc:
        yield Skipped(rel, f"truncated compressed file: {exc}")
    except (OSError, zlib.error) as exc:
        yield Skipped(rel, f"cannot read file: {exc}")
    except (ValueError, LookupError, RecursionError, csv.Error) as exc:
        # A reader bug or an input no reader foresaw: name the file instead of stopping the ingest.
        yield Skipped(rel, f"cannot read file: {type(exc).__name__}: {exc}")
