"""The scale step: per-scale ingest (or reuse of a stamped index), search, load, worker memory,
publish-to-first-search, a brute-force count check at the top scale, and the SVG chart.
"""

from __future__ import annotations

import hashlib
import json
import math
import statistics
import subprocess
import threading
import time
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import corpora
from common import ROOT, WORK, children, dir_size, gunicorn, http_get, log, percentile, rss_kb, served_build
from queries import KINDS, QUERIES

STAMP = "bench-stamp.json"  # in the index folder, beside current/ and builds/
STAMP_FORMAT = 1  # bump when what the stamp covers changes


# --- the stamp of a built index ---------------------------------------------------------------

def source_hash() -> str:
    """sha256 over the path and contents of every tracked file under src/corpus (the code that shapes the index)."""
    listed = subprocess.run(["git", "ls-files", "src/corpus"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    h = hashlib.sha256()
    for rel in sorted(listed.split()):
        path = ROOT / rel
        h.update(rel.encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"(missing)")
        h.update(b"\0")
    return h.hexdigest()


def stamp_for(scale: int, fmt: str, documents: int, src_hash: str) -> str:
    """The stamp of a scale index: the source hash, the scale, the corpus format and size, the generator."""
    key = json.dumps({"src": src_hash, "scale": scale, "format": fmt, "base_documents": documents,
                      "stamp_format": STAMP_FORMAT}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def read_stamp(index: Path) -> dict[str, Any] | None:
    """The stamp file of an index folder, if it has one and a served build."""
    path = index / STAMP
    if not path.is_file() or not (index / "current").exists():
        return None
    try:
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    except ValueError:
        return None


def commit() -> str:
    """The short commit of HEAD (the tree may differ; the stamp is what says whether an index is reusable)."""
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()


# --- one scale ----------------------------------------------------------------------------------

def worker_rss(base: str, master: Any) -> dict[str, Any]:
    """RSS of every gunicorn worker after each of them has answered the whole query set."""
    from load_bench import paths

    for _ in range(4):  # requests spread over the workers; four rounds reach every worker
        for p in paths():
            http_get(base + p)
    workers = children(master.pid)
    rss = [round(rss_kb(pid) / 1024, 1) for pid in workers]
    return {"workers": len(workers), "rss_mb": rss, "max_rss_mb": max(rss) if rss else None,
            "master_rss_mb": round(rss_kb(master.pid) / 1024, 1)}


def ingest_point(base: list[dict[str, Any]], fmt: str, scale: int, src_hash: str, reuse: bool) -> tuple[Path, dict[str, Any]]:
    """Ingest the scale-x corpus into bench/work/indexes/scale-<N>x, or reuse it when its stamp matches."""
    from ingest_bench import _rates, fresh_index, run_ingest

    folder = corpora.build_scaled(base, scale, fmt)
    stamp = stamp_for(scale, fmt, len(base), src_hash)
    index = WORK / "indexes" / f"scale-{scale}x"
    old = read_stamp(index)
    if reuse and old and old.get("stamp") == stamp and old.get("point"):
        log(f"ingest: {scale}x reused (stamp {stamp}, built at commit {old.get('commit')} {old.get('built_at')})")
        point = dict(old["point"], reused=True, stamp=stamp, built_at_commit=old.get("commit"), built_at=old.get("built_at"))
        point["index_mb"] = round(dir_size(served_build(index)) / 1e6, 1)
        return index, point
    index = fresh_index(f"scale-{scale}x")
    log(f"ingest: {scale}x Reuters ({scale * len(base):,} documents)" + (" (stamp changed)" if old else ""))
    res = run_ingest(index, [folder])
    point = _rates(res, scale * len(base), corpora.corpus_bytes(folder), index)
    point["corpus"] = str(folder)
    log(f"  {res['seconds']} s, {point['docs_per_s']} docs/s, peak {res['peak_tree_rss_mb']} MB")
    built = {"stamp": stamp, "src_sha256": src_hash, "scale": scale, "format": fmt, "base_documents": len(base),
             "commit": commit(), "built_at": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "point": point}
    (index / STAMP).write_text(json.dumps(built, indent=2) + "\n")
    return index, dict(point, reused=False, stamp=stamp, built_at_commit=built["commit"], built_at=built["built_at"])


def run(base: list[dict[str, Any]], fmt: str, scales: list[int], reps: int, load_seconds: int, load_scales: set[int],
        full: dict[str, Any] | None, one_index: Path | None, reuse: bool, cores: int, publish_seconds: float,
        brute_scale: int | None) -> dict[str, Any]:
    """Every scale of the curve, then the brute-force check at brute_scale; returns the scale.json content."""
    import load_bench
    import search_bench

    src_hash = source_hash()
    out: dict[str, Any] = {"points": {}, "indexes": {}, "src_sha256": src_hash, "scales": scales}
    for scale in scales:
        key = str(scale)
        if scale == 1 and full and one_index and one_index.exists():
            index, point = one_index, dict(full, note="the real Reuters ingest (the ingest step)", reused=True)
        else:
            index, point = ingest_point(base, fmt, scale, src_hash, reuse)
        out["indexes"][key] = str(index)
        log(f"search: in-process, {scale}x")
        point["search"] = search_bench.in_process(index, reps)
        if scale in load_scales:
            log(f"load: gunicorn with {cores} workers on {scale}x, concurrency 16, {load_seconds} s")
            with gunicorn(index, cores) as (url, proc):
                point["load16"] = load_bench.run(url, [16], load_seconds, [proc.pid, *children(proc.pid)])[0]
                point["memory"] = worker_rss(url, proc)
            log(f"  worker RSS {point['memory']['rss_mb']} MB")
        log(f"publish: a new build of {scale}x while searches run")
        point["publish"] = publish_probe(index, cores, publish_seconds)
        log(f"  publish to first search on the new build: {point['publish']['publish_to_first_search_s']} s; "
            f"p95 before {point['publish']['before']['p95_ms']} ms, during {point['publish']['during']['p95_ms']} ms, "
            f"{point['publish']['errors']} errors")
        out["points"][key] = point
    top = brute_scale or max(scales)
    if str(top) in out["indexes"]:
        log(f"brute force: five counts at {top}x against a scan of the generated corpus")
        tp = out["points"][str(top)]
        out["brute_force"] = brute_force(Path(out["indexes"][str(top)]), corpora.build_scaled(base, top, fmt), top, cores,
                                         tp.get("duplicate_ids"), tp.get("duplicate"))
        log(f"  {'all pass' if out['brute_force']['all_pass'] else 'MISMATCH'}: "
            + ", ".join(f"{q['query']} {q['engine']}/{q['scan']}" for q in out["brute_force"]["queries"]))
    return out


# --- publish to first search ------------------------------------------------------------------

def _lat(ms: list[float]) -> dict[str, Any]:
    if not ms:
        return {"n": 0, "median_ms": None, "p95_ms": None, "max_ms": None}
    return {"n": len(ms), "median_ms": round(statistics.median(ms), 2), "p95_ms": round(percentile(ms, 95), 2),
            "max_ms": round(max(ms), 2)}


def publish_probe(index: Path, threads: int, seconds: float) -> dict[str, Any]:
    """Searches in `threads` threads of one SearchService, a new build published midway, the switch measured.

    The new build is a hard-linked clone of the served one (indexdir.clone_build) swapped in with
    indexdir.swap_in, exactly as an ingest publishes: same documents, new build, so the searchers
    must open it (segments, snapshot, facet arrays, hot store) and their caches start cold. What it
    does not include is an ingest's CPU competing for the cores meanwhile.
    """
    from search_bench import request

    from corpus import indexdir
    from corpus.config import Settings
    from corpus.engines import open_backend

    svc = open_backend(Settings.from_env(index_dir=index))
    for _kind, q, _fts, dates in QUERIES:  # warm: the old build is open and its caches hot, as in a server
        svc.search(request(q, dates, "full"))
    engine = getattr(svc, "backend", svc)  # under the result cache, when one wraps it (off in the benchmarks)
    old_build = engine.searchers.held().build
    records: list[tuple[float, float, str, str | None]] = []  # (start, end, build name, error)
    by_thread: dict[int, float] = {}  # thread -> end of its first search answered on the new build
    lock = threading.Lock()
    stop = threading.Event()
    new_name: list[str] = []

    def loop(offset: int) -> None:
        i = offset
        while not stop.is_set():
            _kind, q, _fts, dates = QUERIES[i % len(QUERIES)]
            i += 1
            t0 = time.perf_counter()
            err = None
            build = "?"
            try:
                svc.search(request(q, dates, "full"))
                build = engine.searchers.held().build.name
            except Exception as exc:  # an error during the switch is a finding
                err = repr(exc)[:200]
            t1 = time.perf_counter()
            with lock:
                records.append((t0, t1, build, err))
                if new_name and build == new_name[0] and offset not in by_thread:
                    by_thread[offset] = t1

    workers = [threading.Thread(target=loop, args=(n * 7,), daemon=True) for n in range(threads)]
    for w in workers:
        w.start()
    time.sleep(seconds)
    build = indexdir.clone_build(index, old_build)
    new_name.append(build.name)
    t_swap = time.perf_counter()
    indexdir.swap_in(index, build)
    swapped = time.perf_counter()
    deadline = swapped + max(60.0, seconds * 6)
    # Keep searching until every thread has answered on the new build, then `seconds` more.
    while time.perf_counter() < deadline:
        with lock:
            moved = len(by_thread)
        if moved >= threads:
            break
        time.sleep(0.05)
    time.sleep(seconds)
    stop.set()
    for w in workers:
        w.join(timeout=120)
    before = [(e - s) * 1000 for s, e, b, err in records if e < t_swap and not err]
    new = [r for r in records if r[2] == build.name]
    first_new = min((e for s, e, b, err in new), default=None)
    # "During": every search in flight at the swap or started after it, until the last thread's first answer on the new build.
    last_first = max(by_thread.values()) if len(by_thread) >= threads else math.inf
    during = [(e - s) * 1000 for s, e, b, err in records if e >= t_swap and s <= last_first and not err]
    after = [(e - s) * 1000 for s, e, b, err in records if s > last_first and not err]
    errors = [err for *_x, err in records if err]
    p95_before = percentile(before, 95) if before else None
    slowed = sum(1 for s, e, b, err in records if e >= t_swap and b == old_build.name and p95_before is not None
                 and (e - s) * 1000 > p95_before)
    return {"method": "clone_build + swap_in of the served build (hard links), searches in threads of one SearchService",
            "threads": threads, "old_build": old_build.name, "new_build": build.name,
            "swap_in_ms": round((swapped - t_swap) * 1000, 2),
            "publish_to_first_search_s": round(first_new - t_swap, 3) if first_new is not None else None,
            "before": _lat(before), "during": _lat(during), "after": _lat(after),
            "old_build_searches_after_swap": sum(1 for s, e, b, err in records if e >= t_swap and b == old_build.name),
            "old_build_searches_slower_than_p95_before": slowed,
            "threads_moved_to_new_build": len(by_thread),
            "last_thread_on_new_build_s": round(last_first - t_swap, 3) if last_first != math.inf else None,
            "errors": len(errors), "error_examples": errors[:5],
            "target": "publish to first search ≤ 5 s; no failed search, none on the old build above its p95"}


# --- brute force ------------------------------------------------------------------------------

def _oracle_queries() -> list[tuple[str, str, dict[str, Any]]]:
    """(kind, query, predicate spec) for the five checked queries."""
    return [("term_common", "said", {"all": ["said"]}),
            ("and", "oil AND prices", {"all": ["oil", "prices"]}),
            ("phrase", '"interest rates"', {"phrase": "interest rates"}),
            ("phrase_common", '"of the"', {"phrase": "of the"}),
            ("facet", "oil AND region:japan", {"all": ["oil"], "region": "Japan"})]


def _scan_file(args: tuple[str, str, frozenset[str]]) -> tuple[list[int], int]:
    """Counts of the five predicates over one corpus file, read the way ingest reads it."""
    from corpus import analysis
    from corpus.documents import RawRecord
    from corpus.normalize import to_article
    from corpus.readers import read_file

    path, root, dropped = args
    specs = [spec for *_x, spec in _oracle_queries()]
    en = analysis.analyzer("en")
    words = [([en.terms(w)[0] for w in s.get("all", [])], en.terms(s["phrase"]) if "phrase" in s else None, s.get("region"))
             for s in specs]
    counts = [0] * len(specs)
    seen = 0
    for raw in read_file(Path(path), Path(root)):
        if not isinstance(raw, RawRecord):
            continue
        art = to_article(raw)
        if art.id in dropped:  # the ingest kept an earlier copy of this document only
            continue
        seen += 1
        ana = analysis.analyzer(art.language)
        title, body = ana.terms(art.title), ana.terms(art.body)
        both = set(title) | set(body)
        for n, (need, phrase, region) in enumerate(words):
            if need and not all(w in both for w in need):
                continue
            if phrase and not (_run(title, phrase) or _run(body, phrase)):
                continue
            if region and region not in art.region:
                continue
            counts[n] += 1
    return counts, seen


def _run(tokens: list[str], words: list[str]) -> bool:
    n = len(words)
    if n == 2:
        return any(a == words[0] and b == words[1] for a, b in pairwise(tokens))
    return any(tokens[i:i + n] == words for i in range(len(tokens) - n + 1))


def brute_force(index: Path, folder: Path, scale: int, cores: int, dropped: list[str] | None = None,
                duplicates: int | None = None) -> dict[str, Any]:
    """The engine's totals for five queries against a scan of every file of the generated corpus."""
    from corpus.config import Settings
    from corpus.engines import open_backend
    from corpus.search import SearchRequest

    started = time.perf_counter()
    files = sorted(str(p) for p in folder.rglob("*") if p.is_file() and not p.name.startswith("."))
    totals = [0] * len(_oracle_queries())
    seen = 0
    with ProcessPoolExecutor(max_workers=max(1, cores)) as pool:
        for counts, n in pool.map(_scan_file, [(f, str(folder), frozenset(dropped or ())) for f in files], chunksize=max(1, len(files) // (cores * 8) or 1)):
            totals = [a + b for a, b in zip(totals, counts, strict=True)]
            seen += n
    svc = open_backend(Settings.from_env(index_dir=index))
    rows = []
    for (kind, q, _spec), scan in zip(_oracle_queries(), totals, strict=True):
        engine = svc.search(SearchRequest(q=q, facets=(), timeline=False, highlight=False, authors=False, per_page=1)).total
        rows.append({"kind": kind, "query": q, "engine": engine, "scan": scan, "pass": engine == scan})
    return {"scale": scale, "documents_scanned": seen, "files": len(files), "seconds": round(time.perf_counter() - started, 1),
            "queries": rows, "all_pass": all(r["pass"] for r in rows),
            "duplicates_left_out": len(dropped or ()), "duplicates_dropped_by_ingest": duplicates,
            # ingest_child reports at most 20 duplicate ids; past that the scan counts some the index dropped.
            "exact": duplicates is None or len(dropped or ()) >= duplicates,
            "method": "every generated file read with corpus.readers.read_file and corpus.normalize.to_article, "
                      "terms from corpus.analysis in the article's language (query words in English), as tests/test_reuters.py"}


# --- the chart --------------------------------------------------------------------------------

def svg_chart(scale: dict[str, Any], path: Path) -> None:
    """Three line charts, log-scale x: ingest docs/s, in-process full-search medians per kind, worker RSS."""
    points = {int(k): v for k, v in (scale.get("points") or {}).items()}
    xs = sorted(points)
    panels: list[tuple[str, str, dict[str, list[tuple[int, float]]]]] = []
    panels.append(("Ingest", "docs/s", {"docs/s": [(x, points[x]["docs_per_s"]) for x in xs if points[x].get("docs_per_s")]}))
    kinds: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for x in xs:
        for k in KINDS:
            v = ((points[x].get("search") or {}).get("by_kind") or {}).get("full", {}).get(k)
            if v:
                kinds[k].append((x, v["median_ms"]))
    panels.append(("Search median, in-process full (log y)", "ms", dict(kinds)))
    panels.append(("Worker RSS (max)", "MB", {"worker RSS": [(x, points[x]["memory"]["max_rss_mb"]) for x in xs
                                                             if (points[x].get("memory") or {}).get("max_rss_mb")]}))
    w, h, pad_l, pad_r, pad_t, pad_b = 420, 300, 60, 150, 30, 40
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
               "#17becf", "#000000", "#aec7e8", "#ffbb78", "#98df8a"]
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w * 3}" height="{h}" font-family="sans-serif" font-size="10">',
             '<rect width="100%" height="100%" fill="white"/>']
    for p, (title, unit, series) in enumerate(panels):
        ox = p * w
        iw, ih = w - pad_l - pad_r + 100, h - pad_t - pad_b
        parts.append(f'<text x="{ox + pad_l}" y="16" font-size="12" font-weight="bold">{escape(title)}</text>')
        values = [v for s in series.values() for _x, v in s if v and v > 0]
        if not xs or not values:
            parts.append(f'<text x="{ox + pad_l}" y="{pad_t + 20}">no data</text>')
            continue
        logy = p == 1
        lo_x, hi_x = math.log10(min(xs)), math.log10(max(xs))
        lo_y, hi_y = (math.log10(min(values)), math.log10(max(values))) if logy else (0.0, max(values))
        hi_x = hi_x if hi_x > lo_x else lo_x + 1
        hi_y = hi_y if hi_y > lo_y else lo_y + 1

        def px(x: float, *, lo_x: float = lo_x, hi_x: float = hi_x, ox: int = ox, iw: int = iw) -> float:
            return ox + pad_l + (math.log10(x) - lo_x) / (hi_x - lo_x) * iw

        def py(v: float, *, lo_y: float = lo_y, hi_y: float = hi_y, logy: bool = logy, ih: int = ih) -> float:
            val = math.log10(v) if logy else v
            return pad_t + ih - (val - lo_y) / (hi_y - lo_y) * ih

        parts.append(f'<line x1="{ox + pad_l}" y1="{pad_t + ih}" x2="{ox + pad_l + iw}" y2="{pad_t + ih}" stroke="black"/>')
        parts.append(f'<line x1="{ox + pad_l}" y1="{pad_t}" x2="{ox + pad_l}" y2="{pad_t + ih}" stroke="black"/>')
        for x in xs:
            parts.append(f'<text x="{px(x):.1f}" y="{pad_t + ih + 14}" text-anchor="middle">{x}×</text>')
        ticks = [10 ** (lo_y + (hi_y - lo_y) * i / 4) for i in range(5)] if logy else [hi_y * i / 4 for i in range(5)]
        for t in ticks:
            parts.append(f'<text x="{ox + pad_l - 4}" y="{py(t) + 3:.1f}" text-anchor="end">{t:,.0f}</text>'
                         if t >= 10 else f'<text x="{ox + pad_l - 4}" y="{py(t) + 3:.1f}" text-anchor="end">{t:.2g}</text>')
        parts.append(f'<text x="{ox + 12}" y="{pad_t + ih / 2}" transform="rotate(-90 {ox + 12} {pad_t + ih / 2})">{unit}</text>')
        for n, (name, pts) in enumerate(series.items()):
            pts = [(x, v) for x, v in pts if v and v > 0]
            if not pts:
                continue
            c = colours[n % len(colours)]
            coords = " ".join(f"{px(x):.1f},{py(v):.1f}" for x, v in pts)
            parts.append(f'<polyline fill="none" stroke="{c}" stroke-width="1.5" points="{coords}"/>')
            parts += [f'<circle cx="{px(x):.1f}" cy="{py(v):.1f}" r="2.5" fill="{c}"/>' for x, v in pts]
            if len(series) > 1:
                ly = pad_t + 4 + n * 12
                parts.append(f'<text x="{ox + pad_l + iw + 6}" y="{ly}" fill="{c}">{escape(name)}</text>')
    parts.append("</svg>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(parts) + "\n")


__all__ = ["brute_force", "publish_probe", "run", "source_hash", "svg_chart", "worker_rss"]
