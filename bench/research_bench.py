"""Keywords (keyness) and compare figures on Reuters (1x) or any built index, in-process through the Flask app.

    .venv/bin/python bench/research_bench.py [--index DIR] [--reps 15]

Without --index, builds (once, under bench/work/indexes/research-1x) an index of Reuters; with
--index, opens that index as it is and never writes to it (the 10x index another process builds
is only read). Then times, through the app's test client exactly as /api/keywords and
/api/compare answer (one warm-up, then --reps timed runs; wall and the thread's CPU time, because
the machine is shared):

- the keywords of the query whose result set is nearest 5,000 documents (chosen among common
  words and recorded) against the rest of the corpus, as words and as phrases of two words;
- compare with 4 queries, beside the median of one /api/search of each of the same 4 queries;
- the process's resident memory before and after the keyword runs (all of it and its anonymous
  part: the token store's mapped pages are file-backed and shared by the workers).

Writes bench/results/research-<index name>.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, ROOT, WORK, busy, log

CANDIDATES = ("said", "pct", "year", "dlrs", "company", "market", "billion", "shares", "prices", "trade", "bank", "oil",
              "net", "loss", "inc", "share", "quarter", "sales", "stock", "profit", "market OR trade", "bank OR billion",
              "shares OR stock", "prices OR oil", "gold", "wheat", "coffee", "sugar", "yen", "grain", "crude", "opec", "tokyo")
COMPARE = ("oil", "gold", "wheat", "trade")


def rss_mb(kind: str = "VmRSS") -> float:
    """Resident memory in MB: VmRSS (all of it) or RssAnon (the process's own)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(kind + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def build() -> Path:
    """The index of Reuters, built once and brought up to date (a quick no-op when nothing changed)."""
    from corpora import reuters_file

    from corpus.config import Settings
    from corpus.ingest import ingest

    index = WORK / "indexes" / "research-1x"
    log(f"ingesting Reuters into {index}")
    started = time.perf_counter()
    report = ingest([reuters_file().parent], Settings.from_env(index_dir=index), progress=False)
    log(f"ingested in {time.perf_counter() - started:.0f} s, exit {report.exit_code}")
    return index


def timed(get: Any, url: str, reps: int) -> dict[str, Any]:
    def once() -> None:
        resp = get(url)
        if resp.status_code != 200:
            raise RuntimeError(f"{resp.status_code} {resp.get_data(as_text=True)[:300]}")
    w = time.perf_counter()
    try:
        once()  # warm-up: the per-version tables and the corpus counts of the date filter
    except RuntimeError as exc:  # recorded, not hidden: a target that is missed this way is missed
        return {"failed": str(exc), "after_ms": round((time.perf_counter() - w) * 1000, 1)}
    first_ms = round((time.perf_counter() - w) * 1000, 1)
    walls, cpus = [], []
    for _ in range(reps):
        w, c = time.perf_counter(), time.thread_time()
        once()
        cpus.append((time.thread_time() - c) * 1000)
        walls.append((time.perf_counter() - w) * 1000)
    return {"first_ms": first_ms, "median_ms": round(statistics.median(walls), 1), "p95_ms": round(sorted(walls)[int(0.95 * (len(walls) - 1))], 1),
            "cpu_median_ms": round(statistics.median(cpus), 1), "n": reps}


def profile(get: Any, url: str, out: Path) -> Path:
    """A pyinstrument profile of three warm calls of one URL, as text."""
    from pyinstrument import Profiler

    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(3):
        get(url)
    profiler.stop()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--index", type=Path, help="an index folder to read (never written); default: build Reuters 1x")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--profile", action="store_true", help="write a pyinstrument profile of the slowest keyword case")
    args = parser.parse_args()

    from corpus.config import Settings
    from corpus.web import create_app

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    index = args.index or build()
    app = create_app(Settings.from_env(index_dir=index))
    client = app.test_client()
    get = client.get
    results: dict[str, Any] = {"commit": commit, "index": str(index), "start": busy(), "cases": {}}

    sizes = {}
    for word in CANDIDATES:
        sizes[word] = get("/api/search", query_string={"q": word, "per_page": 1}).get_json()["total"]
    node = min(sizes, key=lambda w: abs(sizes[w] - 5000))
    results.update(keyword_query=node, result_sizes=sizes)
    log(f"keyword query {node!r}: {sizes[node]} documents")

    rss0, anon0 = rss_mb(), rss_mb("RssAnon")
    for ngram in (1, 2):
        url = "/api/keywords?" + urlencode({"q": node, "ngram": ngram, "limit": 50})
        figures = timed(get, url, args.reps)
        results["cases"][f"keywords ngram={ngram}"] = figures
        log(f"keywords ngram={ngram}: {figures}")
    results["memory_mb"] = {"rss_before": round(rss0, 1), "rss_after": round(rss_mb(), 1),
                            "anon_before": round(anon0, 1), "anon_after": round(rss_mb("RssAnon"), 1),
                            "file_after": round(rss_mb("RssFile"), 1), "peak_rss": round(rss_mb("VmHWM"), 1)}
    if args.profile:
        slowest = max((c for c in results["cases"] if "median_ms" in results["cases"][c]),
                      key=lambda c: results["cases"][c]["median_ms"])
        results["profile"] = str(profile(get, "/api/keywords?" + urlencode({"q": node, "ngram": slowest[-1], "limit": 50}),
                                         RESULTS / "profiles" / f"research-{index.name}-{slowest.replace(' ', '-')}.txt"))
        log(f"profile of {slowest}: {results['profile']}")

    searches = [timed(get, "/api/search?" + urlencode({"q": q}), args.reps).get("median_ms", 0.0) for q in COMPARE]
    cmp = timed(get, "/api/compare?" + urlencode({f"q{i + 1}": q for i, q in enumerate(COMPARE)}), args.reps)
    one = statistics.median(searches)
    results["cases"]["compare 4 queries"] = {**cmp, "search_medians_ms": searches, "one_search_median_ms": one,
                                             "ratio": round(cmp["median_ms"] / one, 2) if one and "median_ms" in cmp else None}
    log(f"compare: {results['cases']['compare 4 queries']}")
    results["end"] = busy()
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"research-{index.name}.json"
    out.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
