"""The peer: the same Reuters records in SQLite (sqlite-utils, FTS5 via enable-fts) served by a real Datasette.

Region is stored as a JSON array and faceted with `_facet_array`; author and source with `_facet`;
year is a column; the timeline's counterpart is Datasette's `_facet_date` on the date column.
Datasette shows no highlighted snippets, so the peer does less work than our full search.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from common import BIN, WORK, busy, cpu_seconds, free_port, http_get, log, stop, summary, wait_http
from queries import KINDS, QUERIES

DB_NAME = "reuters"
FACETS = [("_facet", "author"), ("_facet", "source"), ("_facet_array", "region"), ("_facet", "year"),
          ("_facet_date", "date")]


def _row(rec: dict[str, Any]) -> dict[str, Any]:
    date = rec.get("date") or None
    return {"id": rec["id"], "title": rec.get("title") or "", "body": rec.get("body") or "",
            "author": rec.get("author") or None, "source": rec.get("source") or None,
            "region": list(rec.get("region") or []), "topics": list(rec.get("topics") or []),
            "date": date, "year": int(date[:4]) if date else None}


def load(records_path: Path) -> dict[str, Any]:
    """Build the peer's database from the JSON Lines file, the way a user would; returns its load time."""
    import sqlite_utils

    db_path = WORK / f"{DB_NAME}.db"
    for p in (db_path, db_path.with_suffix(".db-wal"), db_path.with_suffix(".db-shm")):
        p.unlink(missing_ok=True)
    started = time.perf_counter()
    db = sqlite_utils.Database(db_path)
    with open(records_path, encoding="utf-8") as fh:
        rows = (_row(json.loads(line)) for line in fh if line.strip())
        db["docs"].insert_all(rows, pk="id", batch_size=2000, alter=True)
    db["docs"].enable_fts(["title", "body"], tokenize="porter", create_triggers=True)
    for column in ("author", "source", "year", "date"):
        db["docs"].create_index([column])
    db.vacuum()
    db.close()
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "db_mb": round(db_path.stat().st_size / 1e6, 1), "path": str(db_path),
            "rows": sqlite_utils.Database(db_path)["docs"].count}


@contextmanager
def datasette(db_path: Path) -> Iterator[tuple[str, int]]:
    """A real `datasette serve` on a free loopback port, with time limits raised so no facet is cut off."""
    port = free_port()
    logf = open(WORK / "datasette.log", "w")  # noqa: SIM115 - closed below, after the server stops
    cmd = [str(BIN / "datasette"), "serve", str(db_path), "--host", "127.0.0.1", "--port", str(port),
           "--setting", "sql_time_limit_ms", "30000", "--setting", "facet_time_limit_ms", "30000",
           "--setting", "suggest_facets", "off", "--setting", "num_sql_threads", "2"]
    proc = subprocess.Popen(cmd, stdout=logf, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + f"/{DB_NAME}/docs.json?_size=1", proc)
        yield base, proc.pid
    finally:
        stop(proc)
        logf.close()


def path(fts: str | None, dates: Any, mode: str) -> str:
    """The Datasette table URL of one query: FTS5 syntax as typed (_searchmode=raw), 10 rows, the facets."""
    params: list[tuple[str, str]] = [("_size", "10")]
    if fts is not None:
        params += [("_search", fts), ("_searchmode", "raw")]
    if dates:
        params += [("date__gte", dates[0].isoformat()), ("date__lte", dates[1].isoformat() + "T23:59:59")]
    if mode == "full":
        params += [*FACETS, ("_facet_size", "10")]
    return f"/{DB_NAME}/docs.json?" + urlencode(params)


def run(base: str, reps: int, pid: int | None = None) -> dict[str, Any]:
    """Time every query and mode against Datasette, one request at a time (and its CPU, given its pid)."""
    from search_bench import server_cpu

    pids = [pid] if pid else []
    errors: list[str] = []
    totals: dict[str, Any] = {}
    for kind, _q, fts, dates in QUERIES:
        status, _ms, body = http_get(base + path(fts, dates, "full"))
        data = json.loads(body) if status == 200 else {}
        if status != 200 or data.get("facets_timed_out"):
            errors.append(f"{status} for {fts!r}: {body[:200]!r}")
        totals[f"{kind}: {fts or '(all)'}"] = data.get("filtered_table_rows_count")
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    cpu: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _ in range(reps):
        for mode in ("full", "bare"):
            for kind, _q, fts, dates in QUERIES:
                before = cpu_seconds(pids)
                status, ms, _body = http_get(base + path(fts, dates, mode))
                cpu[(mode, kind)].append((cpu_seconds(pids) - before) * 1000)
                if status != 200:
                    errors.append(f"{status} for {fts!r}")
                samples[(mode, kind)].append(ms)
    log(f"  datasette: {sum(len(v) for v in samples.values())} requests, {len(errors)} errors")
    by_kind = {mode: {kind: summary(samples[(mode, kind)]) for kind in KINDS} for mode in ("full", "bare")}
    return {"totals": totals, "errors": errors[:20], "error_count": len(errors), "by_kind": by_kind, "busy": busy(),
            "server_cpu_mean_ms": server_cpu(cpu) if pids else None}
