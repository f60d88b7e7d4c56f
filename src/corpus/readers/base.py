"""What readers report (skipped inputs), and the byte-level helpers they share; records are documents.RawRecord."""

from __future__ import annotations

import codecs
import csv
import errno
import gzip
import io
import json
import os
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..documents import RawRecord

# Decompressed inputs larger than this are refused, so a gzip bomb cannot exhaust memory or disk.
MAX_DECOMPRESSED_BYTES = 2 * 1024**3
# A whole-file format (plain text, HTML, a single JSON document) larger than this is refused;
# streaming formats (JSON Lines, CSV) have no such limit.
MAX_WHOLE_FILE_BYTES = 64 * 1024**2
# One article (a text file, a JSON Lines line, a CSV row, the text of a web page) larger than this
# is not prose: it is refused and named in the report instead of being indexed as one huge document.
MAX_RECORD_BYTES = 8 * 1024**2


# What a Skipped entry means for the documents already indexed from that file or folder.
SKIP = "skip"  # the input was read and is bad: it is rejected
UNREADABLE = "unreadable"  # the file or folder exists but cannot be read now: its documents are kept
IGNORED = "ignored"  # not an input at all (a link to a folder read under its own name): named, not rejected


@dataclass
class Skipped:
    """A file or record that could not be read, with the reason shown in the ingest report."""

    origin: str
    reason: str
    kind: str = SKIP
    evidence: str = ""  # what showed it (the phrase of an error page), for the report


# A reader: (the file, its path relative to the root) -> records, and what it had to skip.
Reader = Callable[[Path, str], Iterator[RawRecord | Skipped]]


def display_path(path: str) -> str:
    """A path as text that can always be shown and stored: bytes that are not UTF-8 become \\xNN.

    File names on Linux are bytes; Python reads the ones that are not valid UTF-8 with lone
    surrogates, which cannot be written to the index, the manifest or a terminal. `b"caf\\xe9.txt"`
    becomes the text `caf\\xe9.txt` (a backslash, then xe9).
    """
    try:
        path.encode("utf-8")
        return path
    except UnicodeEncodeError:
        pass
    try:
        return path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate that no file name decoding made
        return path.encode("utf-8", "backslashreplace").decode("utf-8")


def rel_name(path: Path, base: Path) -> str:
    """The path of a file relative to its ingest folder, as displayable text (see display_path)."""
    return display_path(path.relative_to(base).as_posix())


