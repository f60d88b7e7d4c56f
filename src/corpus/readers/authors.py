"""Authors files (`_authors.jsonl`, `_authors.csv`, `_authors.tsv`, `_authors.json`, optionally gzipped): name, bio, url, aliases.

`aliases` are other spellings of the name (initials, pen names, transliterations): a list in JSON,
or one cell in CSV and TSV with the spellings separated by `;` or `|`. Each alias becomes that
author everywhere (see ingest/pipeline.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any, Protocol

from ..normalize import as_text, display_name
from .base import decode_text, display_path, lone_surrogate, plain_reason, read_whole


class _Report(Protocol):
    def skip(self, origin: str, reason: str) -> None: ...


def _aliases(value: Any) -> list[str]:
    if isinstance(value, str):
        items: list[Any] = re.split(r"[;|]", value)
    elif isinstance(value, list):
        items = value
    else:
        return []
    return [display_name(str(v)) for v in items if isinstance(v, (str, int)) and str(v).strip()]


def read_authors_file(path: Path, report: _Report) -> dict[str, dict[str, Any]]:
    """name -> {"bio": ..., "url": ..., "aliases": [...]}; unreadable lines are named in the report."""
    out: dict[str, dict[str, Any]] = {}
    shown = display_path(path.name)
    try:
        text, _ = decode_text(read_whole(path))
    except Exception as exc:
        report.skip(shown, f"cannot read authors file: {plain_reason(exc)}")
        return out
    name = path.name.lower().removesuffix(".gz")
    rows: list[tuple[int, Any]] = []
    if name.endswith(".json") and text.lstrip().startswith("["):
        # A JSON array of author objects; its items have no line numbers of their own.
        try:
            items = json.loads(text)
        except (ValueError, RecursionError) as exc:
            report.skip(shown, f"invalid JSON in authors file: {plain_reason(exc)}")
            return out
        if not isinstance(items, list):
            report.skip(shown, "authors file must hold an array of objects")
            return out
        rows = [(i, item) for i, item in enumerate(items, 1)]
    elif name.endswith((".jsonl", ".ndjson", ".json")):
        for lineno, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                rows.append((lineno, json.loads(line)))
            except (ValueError, RecursionError) as exc:
                report.skip(f"{shown}:{lineno}", f"invalid JSON in authors file: {plain_reason(exc)}")
    else:
        reader = csv.DictReader(io.StringIO(text), dialect="excel-tab" if name.endswith(".tsv") else "excel")
        try:
            for row in reader:
                rows.append((reader.line_num, row))
        except csv.Error as exc:
            # The rows before the bad one are kept.
            report.skip(f"{shown}:{reader.line_num}", f"malformed authors file, the rest is not read: {plain_reason(exc)}")
    for lineno, row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("name"), str) or not row["name"].strip():
            report.skip(f"{shown}:{lineno}", "authors file line has no name")
            continue
        bad = lone_surrogate({k: row.get(k) for k in ("name", "bio", "url", "aliases")})
        if bad is not None:
            report.skip(f"{shown}:{lineno}", f"field {bad!r} holds text that is not valid Unicode "
                        "(a lone surrogate such as \\ud800); the line cannot be stored")
            continue
        try:
            info: dict[str, Any] = {"bio": as_text(row.get("bio")), "url": as_text(row.get("url"))}
            if row.get("aliases") not in (None, "", []):
                aliases = _aliases(row.get("aliases"))
                if not aliases:
                    report.skip(f"{shown}:{lineno}", "aliases must be a list of names (or, in CSV, names separated by ; or |); "
                                "the line's name and bio are kept")
                info["aliases"] = aliases
            out[display_name(row["name"])] = info
        except Exception as exc:
            report.skip(f"{shown}:{lineno}", f"cannot read authors file line: {plain_reason(exc)}")
    return out
