"""Structured exports: JSON (one object or an array of objects), JSON Lines, CSV and TSV.

Field names stay the source's own here; normalize.py maps them to ours. Every record carries its
line number (`origin` "file:line", `recno`) so the ingest report can point at a bad one, and one
bad record never costs the good records around it.

JSON Lines, CSV and TSV are streamed line by line, so a file of any size is read in bounded
memory. A JSON document is parsed whole, up to MAX_WHOLE_FILE_BYTES; its array items are decoded
one at a time, so the items before a truncation or a syntax error are still read.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..documents import RawRecord
from ..fields import SYNONYMS
from .base import MAX_RECORD_BYTES, Line, Reader, ReadError, Skipped, decode_text, looks_binary, read_whole, stream_lines

# Keys under which exports often wrap their list of records: {"articles": [...]}.
WRAPPER_KEYS = ("articles", "data", "items", "records", "documents", "docs", "results", "rows", "posts", "entries")
_DECODER = json.JSONDecoder()


def _kind(value: Any) -> str:
    return {dict: "an object", list: "an array", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _record(fields: Any, rel: str, line: int, recno: int, fmt: str) -> RawRecord | Skipped:
    origin = f"{rel}:{line}"
    if not isinstance(fields, dict):
        return Skipped(origin, f"record is {_kind(fields)}, not an object with named fields")
    if not fields:
        return Skipped(origin, "record is an empty object")
    return RawRecord(fields=fields, origin=origin, path=rel, recno=recno, fmt=fmt)


def read_jsonl(path: Path, rel: str) -> Iterator[RawRecord | Skipped]:
    """Read a JSON Lines file one line at a time; each bad line is named and skipped."""
    recno = 0
    blank = True
    for line in stream_lines(path):
        if line.text is None:
            yield Skipped(f"{rel}:{line.number}", f"line of {line.size:,} bytes is longer than the {MAX_RECORD_BYTES // 1024**2} MB a record may have")
            blank = False
            continue
        text = line.text.strip()
        if not text:
            continue
        blank = False
        recno += 1
        try:
            value = json.loads(text)
        except RecursionError:
            yield Skipped(f"{rel}:{line.number}", "JSON nested too deeply to read")
            continue
        except ValueError as exc:
            yield Skipped(f"{rel}:{line.number}", f"invalid JSON: {_json_reason(exc, text)}")
            continue
        yield _record(value, rel, line.number, recno, "jsonl")
    if blank:
        yield Skipped(rel, "empty file")


def _json_reason(exc: ValueError, text: str) -> str:
    if text.rstrip()[-1:] not in ("}", "]"):
        return "truncated: the line ends before the JSON value does"
    if isinstance(exc, json.JSONDecodeError):
        return f"{exc.msg.removesuffix(' at')} (column {exc.colno})"
    if "digits" in str(exc):
        return "a number of more than 4,300 digits"
    return "a value JSON cannot hold"


def read_json(path: Path, rel: str) -> Iterator[RawRecord | Skipped]:
    """Read a JSON file holding one object, an array of objects, or an object wrapping such an array."""
    data = read_whole(path)
    if looks_binary(data):
        yield Skipped(rel, "binary content in a JSON file")
        return
    text, _ = decode_text(data)
    del data
    start = _skip_ws(text, 0)
    if start >= len(text):
        yield Skipped(rel, "empty file" if not text else "file holds only whitespace")
        return
    if text[start] == "[":
        yield from _array_items(text, start, rel)
        return
    try:
        value, end = _DECODER.raw_decode(text, start)
    except RecursionError:
        yield Skipped(rel, "JSON nested too deeply to read")
        return
    except json.JSONDecodeError as exc:
        yield Skipped(f"{rel}:{exc.lineno}", f"invalid JSON: {exc.msg.removesuffix(' at')} (column {exc.colno})")
        return
    if _skip_ws(text, end) < len(text):
        if "\n" in text[end:_skip_ws(text, end)]:
            # One value per line: JSON Lines saved as .json, which scrapers often do.
            del text
            yield from read_jsonl(path, rel)
            return
        line = text.count("\n", 0, end) + 1
        yield Skipped(f"{rel}:{line}", "extra data after the JSON value on the same line")
        return
    if isinstance(value, dict):
        key = wrapped_key(value)
        if key is None:
            yield RawRecord(fields=value, origin=rel, path=rel, fmt="json") if value else Skipped(rel, "record is an empty object")
            return
        # Decode the wrapped array again from its own position, so each item gets its line number.
        m = re.search(r'"' + re.escape(key) + r'"\s*:\s*\[', text)
        if m is None:
            raise ReadError(f"cannot find the array under {key!r}")
        yield from _array_items(text, m.end() - 1, rel, top_level=False)
        return
    yield Skipped(rel, f"JSON file holds {_kind(value)}, not an object or an array of objects")


def wrapped_key(value: dict[str, Any]) -> str | None:
    """The key of {"articles": [{...}, ...]}-style wrappers: an object with a list of records and no article fields."""
    article_keys = set(SYNONYMS["title"]) | set(SYNONYMS["body"])
    if any(str(k).lower() in article_keys for k in value):
        return None
    for key in value:
        if key.lower() in WRAPPER_KEYS and isinstance(value[key], list) and any(isinstance(v, dict) for v in value[key]):
            return key
    return None


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n\ufeff":
        pos += 1
    return pos


def _array_items(text: str, start: int, rel: str, top_level: bool = True) -> Iterator[RawRecord | Skipped]:
    """Decode the items of a top-level array one at a time, with the line each starts on."""
    pos = _skip_ws(text, start + 1)
    line = text.count("\n", 0, pos) + 1
    counted = pos
    recno = 0
    if pos < len(text) and text[pos] == "]":
        yield Skipped(rel, "JSON array is empty")
        return
    while True:
        line += text.count("\n", counted, pos)
        counted = pos
        if pos >= len(text):
            yield Skipped(f"{rel}:{line}", "truncated: the JSON array is not closed")
            return
        recno += 1
        try:
            value, end = _DECODER.raw_decode(text, pos)
        except RecursionError:
            yield Skipped(f"{rel}:{line}", "JSON nested too deeply to read; the rest of the file cannot be read")
            return
        except json.JSONDecodeError as exc:
            truncated = _skip_ws(text, exc.pos) >= len(text)
            what = "truncated" if truncated else f"invalid JSON: {exc.msg.removesuffix(' at')} (line {exc.lineno} column {exc.colno})"
            yield Skipped(f"{rel}:{line}", f"{what}; the rest of the file cannot be read")
            return
        if isinstance(value, dict):
            yield _record(value, rel, line, recno, "json")
        else:
            yield Skipped(f"{rel}:{line}", f"array item is {_kind(value)}, not an object")
        pos = _skip_ws(text, end)
        if pos < len(text) and text[pos] == ",":
            pos = _skip_ws(text, pos + 1)
            continue
        if pos < len(text) and text[pos] == "]":
            if top_level and _skip_ws(text, pos + 1) < len(text):
                yield Skipped(f"{rel}:{text.count(chr(10), 0, pos) + 1}", "extra data after the JSON array")
            return
        line += text.count("\n", counted, pos)
        counted = pos
        if pos >= len(text):
            yield Skipped(f"{rel}:{line}", "truncated: the JSON array is not closed")
        else:
            yield Skipped(f"{rel}:{line}", "invalid JSON (expected ',' or ']' between array items); the rest of the file cannot be read")
        return


def _csv_lines(lines: Iterable[Line], too_long: list[Line]) -> Iterator[str]:
    for line in lines:
        if line.text is None:
            # Drop the line but keep the row count right; the reader names it in the report.
            too_long.append(line)
            yield "\n"
            continue
        yield line.text


def read_csv(path: Path, rel: str, dialect: str = "excel") -> Iterator[RawRecord | Skipped]:
    """Read a CSV (or, with dialect excel-tab, TSV) file with a header row, one row at a time."""
    csv.field_size_limit(MAX_RECORD_BYTES)
    too_long: list[Line] = []
    fmt = "tsv" if dialect == "excel-tab" else "csv"
    raw_lines = stream_lines(path, keepends=True)
    first = next(raw_lines, None)
    delimiter = "\t" if fmt == "tsv" else ","
    offset = 0  # lines consumed before the csv reader starts counting
    head = first.text if first is not None else None
    if head is not None and fmt == "csv":
        hint = re.match(r"^sep=(.)\s*$", head)
        if hint:  # Excel's "sep=;" first line
            delimiter, offset, first = hint.group(1), 1, None
        else:
            delimiter = guess_delimiter(head)
    lines = _csv_lines(itertools.chain([first] if first is not None else [], raw_lines), too_long)
    reader = csv.reader(lines, dialect=dialect, delimiter=delimiter)
    header: list[str] | None = None
    recno = 0
    start = 1 + offset
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            yield Skipped(f"{rel}:{start}", f"malformed {fmt.upper()} row: {exc}")
            start = reader.line_num + offset + 1
            continue
        origin = f"{rel}:{start}"
        start = reader.line_num + offset + 1
        if too_long:
            for line in too_long:
                yield Skipped(f"{rel}:{line.number}", f"line of {line.size:,} bytes is longer than the {MAX_RECORD_BYTES // 1024**2} MB a record may have")
            too_long.clear()
            continue
        if not row or all(not cell.strip() for cell in row):
            continue
        if header is None:
            header = [cell.strip().lstrip("\ufeff") for cell in row]
            if len(set(header)) != len(header) or not all(header):
                raise ReadError(f"the header row needs a distinct, non-empty name for every column: {header!r}")
            continue
        if len(row) != len(header):
            yield Skipped(origin, f"row has {len(row)} fields but the header has {len(header)}; columns would not line up")
            continue
        recno += 1
        yield RawRecord(fields=dict(zip(header, row, strict=True)), origin=origin, path=rel, recno=recno, fmt=fmt)
    for line in too_long:
        yield Skipped(f"{rel}:{line.number}", f"line of {line.size:,} bytes is longer than the {MAX_RECORD_BYTES // 1024**2} MB a record may have")
    if header is None:
        yield Skipped(rel, "empty file: no header row")


def guess_delimiter(header: str) -> str:
    """The delimiter of a CSV header line: a comma unless semicolons, tabs or pipes clearly are (European Excel uses ";")."""
    outside = re.sub(r'"[^"]*"', "", header)
    counts = {d: outside.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] > counts[","] else ","


def read_tsv(path: Path, rel: str) -> Iterator[RawRecord | Skipped]:
    """Read a tab-separated file with a header row."""
    return read_csv(path, rel, dialect="excel-tab")


# The file endings this module reads (readers/__init__ puts them in its table).
READERS: dict[str, Reader] = {".jsonl": read_jsonl, ".ndjson": read_jsonl, ".jsonlines": read_jsonl, ".json": read_json,
           ".csv": read_csv, ".tsv": read_tsv, ".tab": read_tsv}
