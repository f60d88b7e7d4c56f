"""Concordance and collocation figures on Reuters (1x) and its 10x scale-up, in-process.

    .venv/bin/python bench/concord_bench.py [--scales 1,10] [--reps 15] [--profile]

Builds (once, under bench/work/indexes/concord-<scale>x) an index of Reuters or of the 10x corpus
of corpora.generate, then times, through the search backend and corpus.concord exactly as
/api/concordance and /api/collocations run them (one warm-up, then --reps timed runs, wall and
the thread's CPU time, because the machine is shared):

- the first page (50 lines) of the concordance of `said` sorted by R1, and by document order;
  `"interest rates"` sorted by L1; `export*` sorted by R1,R2;
- the collocations of the node whose 1x occurrences are nearest 5,000 (chosen among common words
  and recorded), window 5, min 3;
- the full CSV export of `said` through the Flask app, streamed: lines per second and the
  process's resident memory sampled as it streams (its growth over the export), all of it and
  its anonymous part alone (the mapped token store's pages are file-backed and shared by workers).

Writes bench/results/concord.json; with --profile, a pyinstrument profile of the slowest case
under bench/results/profiles/.
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, ROOT, WORK, busy, log

NODE_CANDIDATES = ("oil", "trade", "bank", "market", "prices", "dlrs", "government", "company", "rate", "shares",
                   "billion", "stock", "exchange", "report", "sales")
CASES = (("said", "R1"), ("said", "doc"), ('"interest rates"', "L1"), ("export*", "R1,R2"))


def rss_mb(kind: str = "VmRSS") -> float:
    """Resident memory in MB: VmRSS (all of it), RssAnon (the process's own) or RssFile (mapped files, shared)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(kind + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def build(scale: int) -> Path:
    """The index of Reuters (scale 1) or of its scale-up, built once and brought up to date."""
    from corpora import build_scaled, load_reuters, reuters_file

    from corpus.config import Settings
    from corpus.ingest import ingest

    index = WORK / "indexes" / f"concord-{scale}x"
    # An ingest into an index of the current analysis with nothing changed is a quick no-op; one
    # built by an older analysis (which the server would refuse) is rebuilt in full.
    source = reuters_file().parent if scale == 1 else build_scaled(load_reuters(), scale, "jsonl")
    log(f"ingesting {source} into {index}")
    started = time.perf_counter()
    report = ingest([source], Settings.from_env(index_dir=index), progress=False)
    log(f"ingested in {time.perf_counter() - started:.0f} s, exit {report.exit_code}")
    return index


def timed(fn: Any, reps: int) -> dict[str, Any]:
    fn()  # warm-up: the first call after opening builds the per-version tables
    walls, cpus = [], []
    for _ in range(reps):
        w, c = time.perf_counter(), time.thread_time()
        fn()
        cpus.append((time.thread_time() - c) * 1000)
        walls.append((time.perf_counter() - w) * 1000)
    return {"median_ms": round(statistics.median(walls), 1), "p95_ms": round(sorted(walls)[int(0.95 * (len(walls) - 1))], 1),
            "cpu_median_ms": round(statistics.median(cpus), 1), "n": reps}


def measure(index: Path, reps: int, node: str | None) -> dict[str, Any]:
    from corpus.concord.colloc import Options as CollocOptions
    from corpus.concord.colloc import collocations
    from corpus.concord.lines import Options, concordance
    from corpus.concord.views import prepare
    from corpus.config import Settings
    from corpus.engines import open_backend
    from corpus.search import SearchRequest
    from corpus.web import create_app

    settings = Settings.from_env(index_dir=index, result_cache=0)
    svc = open_backend(settings)
    out: dict[str, Any] = {"index": str(index), "documents": svc.index_info().documents, "cases": {}}

    def run_concordance(q: str, sort: str) -> Any:
        store, matches = prepare(svc, SearchRequest(q=q))
        return concordance(store, matches, svc.documents, Options(sort=tuple(sort.split(","))),
                           facet_names=("author", "source", "region", "year", "language"))

    for q, sort in CASES:
        result = run_concordance(q, sort)
        figures = timed(lambda q=q, sort=sort: run_concordance(q, sort), reps)
        figures.update(occurrences=result.occurrences, documents=result.documents)
        out["cases"][f"concordance {q} sort={sort}"] = figures
        log(f"concordance {q} sort={sort}: {figures}")
    if node is None:
        counts = {w: run_concordance(w, "doc").occurrences for w in NODE_CANDIDATES}
        node = min(counts, key=lambda w: abs(counts[w] - 5000))
        out["node_candidates"] = counts
    store, matches = prepare(svc, SearchRequest(q=node))
    options = CollocOptions()
    table = collocations(store, matches, svc.documents, options).table
    figures = timed(lambda: collocations(*prepare(svc, SearchRequest(q=node)), svc.documents, options), reps)
    figures.update(node=node, occurrences=table.node_frequency, window_tokens=table.window_tokens,
                   corpus_tokens=table.corpus_tokens)
    out["cases"][f"collocations {node}"] = figures
    out["node"] = node
    log(f"collocations {node}: {figures}")

    # The full export, streamed through the app as a WSGI answer is (no buffering).
    app = create_app(settings)
    client = app.test_client()
    start_rss, start_anon = rss_mb(), rss_mb("RssAnon")
    samples, anon = [start_rss], [start_anon]
    w, c = time.perf_counter(), time.process_time()
    resp = client.get("/api/concordance/export?q=said&format=csv", buffered=False)
    rows = int(resp.headers["X-Export-Rows"])
    received = newlines = 0
    next_sample = 1 << 20
    for chunk in resp.response:
        received += len(chunk)
        newlines += chunk.count(b"\n")
        if received >= next_sample:
            samples.append(rss_mb())
            anon.append(rss_mb("RssAnon"))
            next_sample += 1 << 20
    resp.close()
    wall, cpu = time.perf_counter() - w, time.process_time() - c
    out["cases"]["export said csv"] = {
        "lines": rows, "newlines": newlines, "megabytes": round(received / 2**20, 1), "seconds": round(wall, 2),
        "cpu_seconds": round(cpu, 2), "lines_per_second": round(rows / wall), "lines_per_cpu_second": round(rows / cpu),
        "rss_start_mb": round(start_rss, 1), "rss_peak_mb": round(max(samples), 1),
        "rss_growth_mb": round(max(samples) - start_rss, 1),
        # the highest sample of the second half over the sample at its start: a growth with the number of lines shows here
        "rss_growth_second_half_mb": round(max(samples[len(samples) // 2:]) - samples[len(samples) // 2], 1),
        "rss_samples_mb": [round(x, 1) for x in samples[::max(1, len(samples) // 16)]] + [round(samples[-1], 1)],
        "anon_start_mb": round(start_anon, 1), "anon_peak_mb": round(max(anon), 1),
        "anon_growth_mb": round(max(anon) - start_anon, 1),
        "anon_growth_second_half_mb": round(max(anon[len(anon) // 2:]) - anon[len(anon) // 2], 1),
    }
    log(f"export: {out['cases']['export said csv']}")
    store_bytes = sum(p.stat().st_size for p in Path(matches.build).glob("tokens*"))
    out["token_store_mb"] = round(store_bytes / 2**20, 1)
    return out


def profile(index: Path, case: str, node: str) -> Path:
    from pyinstrument import Profiler

    from corpus.concord.colloc import Options as CollocOptions
    from corpus.concord.colloc import collocations
    from corpus.concord.lines import Options, concordance
    from corpus.concord.views import prepare
    from corpus.config import Settings
    from corpus.engines import open_backend
    from corpus.search import SearchRequest

    svc = open_backend(Settings.from_env(index_dir=index, result_cache=0))
    if case.startswith("collocations"):
        def run() -> Any:
            return collocations(*prepare(svc, SearchRequest(q=node)), svc.documents, CollocOptions())
    else:
        _, q, sort = case.split(" ")
        sort = sort.removeprefix("sort=")

        def run() -> Any:
            store, matches = prepare(svc, SearchRequest(q=q))
            return concordance(store, matches, svc.documents, Options(sort=tuple(sort.split(","))),
                               facet_names=("author", "source", "region", "year", "language"))
    run()
    profiler = Profiler(interval=0.0005)
    profiler.start()
    for _ in range(5):
        run()
    profiler.stop()
    out = RESULTS / "profiles" / f"concord-{index.name}-{case.split(' ')[0]}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1,10")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "src"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    results: dict[str, Any] = {"commit": commit, "src_uncommitted": dirty.splitlines(), "start": busy(), "scales": {}}
    node = None
    for scale in (int(s) for s in args.scales.split(",")):
        index = build(scale)
        figures = measure(index, args.reps, node)
        node = figures["node"]
        results["scales"][f"{scale}x"] = figures
        if args.profile:
            slowest = max((k for k in figures["cases"] if "median_ms" in figures["cases"][k]),
                          key=lambda k: figures["cases"][k]["median_ms"])
            log(f"profile of {slowest}: {profile(index, slowest, node)}")
    results["end"] = busy()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "concord.json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
