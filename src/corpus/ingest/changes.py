"""Change detection: file signatures, the manifest kept in each build, and what a run carries from root to root."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..documents import IndexedDoc
from ..readers import FOLDER_FILES, SIDECAR_SUFFIXES
from .report import IngestReport


def file_signature(path: Path, root: Path, folders: dict[Path, list[int]]) -> list[int]:
    """Size and mtime of the file, its sidecar and the _folder files above it: what its documents depend on."""
    st = path.stat()
    sig = [st.st_size, st.st_mtime_ns]
    for suffix in SIDECAR_SUFFIXES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            sst = side.stat()
            sig += [sst.st_size, sst.st_mtime_ns]
    folder = path.parent
    while True:
        if folder not in folders:
            folders[folder] = [n for name in FOLDER_FILES if (folder / name).is_file()
                               for n in ((folder / name).stat().st_size, (folder / name).stat().st_mtime_ns)]
        sig += folders[folder]
        if folder == root or folder == folder.parent or not root.is_dir():
            break
        folder = folder.parent
    return sig


@dataclass
class Run:
    """What one ingest run carries from root to root."""

    report: IngestReport
    existing: dict[str, IndexedDoc]
    files: dict[str, dict[str, list[int]]]  # the manifest's file signatures, per root
    duplicates: dict[str, dict[str, list[dict[str, str]]]]  # the manifest's duplicates, per root and file
    author_files: dict[str, dict[str, dict[str, Any]]]
    skips: dict[str, dict[str, list[dict[str, str]]]] = field(default_factory=dict)  # the manifest's skipped records, per root and file
    by_dedupe: dict[str, str] = field(default_factory=dict)  # dedupe key -> the id indexed with it
    current_dedupe: dict[str, str] = field(default_factory=dict)  # id -> its dedupe key now (after this run's edits)
    seen_ids: dict[str, str] = field(default_factory=dict)
    new_files: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    new_duplicates: dict[str, dict[str, list[dict[str, str]]]] = field(default_factory=dict)
    new_skips: dict[str, dict[str, list[dict[str, str]]]] = field(default_factory=dict)
    changed: bool = False


_LINE_RE = re.compile(r"^(?P<file>.*):\d+$")


def file_of(origin: str) -> str:
    """The file of an origin ("a.jsonl:12" -> "a.jsonl"; "a.txt" -> "a.txt")."""
    m = _LINE_RE.match(origin)
    return m.group("file") if m else origin


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object kept in the index folder (the manifest, a report); {} when missing or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write a JSON object atomically (a temporary file, then a rename)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    os.replace(tmp, path)
