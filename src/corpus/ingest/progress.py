"""Progress of the reading: a tqdm bar of bytes on a terminal, plain log lines otherwise."""

from __future__ import annotations

import logging
import sys
import time
from pathlib import Path

log = logging.getLogger("corpus.ingest")


class Progress:
    """A tqdm bar of bytes read on a terminal; plain log lines every few seconds otherwise.

    Bytes, not files: one 30 MB JSON Lines file is a single file but a long read.
    """

    def __init__(self, paths: list[Path], bar: bool) -> None:
        self.files, self.done_files, self.records, self.last = len(paths), 0, 0, time.monotonic()
        self.total = sum(_size(p) for p in paths)
        self.bar = None
        if bar and paths:
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, unit="B", unit_scale=True, desc="ingest", file=sys.stderr)

    def record(self) -> None:
        self.records += 1
        now = time.monotonic()
        if self.bar is not None and now - self.last > 0.5:
            self.last = now  # inside a big file the bytes stand still, so show the records read
            self.bar.set_postfix(files=f"{self.done_files}/{self.files}", docs=self.records)
        elif self.bar is None and now - self.last > 5:
            self.last = now
            log.info("read %d records from %d of %d files", self.records, self.done_files, self.files)

    def file_done(self, path: Path) -> None:
        self.done_files += 1
        if self.bar is not None:
            self.bar.update(_size(path))
            self.bar.set_postfix(files=f"{self.done_files}/{self.files}", docs=self.records, refresh=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        else:
            log.info("read %d records from %d files", self.records, self.files)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0