def lone_surrogate(value: Any, name: str = "") -> str | None:
    """The name of the first field whose text holds a lone surrogate (JSON "\\ud800"), else None.

    Such text is not Unicode that can be written as UTF-8, so a record holding it cannot be stored.
    """
    stack: list[tuple[str, Any]] = [(name, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return where or "(a field name)"
        elif isinstance(item, dict):
            for key, inner in item.items():
                key_text = str(key)
                if lone_surrogate(key_text) is not None:
                    return "(a field name)"
                stack.append((where or key_text, inner))
        elif isinstance(item, (list, tuple)):
            stack.extend((where, inner) for inner in item)
    return None


def plain_reason(exc: BaseException) -> str:
    """What went wrong, in words a researcher can act on: no exception class names, no internals."""
    if isinstance(exc, ReadError):
        return str(exc)
    if isinstance(exc, UnicodeDecodeError):
        return f"not valid UTF-8 text (byte 0x{exc.object[exc.start]:02x} at position {exc.start})"
    if isinstance(exc, UnicodeEncodeError):
        return "holds text that is not valid Unicode (a lone surrogate such as \\ud800)"
    if isinstance(exc, gzip.BadGzipFile):
        return "not a gzipped file, or a corrupt one"
    if isinstance(exc, (EOFError, zlib.error)):
        return "truncated or corrupt compressed file"
    if isinstance(exc, OSError):
        if exc.errno == errno.ELOOP:
            return "a loop of symbolic links"
        words = exc.strerror or (os.strerror(exc.errno) if exc.errno else "an input/output error")
        return words[:1].lower() + words[1:]
    if isinstance(exc, RecursionError):
        return "nested too deeply to read"
    if isinstance(exc, OverflowError):
        return "holds a number too large to use"
    if isinstance(exc, MemoryError):
        return "too large to hold in memory"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON: {exc.msg.removesuffix(' at')} (line {exc.lineno} column {exc.colno})"
    if isinstance(exc, yaml.YAMLError):
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "not valid YAML"
        return f"invalid YAML: {problem}" + (f" (line {mark.line + 1} column {mark.column + 1})" if mark else "")
    if isinstance(exc, csv.Error):
        return f"malformed CSV: {exc}"
    return "an unexpected value the reader could not use"


class _NoAliasLoader(yaml.SafeLoader):
    """YAML without aliases: `*name` refers to an `&name` anchor, and a few nested aliases expand
    to billions of nodes ("billion laughs"). Metadata files and front matter never need them."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            line = event.start_mark.line + 1 if event.start_mark else 0
            raise ReadError(f"YAML alias (*name) on line {line} refused: aliases can expand without bound; "
                            "write the values out in full")
        return super().compose_node(parent, index)


def load_yaml(text: str) -> Any:
    """yaml.safe_load, refusing aliases (see _NoAliasLoader). Raises ReadError or yaml.YAMLError."""
    loader = _NoAliasLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


class ReadError(Exception):
    """Raised inside a reader for a problem that skips the whole file."""


def open_bytes(path: Path) -> io.BufferedReader:
    """Open a file for reading bytes, transparently decompressing gzip with a size bound."""
    if path.name.lower().endswith(".gz"):
        return io.BufferedReader(BoundedReader(gzip.open(path, "rb"), MAX_DECOMPRESSED_BYTES), 1 << 16)  # type: ignore[arg-type]
    return open(path, "rb")


def read_whole(path: Path, limit: int = MAX_WHOLE_FILE_BYTES) -> bytes:
    """Read a whole (possibly gzipped) file, refusing ones beyond `limit` bytes."""
    with open_bytes(path) as fh:
        data = fh.read(limit + 1)
    if len(data) > limit:
        raise ReadError(f"larger than {_mb(limit)}, too large for a single document")
    return data


def _mb(n: int) -> str:
    return f"{n / 1024**2:.0f} MB" if n >= 1024**2 else f"{n} bytes"


class BoundedReader(io.RawIOBase):
    """A read-only stream that fails once more than `limit` bytes have been read."""

    def __init__(self, inner: io.BufferedIOBase, limit: int) -> None:
        self.inner = inner
        self.limit = limit
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.inner.read(len(buffer))
        self.count += len(data)
        if self.count > self.limit:
            raise ReadError(f"decompresses to more than {_mb(self.limit)}; refused as a likely gzip bomb")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text in any encoding we read (NULs outside UTF-16, control chars)."""
    if not data:
        return False
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _bomless_utf16(data):
        return False
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls / len(sample) > 0.05


def _bomless_utf16(data: bytes) -> str | None:
    """"utf-16-le" or "utf-16-be" for text saved as UTF-16 without a BOM (NUL in every other byte)."""
    sample = data[:4096]
    if len(sample) < 8:
        return None
    even, odd = sample[0::2], sample[1::2]
    # Mostly-ASCII UTF-16 has a NUL in (nearly) every high byte and almost none in the low bytes.
    if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.05 * len(even):
        return "utf-16-le"
    if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.05 * len(odd):
        return "utf-16-be"
    return None


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
    # Bytes that are not valid UTF-8 are read one at a time as Windows-1252 (Latin-1 where
    # Windows-1252 leaves a byte undefined), so a stray pound sign or smart quote survives.
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    bad = exc.object[exc.start:exc.start + 1]
    return (bad.decode("latin-1") if bad in _CP1252_UNDEFINED else bad.decode("cp1252")), exc.start + 1


_CP1252_UNDEFINED = {b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d"}
codecs.register_error("corpus-cp1252", _cp1252_fallback)


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes to text: BOMs first, then UTF-8, reading any invalid byte as Windows-1252.

    Returns (text, encoding). Windows-1252 covers Latin-1's printable characters and adds the
    smart quotes and dashes that scraped text uses; reading invalid bytes one at a time keeps a
    file that is mostly UTF-8 with a few stray Latin-1 bytes from turning into mojibake.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="corpus-cp1252"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    utf16 = _bomless_utf16(data)
    if utf16:
        return data.decode(utf16, errors="replace"), utf16
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    return data.decode("utf-8", errors="corpus-cp1252"), "cp1252"


def decode_line(data: bytes) -> str:
    """Decode one line of a streamed file (UTF-8, invalid bytes read as Windows-1252)."""
    return data.decode("utf-8", errors="corpus-cp1252")


@dataclass
class Line:
    """One physical line of a streamed file; text is None when the line was too long to keep."""

    number: int
    text: str | None
    size: int = 0


def stream_lines(path: Path, limit: int = MAX_RECORD_BYTES, keepends: bool = False) -> Iterator[Line]:
    """The lines of a (possibly gzipped) text file, one at a time, never holding more than `limit` bytes of one.

    A line longer than `limit` is yielded with text None (its size is counted, its bytes dropped)
    so the caller can name it in the report and go on with the next line. Raises ReadError for a
    file that is binary.
    """
    with open_bytes(path) as raw:
        fh = raw
        head = fh.peek(8192)[:8192]
        if looks_binary(head):
            raise ReadError("binary content, not text")
        encoding = None
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        elif _bomless_utf16(head):
            encoding = _bomless_utf16(head)
        if encoding:
            yield from _utf16_lines(fh, encoding, limit, keepends)
            return
        number = 0
        while True:
            chunk = fh.readline(limit + 1)
            if not chunk:
                return
            number += 1
            if len(chunk) > limit and not chunk.endswith(b"\n"):
                size = len(chunk)
                while chunk and not chunk.endswith(b"\n"):
                    chunk = fh.readline(1 << 20)
                    size += len(chunk)
                yield Line(number, None, size)
                continue
            if number == 1 and chunk.startswith(codecs.BOM_UTF8):
                chunk = chunk[3:]
            text = decode_line(chunk)
            yield Line(number, text if keepends else text.rstrip("\r\n"), len(chunk))


def _utf16_lines(fh: io.BufferedReader, encoding: str, limit: int, keepends: bool) -> Iterator[Line]:
    wrapper = io.TextIOWrapper(fh, encoding=encoding, errors="replace", newline="")
    number = 0
    while True:
        text = wrapper.readline(limit // 2 + 1)
        if not text:
            return
        number += 1
        if len(text) > limit // 2 and not text.endswith("\n"):
            size = len(text) * 2
            while text and not text.endswith("\n"):
                text = wrapper.readline(1 << 19)
                size += len(text) * 2
            yield Line(number, None, size)
            continue
        text = text.lstrip("\ufeff") if number == 1 else text
        yield Line(number, text if keepends else text.rstrip("\r\n"), len(text) * 2)
