"""Export every Reuters-21578 document through a real gunicorn, watching the worker's memory while it streams."""

from __future__ import annotations

import csv
import io
import json
import os
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from servers import gunicorn
from support import SHARED_CORPORA

REUTERS = SHARED_CORPORA / "reuters21578" / "reuters21578.jsonl"
REUTERS_RECORDS = 21_578

pytestmark = [
    pytest.mark.corpora,
    pytest.mark.slow,
    pytest.mark.skipif(not REUTERS.is_file(), reason=f"Reuters-21578 is not at {REUTERS} (../shared/corpora is absent)"),
]


def worker_pids(port: str) -> list[int]:
    """gunicorn workers serving this port: processes with our CORPUS_PORT whose parent has it too."""
    ours: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            environ = Path(f"/proc/{name}/environ").read_bytes().split(b"\0")
            status = Path(f"/proc/{name}/status").read_text()
        except OSError:
            continue
        if f"CORPUS_PORT={port}".encode() in environ:
            ppid = next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1]
            ours[int(name)] = int(ppid)
    return [pid for pid, parent in ours.items() if parent in ours]


def rss_kb(pid: int) -> int:
    """The resident memory of a process, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmRSS for {pid}")


class Sampling(io.RawIOBase):
    """Reads the HTTP body and records the worker's RSS once per 256 KiB received."""

    def __init__(self, response: Any, pid: int) -> None:
        self.response, self.pid = response, pid
        self.received, self.samples, self._next = 0, [], 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.response.read(len(buffer))
        buffer[: len(data)] = data
        self.received += len(data)
        if self.received >= self._next:
            self.samples.append(rss_kb(self.pid))
            self._next += 256 * 1024
        return len(data)


def test_exporting_all_of_reuters_gives_every_document_in_flat_memory(reuters_index, record_property, tmp_path):
    settings, report = reuters_index  # the session's Reuters index, shared with tests/test_reuters.py
    index_dir = settings.index_dir
    # Every record is accounted for: exported, or named in the report as a duplicate or a skip.
    assert report.documents == REUTERS_RECORDS - report.duplicate - report.skipped
    assert len(report.duplicate_items) == report.duplicate and len(report.skipped_items) == report.skipped

    # One worker with one thread, so that the warm-up below opens the very searcher the export uses.
    with gunicorn(index_dir, workers=1, extra_env={"GUNICORN_CMD_ARGS": "--threads 1"}) as base:
        [worker] = worker_pids(base.rsplit(":", 1)[1])
        with urllib.request.urlopen(base + "/api/stats", timeout=120) as response:
            assert json.load(response)["documents"] == report.documents
        # A small export pays the one-off costs (searcher, stored-field and term caches, ~20 MB)
        # that any first export pays whatever its size; what is left to see is growth per row.
        with urllib.request.urlopen(base + "/api/export?q=yen&fields=id,body", timeout=120) as response:
            assert len(response.read().splitlines()) > 10
        before_kb = rss_kb(worker)
        with urllib.request.urlopen(base + "/api/export?format=csv", timeout=600) as response:
            assert response.headers["X-Total-Count"] == str(report.documents)
            assert response.headers["X-Export-Truncated"] == "false"
            # Sent as it is made: the server cannot know the length in advance.
            assert response.headers["Transfer-Encoding"] == "chunked" and "Content-Length" not in response.headers
            body = Sampling(response, worker)
            reader = csv.reader(io.TextIOWrapper(io.BufferedReader(body, 64 * 1024), encoding="utf-8", newline=""))
            header = next(reader)
            ids = set()
            rows = 0
            for row in reader:
                rows += 1
                ids.add(row[0])
                assert len(row) == len(header), row[:2]

    assert header[:3] == ["id", "title", "author"]
    assert rows == len(ids) == report.documents
    samples = body.samples
    growth_kb = max(samples) - before_kb
    record = {"bytes": body.received, "rows": rows, "rss_kb_before": before_kb, "rss_kb_first": samples[0],
              "rss_kb_max": max(samples),
              "rss_kb_last": samples[-1], "growth_kb": growth_kb, "samples": len(samples)}
    record_property("export_worker_rss", record)
    print("export of Reuters-21578, worker RSS while streaming:", json.dumps(record))
    assert len(samples) > 20 and body.received > 10_000_000
    # Holding the rows would grow the worker by at least the size of the body (about 17 MB);
    # streaming keeps it within a few MB of where it was before the export.
    assert growth_kb * 1024 < body.received / 4, record
