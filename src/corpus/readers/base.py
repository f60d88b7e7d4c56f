"""What every reader yields, and the byte-level helpers they share."""

from __future__ import annotations

import codecs
import gzip
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Decompressed inputs larger than this are refused, so a gzip bomb cannot exhaust memory or disk.
MAX_DECOMPRESSED_BYTES = 2 * 1024**3
# A whole-file format (plain text, HTML, a single JSON document) larger than this is refused;
# streaming formats (JSON Lines, CSV) have no such limit.
MAX_WHOLE_FILE_BYTES = 64 * 1024**2


@dataclass
class RawRecord:
    """One record as a reader found it: field names are still the source's own."""

    fields: dict[str, Any]
    origin: str  # "relative/path" or "relative/path:line"
    path: str  # relative path of the file, used for ids and removal of gone files
    recno: int | None = None  # record number inside a multi-record file
    fmt: str = ""
    meta: dict[str, Any] = field(default_factory=dict)  # sidecar / folder defaults


@dataclass
class Skipped:
    """A file or record that could not be read, with the reason shown in the ingest report."""

    origin: str
    reason: str


class ReadError(Exception):
    """Raised inside a reader for a problem that skips the whole file."""


def open_bytes(path: Path) -> io.RawIOBase | io.BufferedIOBase:
    """Open a file for reading bytes, transparently decompressing gzip with a size bound."""
    if path.name.endswith(".gz"):
        return BoundedReader(gzip.open(path, "rb"), MAX_DECOMPRESSED_BYTES)  # type: ignore[arg-type]
    return open(path, "rb")


def read_whole(path: Path) -> bytes:
    """Read a whole (possibly gzipped) file, refusing ones beyond MAX_WHOLE_FILE_BYTES."""
    with open_bytes(path) as fh:
        data = fh.read(MAX_WHOLE_FILE_BYTES + 1)
    if len(data) > MAX_WHOLE_FILE_BYTES:
        raise ReadError(f"larger than {MAX_WHOLE_FILE_BYTES // 1024**2} MB, too large for a single document")
    return data


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
            raise ReadError(f"decompresses to more than {self.limit // 1024**2} MB; refused as a likely gzip bomb")
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.inner.close()
        super().close()


def looks_binary(data: bytes) -> bool:
    """True for bytes that are not text in any encoding we read (NULs outside UTF-16, control chars)."""
    if not data:
        return False
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return False
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return controls / len(sample) > 0.05


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode bytes to text: BOMs first, then UTF-8, then Windows-1252, then Latin-1.

    Returns (text, encoding). Windows-1252 is tried before Latin-1 because scraped text uses its
    smart quotes and dashes; bytes it leaves undefined fall through to Latin-1, which never fails.
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"
