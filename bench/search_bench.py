"""Search figures: the fixed query set in-process (SearchService) and over HTTP (gunicorn), per query kind."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from common import busy, cpu_seconds, http_get, log, summary
from queries import KINDS, QUERIES

# "full": the whole search a page shows (hits, facets, timeline, 10 highlighted hits, author matches).
# "bare": the same query with only its 10 hits and the total.
# "full_uncached" (in-process only): full, with the postings cache off (CORPUS_POSTINGS_CACHE_MB=0).
MODES = ("full", "bare")


def request(q: str, dates: Any, mode: str) -> Any:
    """The SearchRequest of one query in one mode."""
    from corpus.search import SearchRequest

    extra: dict[str, Any] = {}
    if mode == "bare":
        extra = {"facets": (), "timeline": False, "highlight": False, "authors": False}
    return SearchRequest(q=q, date_from=dates[0] if dates else None, date_to=dates[1] if dates else None,
                         per_page=10, **extra)


def by_kind(samples: dict[tuple[str, str], list[float]],
            cpu: dict[tuple[str, str], list[float]] | None = None) -> dict[str, dict[str, Any]]:
    """{mode: {kind: summary}} from {(mode, kind): [ms, ...]}."""
    out: dict[str, dict[str, Any]] = defaultdict(dict)
    for (mode, kind), ms in samples.items():
        out[mode][kind] = summary(ms, (cpu or {}).get((mode, kind)))
    return {mode: {kind: out[mode][kind] for kind in KINDS if kind in out[mode]} for mode in out}


def in_process(index: Path, reps: int) -> dict[str, Any]:
    """Time SearchService.search for every query, mode and repetition, after one warm-up pass."""
    from corpus.config import Settings
    from corpus.engines import open_backend

    svc = open_backend(Settings.from_env(index_dir=index))
    totals: dict[str, int] = {}
    import time

    started = time.perf_counter()
    for kind, q, _fts, dates in QUERIES:  # warm-up: opens the index and loads the facet arrays once
        result = svc.search(request(q, dates, "full"))
        totals[f"{kind}: {q or '(all)'}"] = result.total
    warm_ms = (time.perf_counter() - started) * 1000
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    cpu: dict[tuple[str, str], list[float]] = defaultdict(list)
    per_query: dict[str, list[float]] = defaultdict(list)
    for _ in range(reps):
        for mode in MODES:
            for kind, q, _fts, dates in QUERIES:
                req = request(q, dates, mode)
                c0, t0 = time.thread_time(), time.perf_counter()
                svc.search(req)
                ms = (time.perf_counter() - t0) * 1000
                cpu[(mode, kind)].append((time.thread_time() - c0) * 1000)
                samples[(mode, kind)].append(ms)
                per_query[f"{mode} {kind}: {q or '(all)'}"].append(ms)
    # The same full searches with the postings cache off: every word decoded from the index each
    # time, as for the first search of a word after a start or an ingest.
    uncached = open_backend(Settings.from_env(index_dir=index, postings_cache_mb=0))
    for _kind, q, _fts, dates in QUERIES:
        uncached.search(request(q, dates, "full"))
    for _ in range(reps):
        for kind, q, _fts, dates in QUERIES:
            req = request(q, dates, "full")
            c0, t0 = time.thread_time(), time.perf_counter()
            uncached.search(req)
            samples[("full_uncached", kind)].append((time.perf_counter() - t0) * 1000)
            cpu[("full_uncached", kind)].append((time.thread_time() - c0) * 1000)
    return {"first_pass_ms": round(warm_ms, 1), "totals": totals, "by_kind": by_kind(samples, cpu), "busy": busy(),
            "per_query_median_ms": {k: round(sorted(v)[len(v) // 2], 2) for k, v in per_query.items()}}


def api_path(q: str, dates: Any, mode: str) -> str:
    """The /api/search URL path of one query; the API has no switch for facets or the timeline, only highlights."""
    params: list[tuple[str, str]] = [("q", q), ("per_page", "10")]
    if dates:
        params += [("from", dates[0].isoformat()), ("to", dates[1].isoformat())]
    if mode == "bare":
        params.append(("highlight", "false"))
    return "/api/search?" + urlencode(params)


def server_cpu(samples: dict[tuple[str, str], list[float]]) -> dict[str, dict[str, float]]:
    """{mode: {kind: mean server CPU ms per request}} from per-request CPU deltas (10 ms ticks, so a mean)."""
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for (mode, kind), values in samples.items():
        out[mode][kind] = round(sum(values) / len(values), 1)
    return {mode: {k: out[mode][k] for k in KINDS if k in out[mode]} for mode in out}


def over_http(base: str, reps: int, pids: list[int] | None = None) -> dict[str, Any]:
    """Time GET /api/search against a running gunicorn, one request at a time.

    With the server's pids, also the server CPU each request used, which other processes on the
    machine do not inflate.
    """
    errors: list[str] = []
    totals: dict[str, Any] = {}
    for kind, q, _fts, dates in QUERIES:  # warm-up, and a check that the answers are real
        status, _ms, body = http_get(base + api_path(q, dates, "full"))
        if status != 200:
            errors.append(f"{status} for {q!r}: {body[:200]!r}")
            continue
        data = json.loads(body)
        totals[f"{kind}: {q or '(all)'}"] = data.get("total")
    samples: dict[tuple[str, str], list[float]] = defaultdict(list)
    cpu: dict[tuple[str, str], list[float]] = defaultdict(list)
    for _ in range(reps):
        for mode in MODES:
            for kind, q, _fts, dates in QUERIES:
                before = cpu_seconds(pids or [])
                status, ms, body = http_get(base + api_path(q, dates, mode))
                cpu[(mode, kind)].append((cpu_seconds(pids or []) - before) * 1000)
                if status != 200:
                    errors.append(f"{status} for {q!r}")
                samples[(mode, kind)].append(ms)
    log(f"  http: {sum(len(v) for v in samples.values())} requests, {len(errors)} errors")
    return {"totals": totals, "errors": errors[:20], "error_count": len(errors), "by_kind": by_kind(samples), "busy": busy(),
            "server_cpu_mean_ms": server_cpu(cpu) if pids else None,
            "note": "bare = highlight=false; the API always computes facets and the timeline"}
