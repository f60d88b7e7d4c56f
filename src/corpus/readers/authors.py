"""Authors files (`_authors.jsonl`, `_authors.csv`, optionally gzipped): name, bio and url per line."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any, Protocol

from .base import ReadError, decode_text, read_whole


class _Report(Protocol):
    def skip(self, origin: str, reason: str) -> None: ...


def read_authors_file(path: Path, report: _Report) -> dict[str, dict[str, str]]:
    """name -> {"bio": ..., "url": ...}; unreadable lines are named in the report."""
    from ..normalize import display_name

    out: dict[str, dict[str, str]] = {}
    try:
        text, _ = decode_text(read_whole(path))
    except (OSError, ReadError) as exc:
        report.skip(path.name, f"cannot read authors file: {exc}")
        return out
    name = path.name.lower().removesuffix(".gz")
    rows: list[tuple[int, Any]] = []
    if name.endswith((".jsonl", ".ndjson", ".json")):
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append((lineno, json.loads(line)))
            except ValueError as exc:
                report.skip(f"{path.name}:{lineno}", f"invalid JSON in authors file: {exc}")
    else:
        reader = csv.DictReader(io.StringIO(text), dialect="excel-tab" if name.endswith(".tsv") else "excel")
        rows = [(i + 2, row) for i, row in enumerate(reader)]
    for lineno, row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str) or not row["name"].strip():
            report.skip(f"{path.name}:{lineno}", "authors file line has no name")
            continue
        out[display_name(row["name"])] = {
            "bio": str(row.get("bio") or ""),
            "url": str(row.get("url") or ""),
        }
    return out
